"""Page images of PDF and image citations: rendered from the corpus only, cached, and shown in the Sources
tab of a real browser with the cited line highlighted on the page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from scans import draw, png, scanned_pdf

from qa.config import Settings
from qa.pages import page_image

pytest.importorskip("rapidocr_onnxruntime", reason="OCR is an extra: pip install -e '.[ocr]'")


def test_a_pdf_page_is_rendered_in_points_and_cached(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "scan.pdf").write_bytes(scanned_pdf([draw(["First page."]), draw(["Second page."])]))
    settings = Settings(corpus=corpus, index=tmp_path / "index", cache=tmp_path / "cache")
    image = page_image(settings, "scan.pdf", 2)
    assert image is not None and image.png.startswith(b"\x89PNG")
    assert (image.width, image.height) == pytest.approx((1400 * 72 / 200, 500 * 72 / 200))
    assert len(list((tmp_path / "cache" / "pages").glob("*.png"))) == 1
    assert page_image(settings, "scan.pdf", 2) == image
    assert page_image(settings, "scan.pdf", 3) is None


def test_an_image_page_is_in_pixels(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notice.png").write_bytes(png(draw(["A notice."], size=(2400, 600))))
    image = page_image(Settings(corpus=corpus, cache=tmp_path / "cache"), "notice.png", 1)
    assert image is not None and (image.width, image.height) == (2400, 600)


def test_nothing_outside_the_corpus_is_rendered(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(draw(["Private."])))
    os.symlink(secret, corpus / "link.png")
    settings = Settings(corpus=corpus, cache=tmp_path / "cache")
    assert page_image(settings, "../secret.png", 1) is None
    assert page_image(settings, "link.png", 1) is None
    assert page_image(settings, str(secret), 1) is None
    (corpus / "notes.txt").write_text("Plain text has no page image.")
    assert page_image(settings, "notes.txt", 1) is None
