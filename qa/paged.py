"""Documents made of pages: PDFs (their text layer, or OCR for scanned pages) and images (OCR), with the box
of each line on its page."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from qa.config import Settings
from qa.errors import DocumentError, first_line
from qa.layout import Line, PageText, page_text, without_running_lines, words
from qa.types import Box, Document, Region

OCR_SIDE = 2000  # pixels on the longer side of a scanned page rendered for OCR
OCR_MAX_SCALE = 3.0  # pixels per point, at most, for small pages

PageProgress = Callable[[int, int], None]  # (pages read by OCR, pages to read) of the file being loaded


def clean(text: str) -> str:
    """Replace lone surrogates that extractors sometimes emit, so the text encodes as UTF-8."""
    return text.encode("utf-8", "replace").decode("utf-8")


def paged_document(source: str, pages: Sequence[PageText], scanned: int) -> Document:
    """One document of pages separated by a blank line, with the box of each line on its page."""
    starts: list[int] = []
    regions: list[Region] = []
    offset = 0
    for number, page in enumerate(pages, start=1):
        starts.append(offset)
        regions += [Region(offset + a, offset + b, Box(number, *_rounded(line))) for a, b, line in page.lines]
        offset += len(page.text) + 2
    text = clean("\n\n".join(page.text for page in pages))
    return Document(source, text, pages=tuple(starts), plain=False, regions=tuple(regions), ocr_pages=scanned)


def _rounded(line: Line) -> tuple[float, float, float, float]:
    return round(line.x0, 1), round(line.y0, 1), round(line.x1, 1), round(line.y1, 1)


def pdf_pages(data: bytes, settings: Settings, progress: PageProgress | None) -> tuple[list[PageText], int, str | None]:
    """Each page's text in reading order, the count of pages read by OCR, and a note on what was left out."""
    from qa import ocr, pdf

    try:
        with pdf.opened(data) as document:
            total = len(document)
            count = min(total, settings.max_pdf_pages)
            lines: list[list[Line]] = []
            heights: list[float] = []
            failed: list[int] = []
            scans: list[int] = []
            for number in range(count):
                page = document[number]
                try:
                    found = pdf.text_lines(page)
                    if pdf.needs_ocr(page, found):
                        scans.append(number)
                except Exception:
                    found = []
                    failed.append(number + 1)
                lines.append(found)
                heights.append(page.get_height())
                page.close()
            notes = []
            read = scans[: settings.ocr_max_pages] if ocr.available() else []
            for done, number in enumerate(read):
                if progress:
                    progress(done, len(read))
                try:
                    lines[number] = _ocr_page(document, number, settings.ocr_page_timeout)
                except ocr.OcrError as exc:
                    notes.append(f"page {number + 1}: {exc}")
            if progress and read:
                progress(len(read), len(read))
    except pdf.PdfError as exc:
        raise DocumentError(str(exc)) from None
    kept = without_running_lines(lines, heights)
    vocabulary = words(kept)
    pages = [page_text(page, vocabulary) for page in kept]
    if not any(page.text.strip() for page in pages):
        if scans and not read:
            raise DocumentError(f"only scanned pages and OCR is not installed; {ocr.INSTALL}")
        if notes:
            raise DocumentError(notes[0])
        if scans:
            raise DocumentError("no text found, not even by OCR; check that the scan is readable")
        raise DocumentError("no extractable text (blank pages?); nothing to index")
    if total > settings.max_pdf_pages:
        notes.append(
            f"only the first {settings.max_pdf_pages} of {total} pages indexed; raise QA_MAX_PDF_PAGES to index all"
        )
    if failed:
        notes.append(f"text of page(s) {', '.join(map(str, failed[:10]))} could not be extracted; repair the PDF")
    if scans and not read:
        notes.append(f"{len(scans)} scanned page(s) not read: OCR is not installed; {ocr.INSTALL}")
    elif len(scans) > len(read):
        notes.append(
            f"OCR read only the first {len(read)} of {len(scans)} scanned pages; raise QA_OCR_MAX_PAGES to read all"
        )
    return pages, len(read), "; ".join(notes) or None


def _ocr_page(document: Any, number: int, timeout: float) -> list[Line]:
    """The OCR'd lines of one scanned PDF page, boxes in PDF points."""
    from qa import ocr, pdf

    page = document[number]
    try:
        width, height = page.get_size()
        scale = min(OCR_MAX_SCALE, OCR_SIDE / max(width, height, 1.0))
        image = pdf.render(page, scale)
    finally:
        page.close()
    found = ocr.read_lines(image, timeout)
    return [Line(line.text, line.x0 / scale, line.y0 / scale, line.x1 / scale, line.y1 / scale) for line in found]


def image_pages(data: bytes, settings: Settings, progress: PageProgress | None) -> tuple[list[PageText], str | None]:
    """The OCR'd text of an image, a page per frame of a multi-page TIFF; boxes in pixels."""
    from PIL import Image, UnidentifiedImageError

    from qa import ocr

    if not ocr.available():
        raise DocumentError(f"images are read by OCR, which is not installed; {ocr.INSTALL}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the pixel limit below decides
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        size = re.search(r"\((\d+) pixels\)", str(exc))
        raise DocumentError(
            _too_many_pixels(f"{int(size.group(1)):,}" if size else "its", settings.max_image_pixels)
        ) from None
    except UnidentifiedImageError:
        raise DocumentError(
            "cannot read image: damaged, or not a format Pillow reads; re-save it as PNG or JPEG"
        ) from None
    except (OSError, ValueError) as exc:
        raise DocumentError(f"cannot read image: {first_line(exc, 120)}; re-save it as PNG or JPEG") from None
    frames = getattr(image, "n_frames", 1)
    count = min(frames, settings.ocr_max_pages)
    pages: list[PageText] = []
    notes: list[str] = []
    for number in range(count):
        if progress:
            progress(number, count)
        try:
            image.seek(number)
            width, height = image.size
            if width * height > settings.max_image_pixels:
                raise DocumentError(_too_many_pixels(f"{width}x{height}", settings.max_image_pixels))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                pages.append(page_text(ocr.read_lines(image.convert("RGB"), settings.ocr_page_timeout)))
        except ocr.OcrError as exc:
            if frames == 1:
                raise DocumentError(str(exc)) from None
            notes.append(f"page {number + 1}: {exc}")
            pages.append(PageText("", ()))
        except (OSError, ValueError, EOFError) as exc:
            raise DocumentError(f"cannot read image: {first_line(exc, 120)}; re-save it as PNG or JPEG") from None
    if progress:
        progress(count, count)
    if not any(page.text for page in pages):
        raise DocumentError(notes[0] if notes else "no text found by OCR; check that the image is readable")
    if frames > count:
        notes.append(f"OCR read only the first {count} of {frames} pages; raise QA_OCR_MAX_PAGES to read all")
    return pages, "; ".join(notes) or None


def _too_many_pixels(size: str, limit: int) -> str:
    return (
        f"image too large ({size} pixels is over the {limit:,}-pixel limit); "
        "downscale it, or raise QA_MAX_IMAGE_PIXELS if you trust it"
    )
