"""PDFs through pdfium: each page's text layer as placed lines, and page images for OCR and for display."""

from __future__ import annotations

import ctypes
import re
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from qa.errors import QAError
from qa.layout import Line

LOCK = threading.RLock()  # pdfium is not thread-safe: every call into it holds this
WIDE_GAP = 1.5  # a horizontal gap between two characters wider than this many line heights separates columns
MIN_TEXT = 16  # a page with fewer letters and digits than this in its text layer counts as having none
FONT_NAME = 128  # bytes of a font's name read from pdfium
WORD_GAP = 0.2  # of the line's height: a gap between two glyphs this wide, with no space drawn, is a word space
FIXED_PITCH = 1  # the FixedPitch bit of a PDF font descriptor's flags
MONOSPACED = re.compile(rb"mono|courier|consol|cmtt|typewriter|code", re.IGNORECASE)
SOFT_HYPHENS = ("\x02", "\xad", "\ufffe")  # pdfium reports TeX's hyphen at a line break as \x02
ACCENTS = "\u0300\u0301\u00b4\u02ca\u02cb"  # grave and acute, combining and spacing (not the backquote of code)
# TeX fonts without quote glyphs draw ``word'' as an accent over a space: an accent with no letter under it,
# at the start of a word, is an opening quote; a spacing one after a word, a closing quote; one alone, nothing.
STRAY_ACCENT = re.compile(
    rf"(?P<open>(?:^|(?<=[\s(\[{{]))\xa0?[{ACCENTS}]{{1,2}}(?=\S))"
    r"|(?P<close>(?<=[\w.,;:!?’”])[\u00b4\u02ca\u02cb]{1,2}(?=[\s)\]}.,;:!?]|$))"
    rf"|(?:^|(?<=\s))\xa0?[{ACCENTS}]{{1,2}}(?=\s|$)"
)


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


class Glyph(NamedTuple):
    """One character of a text layer, its box (origin at the top left), and whether pdfium made it up."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    mono: bool = False  # set in a monospaced font
    generated: bool = False  # a space or line break pdfium inferred, not drawn


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
            name = ctypes.create_string_buffer(FONT_NAME)
            flags = ctypes.c_int()
            for i in range(textpage.count_chars()):
                code = raw.FPDFText_GetUnicode(textpage.raw, i)
                if 0xD800 <= code < 0xDC00:
                    pending_high = code
                    continue
                if 0xDC00 <= code < 0xE000 and pending_high:
                    code = 0x10000 + ((pending_high - 0xD800) << 10) + (code - 0xDC00)
                pending_high = 0
                left, bottom, right, top = textpage.get_charbox(i, loose=True)
                char = chr(code)
                if char.isspace():
                    glyph = Glyph(char, left, height - top, right, height - bottom)
                    chars.append(glyph._replace(generated=bool(raw.FPDFText_IsGenerated(textpage.raw, i))))
                    continue
                raw.FPDFText_GetFontInfo(textpage.raw, i, name, FONT_NAME, ctypes.byref(flags))
                mono = bool(flags.value & FIXED_PITCH) or MONOSPACED.search(name.value) is not None
                chars.append(Glyph(char, left, height - top, right, height - bottom, mono))
        finally:
            textpage.close()
    return _lines(chars)


def _lines(chars: list[Glyph]) -> list[Line]:
    """Lines of glyphs in content order. A line break pdfium reports where the text goes on along the same
    baseline is ignored, and an accent drawn after the text it sits on is put back in its place."""
    lines: list[Line] = []
    current: list[Glyph] = []
    spaces: list[Glyph] = []
    last: Glyph | None = None
    broken = False

    def flush() -> None:
        inked = [c for c in current if not c.text.isspace()]
        text = _line_text("".join(c.text for c in current))
        if inked and text:
            box = (
                min(c.x0 for c in inked),
                min(c.y0 for c in inked),
                max(c.x1 for c in inked),
                max(c.y1 for c in inked),
            )
            lines.append(Line(text, *box, mono=all(c.mono for c in inked)))
        current.clear()

    for char in chars:
        if char.text in "\r\n":
            broken = True
        elif char.text.isspace():
            spaces.append(char)
        elif last is not None and not broken and _displaced_mark(char, last):
            current.insert(_mark_place(current, char), char)
        else:
            if last is not None:
                size = max(last.y1 - last.y0, char.y1 - char.y0, 1.0)
                gap = char.x0 - last.x1
                if broken and _same_baseline(char, last, size) and -0.1 * size < gap < WIDE_GAP * size:
                    if not spaces and gap >= 0.1 * size:
                        spaces = [char._replace(text=" ", generated=True)]
                elif broken or gap > WIDE_GAP * size or not _same_baseline(char, last, size, 1.0):
                    flush()
                    spaces = []
                elif not spaces and gap >= WORD_GAP * size:
                    spaces = [char._replace(text=" ", generated=True)]  # a word space drawn as a gap only
                if spaces and all(s.generated for s in spaces) and abs(gap) < 0.05 * size:
                    spaces = []
            elif broken:
                spaces = []
            current.extend(spaces)
            current.append(char)
            spaces, last, broken = [], char, False
    flush()
    return lines


def _same_baseline(char: Glyph, last: Glyph, size: float, share: float = 0.25) -> bool:
    return abs((char.y0 + char.y1) - (last.y0 + last.y1)) <= share * size


def _displaced_mark(char: Glyph, last: Glyph) -> bool:
    """An accent drawn back over text already placed (TeX draws some quotes as an accent over a space)."""
    return unicodedata.category(char.text) == "Mn" and char.x0 < last.x0 - 0.1 * (last.x1 - last.x0)


def _mark_place(current: list[Glyph], mark: Glyph) -> int:
    """Where in `current` the accent `mark` goes: after the last glyph that starts at or before it."""
    tolerance = 0.1 * max(mark.x1 - mark.x0, 1.0)
    starts = [i for i, c in enumerate(current) if c.x0 <= mark.x0 + tolerance]
    return starts[-1] + 1 if starts else 0


def _line_text(raw: str) -> str:
    """A line's text with TeX's accent-quotes made quotes, its en dash before an option's name "--", a soft
    hyphen at its end kept as U+00AD and one inside dropped, and other unprintable characters made spaces."""
    text = OPTION_DASH.sub("--", quotes(raw)).rstrip()
    hyphen = text.endswith(SOFT_HYPHENS)
    text = "".join(c if c.isprintable() else "" if c in SOFT_HYPHENS else " " for c in text).strip()
    return text + "\u00ad" if hyphen and text else text


OPTION_DASH = re.compile(r"(?<![^\s(‘“'\"])–(?=[a-z])")  # TeX sets the "--" of "--rac-check" as an en dash


def quotes(text: str) -> str:
    """Stray grave and acute accents standing where quotation marks go, made quotation marks: TeX fonts
    without quote glyphs draw ``word'' as an accent over a space. An accent on a letter is left alone."""
    return STRAY_ACCENT.sub(_quote, text)


def _quote(match: re.Match[str]) -> str:
    found = match.group("open") or match.group("close")
    if not found:
        return ""
    double = len(found.strip("\xa0")) > 1
    if match.group("open"):
        return "“" if double else "‘"
    return "”" if double else "’"


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
