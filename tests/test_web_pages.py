"""The Sources tab in a real browser shows the page of a scanned PDF citation with the cited line highlighted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import BROWSER_ARGS, CHROMIUM, DEFAULT_CORPUS, TIMEOUT_MS, ask, free_port
from scans import draw, scanned_pdf

from qa import Settings, build_index
from qa.web import serve

pytest.importorskip("rapidocr_onnxruntime", reason="OCR is an extra: pip install -e '.[ocr]'")
pytest.importorskip("playwright")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed (make browser)", allow_module_level=True)
pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")


@pytest.fixture(scope="module")
def scanned_site(tmp_path_factory, embedder):
    base = tmp_path_factory.mktemp("pages")
    corpus = base / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    pages = [
        draw(["The lighthouse keeper logs every passing ship."]),
        draw(["Storms closed the harbour for nine days in March.", "The ferry to the island runs hourly."]),
    ]
    (corpus / "harbour-scan.pdf").write_bytes(scanned_pdf(pages))
    settings = Settings(corpus=corpus, index=base / "index", cache=base / "cache")
    build_index(settings)
    port = free_port()
    app = serve(settings, port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    app.close()


def test_a_scanned_pdf_citation_shows_its_page_with_the_line_highlighted(scanned_site, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(scanned_site)
        page.wait_for_selector("#question textarea")
        answer = ask(page, "How long did storms close the harbour?")
        assert "nine days" in answer
        image = page.locator("#sources .qa-page-image").first
        image.wait_for()
        page.wait_for_function("document.querySelector('#sources .qa-page-image').complete")
        assert "Page 2" in page.locator("#sources figcaption").first.inner_text()
        picture = image.bounding_box()
        marks = page.locator("#sources .qa-highlight")
        assert marks.count() == 1
        mark = marks.first.bounding_box()
        assert picture["width"] > 200 and mark["width"] > 20 and mark["height"] > 3
        assert picture["x"] <= mark["x"] and mark["x"] + mark["width"] <= picture["x"] + picture["width"] + 1
        assert picture["y"] <= mark["y"] and mark["y"] + mark["height"] <= picture["y"] + picture["height"] + 1
        assert mark["y"] - picture["y"] < picture["height"] / 2, "the cited first line is in the top half of the page"
        shot = tmp_path / "sources.png"
        page.locator("#sources").screenshot(path=str(shot))
        assert shot.stat().st_size > 5000
        browser.close()
