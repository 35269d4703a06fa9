"""Scans and images read by the real OCR engine (RapidOCR), from files the tests draw and save."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from scans import CHINESE, draw, placed_pdf, png, png_header_only, points, scanned_pdf

from qa import build_index, open_index
from qa.config import Settings
from qa.loaders import DocumentError, SourceFile, load

pytest.importorskip("rapidocr_onnxruntime", reason="OCR is an extra: pip install -e '.[ocr]'")


def load_bytes(name: str, data: bytes, settings: Settings = Settings(), progress=None):
    return load(SourceFile(name, Path(name), len(data), 0.0), data, settings, progress)


def overlap(a, b) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.fixture(scope="module")
def scan_pages():
    return [
        draw(["The lighthouse keeper logs every passing ship.", "Fog horns sound twice a minute in winter."]),
        draw(["Storms closed the harbour for nine days in March.", "The ferry to the island runs hourly."]),
    ]


def test_a_scanned_pdf_is_indexed_and_answered_with_its_page_and_the_box_of_the_words(settings_for, scan_pages):
    settings = settings_for()
    (settings.corpus / "scan.pdf").write_bytes(scanned_pdf(scan_pages))
    seen = []
    report = build_index(
        settings,
        progress=lambda step: seen.append((step.stage, step.source, step.done, step.total)),
    )
    assert report.added == ("scan.pdf",) and report.skipped == ()
    assert ("ocr", "scan.pdf", 2, 2) in seen, "the OCR pages were not reported to the progress callback"
    answer = open_index(settings).ask("How long did storms close the harbour?")
    assert answer.answered
    cited = answer.citations[0]
    assert cited.source == "scan.pdf" and cited.page == 2
    assert "nine days" in cited.text
    assert [b.page for b in cited.boxes] == [2]
    box = cited.boxes[0]
    drawn = points(scan_pages[1].boxes[0])
    assert overlap((box.x0, box.y0, box.x1, box.y1), drawn) > 0.7, (box, drawn)


def test_an_unchanged_scan_is_not_read_again(settings_for, scan_pages):
    settings = settings_for()
    (settings.corpus / "scan.pdf").write_bytes(scanned_pdf(scan_pages[:1]))
    build_index(settings)
    (settings.corpus / "notes.txt").write_text("The harbour master retires next spring.\n")
    stages = []
    report = build_index(settings, progress=lambda step: stages.append(step.stage))
    assert report.added == ("notes.txt",) and report.unchanged == 1
    assert "ocr" not in stages and "embedding" in stages


def test_pngs_in_chinese_and_english_are_answered(settings_for):
    settings = settings_for()
    (settings.corpus / "notice-zh.png").write_bytes(
        png(draw(["本港的图书馆逢星期一休息。", "借书证可以在任何分馆申请。"], font=CHINESE))
    )
    (settings.corpus / "notice-en.png").write_bytes(
        png(draw(["The swimming pool opens at seven in the morning.", "Lockers cost two dollars a day."]))
    )
    assert build_index(settings).skipped == ()
    index = open_index(settings)
    chinese = index.ask("图书馆哪天休息？")
    assert chinese.answered and chinese.citations[0].source == "notice-zh.png"
    assert "星期一" in chinese.citations[0].text
    english = index.ask("How much does a locker cost?")
    assert english.answered and english.citations[0].source == "notice-en.png"
    assert "two dollars" in english.citations[0].text
    assert english.citations[0].boxes and english.citations[0].boxes[0].y0 > 100, "the second line's box, in pixels"


def test_a_page_with_a_text_layer_is_not_read_by_ocr():
    calls = []
    document, note = load_bytes(
        "text.pdf",
        placed_pdf([[(72, 100, "Kelp forests shelter sea otters.")]]),
        progress=lambda done, total: calls.append(done),
    )
    assert document.text == "Kelp forests shelter sea otters." and document.ocr_pages == 0
    assert calls == [] and note is None


def test_a_decompression_bomb_is_refused_by_its_header_in_one_line():
    with pytest.raises(DocumentError) as refused:
        load_bytes("bomb.png", png_header_only(100_000, 100_000))
    message = str(refused.value)
    assert "image too large" in message and "QA_MAX_IMAGE_PIXELS" in message and "\n" not in message


def test_an_image_over_the_pixel_limit_is_refused_before_ocr():
    with pytest.raises(DocumentError, match=r"1400x500 pixels is over the 100,000-pixel limit"):
        load_bytes("big.png", png(draw(["Some text."])), Settings(max_image_pixels=100_000))


def test_ocr_that_runs_past_its_time_limit_stops_with_one_line_and_the_rest_is_indexed(settings_for):
    settings = settings_for(ocr_page_timeout=0.001)
    lines = [f"Line {n} of a crowded notice about the harbour." for n in range(6)]
    (settings.corpus / "crowded.png").write_bytes(png(draw(lines, size=(1400, 520))))
    (settings.corpus / "notes.txt").write_text("The harbour master retires next spring.\n")
    report = build_index(settings)
    assert report.added == ("notes.txt",)
    [skipped] = report.skipped
    assert skipped.source == "crowded.png"
    assert skipped.reason == "OCR stopped at the 0.001 s limit per page; raise QA_OCR_PAGE_TIMEOUT"


def test_ocr_reads_at_most_the_page_limit_and_says_so(scan_pages):
    document, note = load_bytes("scan.pdf", scanned_pdf(scan_pages), Settings(ocr_max_pages=1))
    assert "lighthouse keeper" in document.text and "Storms" not in document.text
    assert note is not None and "OCR read only the first 1 of 2 scanned pages; raise QA_OCR_MAX_PAGES" in note.reason


def test_a_damaged_image_is_one_line():
    with pytest.raises(DocumentError, match=r"^cannot read image: [^\n]+; re-save it as PNG or JPEG$"):
        load_bytes("broken.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")


def test_a_multi_page_tiff_is_read_page_by_page():
    pages = [draw(["The north gate closes at dusk."]).image, draw(["The south gate never closes."]).image]
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:])
    document, _ = load_bytes("gates.tiff", out.getvalue())
    assert len(document.pages) == 2
    south = document.text.index("south")
    assert document.regions[-1].box.page == 2 and document.regions[-1].start <= south
