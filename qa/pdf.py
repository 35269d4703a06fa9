"""PDFs through pdfium: each page's text layer as placed lines, and page images for OCR and for display."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from qa.errors import QAError
from qa.layout import Line

LOCK = threading.RLock()  # pdfium is not thread-safe: every call into it holds this
WIDE_GAP = 1.5  # a horizontal gap between two characters wider than this many line heights separates columns
MIN_TEXT = 16  # a page with fewer letters and digits than this in its text layer counts as having none


class PdfError(QAError):
    """A PDF that pdfium cannot open; the message says why and what to do."""


@contextmanager
def opened(data: bytes) -> Iterator[Any]:
    """The pdfium document for `data`, closed afterwards; PdfError for a damaged or protected file."""
    import pypdfium2 as pdfium

    with LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise PdfError("cannot read PDF: it is password-protected; save an unprotected copy") from None
            raise PdfError(f"cannot read PDF: {exc}; the file may be damaged, re-export or repair it") from None
        try:
            yield document
        finally:
            document.close()


def text_lines(page: Any) -> list[Line]:
    """The characters of the page's text layer grouped into lines, split where pdfium breaks a line or where a
    gap as wide as a column gutter opens between two characters."""
    import pypdfium2.raw as raw

    with LOCK:
        height = page.get_height()
        textpage = page.get_textpage()
        try:
            chars = []
            pending_high = 0
            for i in range(textpage.count_chars()):
                code = raw.FPDFText_GetUnicode(textpage.raw, i)
                if 0xD800 <= code < 0xDC00:
                    pending_high = code
                    continue
                if 0xDC00 <= code < 0xE000 and pending_high:
                    code = 0x10000 + ((pending_high - 0xD800) << 10) + (code - 0xDC00)
                pending_high = 0
                left, bottom, right, top = textpage.get_charbox(i, loose=True)
                chars.append((chr(code), left, height - top, right, height - bottom))
        finally:
            textpage.close()
    return _lines(chars)


def _lines(chars: list[tuple[str, float, float, float, float]]) -> list[Line]:
    lines: list[Line] = []
    current: list[tuple[str, float, float, float, float]] = []

    def flush() -> None:
        inked = [c for c in current if not c[0].isspace()]
        text = "".join(c[0] if c[0].isprintable() else " " for c in current).strip()
        if inked and text:
            box = (
                min(c[1] for c in inked),
                min(c[2] for c in inked),
                max(c[3] for c in inked),
                max(c[4] for c in inked),
            )
            lines.append(Line(text, *box))
        current.clear()

    last = None
    for char in chars:
        if char[0] in "\r\n":
            flush()
            last = None
            continue
        if not char[0].isspace():
            if last is not None:
                size = max(last[4] - last[2], char[4] - char[2], 1.0)
                apart = char[1] - last[3] > WIDE_GAP * size or abs((char[2] + char[4]) - (last[2] + last[4])) > size
                if apart:
                    flush()
            last = char
        current.append(char)
    flush()
    return lines


def needs_ocr(page: Any, lines: list[Line]) -> bool:
    """A page with (almost) no text layer but with an image on it: a scan."""
    import pypdfium2.raw as raw

    if sum(ch.isalnum() for line in lines for ch in line.text) >= MIN_TEXT:
        return False
    with LOCK:
        return next(iter(page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,))), None) is not None


def render(page: Any, scale: float) -> Any:
    """The page as a PIL image at `scale` pixels per point."""
    with LOCK:
        return page.render(scale=scale).to_pil().convert("RGB")
