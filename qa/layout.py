"""Reading order for lines of text placed on pages: columns, rows, paragraphs, running headers and footers."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from statistics import median

from qa.furniture import is_page_number, is_running_header
from qa.types import Box, Region

MARGIN = 0.12  # share of the page height at its top and bottom where running headers and footers sit
EDGE = 0.06  # share of the page height at its very top and bottom, outside the text block of most layouts
SPANNING = 0.6  # a line wider than this share of the text block is not inside one column
MIN_GUTTER = 6.0  # page units; a narrower gap between columns is a word space
PARAGRAPH_GAP = 0.7  # a vertical gap above this share of the line height starts a paragraph
MAX_DEPTH = 3  # columns within columns, at most
TABLE_WORDS = 5  # words, at most, in a table cell; a line of a column of prose holds more
TABLE_SHORT = 0.8  # share of the lines beside a gutter that must be short for them to be a table's cells
TABLE_LEVEL = 2 / 3  # share of them that must be level with a line across the gutter
CELL = " | "  # joins the cells of a table row in the page text, as the HTML and DOCX loaders do
WORD = re.compile(r"\w+(?:-\w+)*")
SOFT_HYPHEN = "\u00ad"  # ends a line's text where the line break hyphenated a word
CLAUSE_END = "!?,;:)]}'\"’”"  # a path ending in one of these is whole; a dot may be inside it ("wiki.debian." "org/")


@dataclass(frozen=True)
class Line:
    """One line of text and its box on the page, origin at the top left."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    mono: bool = False  # set in a monospaced font: a line of code

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def middle(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class PageText:
    """A page's text in reading order, and each line's offsets into it."""

    text: str
    lines: tuple[tuple[int, int, Line], ...]


def page_text(lines: Sequence[Line], vocabulary: Collection[str] = ()) -> PageText:
    """The lines in reading order, joined: the cells of a table row (lines side by side with a wide gap between
    them) by " | ", a new paragraph where the vertical gap is wide or where a block of code (monospaced lines)
    starts or ends, else one newline; a word hyphenated at a line break is made whole, without the hyphen unless
    `vocabulary` (see `words`) or the token it is in says the hyphen belongs to it, and so is a path broken
    at a line end without a hyphen."""
    ordered = reading_order(lines)
    height = median(line.height for line in ordered) if ordered else 0.0
    parts: list[str] = []
    placed: list[tuple[int, int, Line]] = []
    offset = 0
    previous: Line | None = None
    for line in ordered:
        text = " ".join(line.text.split())
        if not text:
            continue
        if previous is not None:
            gap = line.y0 - previous.y1
            if _beside(previous, line):
                separator = CELL
            elif gap > PARAGRAPH_GAP * height or line.mono != previous.mono:
                separator = "\n\n"
            else:
                separator = "\n"
            joined = separator == "\n" and not line.mono and (_rejoins(parts[-1], text) or _continues(parts[-1], text))
            if parts[-1].endswith(SOFT_HYPHEN):
                kept = not joined or _keeps_hyphen(parts[-1][:-1], text, vocabulary)
                parts[-1] = parts[-1][:-1] + ("-" if kept else "")
                if not kept:
                    start, end, last = placed[-1]
                    placed[-1] = (start, end - 1, last)
                    offset -= 1
            separator = "" if joined else separator
            parts.append(separator)
            offset += len(separator)
        placed.append((offset, offset + len(text), line))
        parts.append(text)
        offset += len(text)
        previous = line
    if parts and parts[-1].endswith(SOFT_HYPHEN):
        parts[-1] = parts[-1][:-1] + "-"
    return PageText("".join(parts), tuple(placed))


def words(pages: Sequence[Sequence[Line]]) -> frozenset[str]:
    """The words and hyphenated compounds on the pages, in lower case, but for the parts of words broken by a
    hyphen at a line end."""
    found: set[str] = set()
    for page in pages:
        broken = False
        for line in page:
            found_here = WORD.findall(line.text.lower())
            found.update(found_here[1 if broken else 0 : -1 if line.text.endswith(SOFT_HYPHEN) else None])
            broken = line.text.endswith(SOFT_HYPHEN)
    return frozenset(found)


def _keeps_hyphen(before: str, after: str, vocabulary: Collection[str]) -> bool:
    """Whether the hyphen that broke a line between `before` and `after` is part of what it broke: unless the
    document writes the word whole elsewhere, a compound it writes, one of two words it writes ("gzip" and
    "compressed"), or a hyphen inside a token such as an address or a path ("debian-user@lists.debian.org")."""
    head = before.rsplit(maxsplit=1)[-1]
    tail = after.split(maxsplit=1)[0].rstrip(".,;:!?)]}'\"’”")
    start, end = WORD.findall(head.lower()), WORD.findall(tail.lower())
    if start and end and f"{start[-1]}{end[0]}" in vocabulary:
        return False
    if start and end and (f"{start[-1]}-{end[0]}" in vocabulary or _both_words(start[-1], end[0], vocabulary)):
        return True
    return any(c in "@/:_." for c in head + tail)


def _both_words(left: str, right: str, vocabulary: Collection[str]) -> bool:
    return min(len(left), len(right)) >= 3 and left in vocabulary and right in vocabulary


def _rejoins(before: str, after: str) -> bool:
    """Whether a line ending in `before` breaks a word that the next line, starting with `after`, ends: after
    a soft hyphen always; after a hyphen ("32-" "bit", "apt-" "get"), kept, before a small letter or a digit."""
    if before.endswith(SOFT_HYPHEN):
        return after[0].isalnum()
    return before.endswith("-") and before[-2:-1].isalnum() and (after[0].islower() or after[0].isdigit())


def _continues(before: str, after: str) -> bool:
    """Whether a line ending in `before` breaks a path that the next line, starting with `after`, goes on with
    (TeX breaks paths and addresses without a hyphen: "/usr/lo" "cal/src/."): the last token holds a slash and
    ends in no punctuation but a dot ("https://wiki.debian." "org/DebianEdu/)"), the next one starts with a
    small letter or a digit, not a capital that starts a sentence, and holds a slash too; or an identifier that
    breaks after an underscore."""
    head, tail = before.rsplit(maxsplit=1)[-1], after.split(maxsplit=1)[0]
    if head.endswith("_") and head[-2:-1].isalnum() and tail[:1].isalnum():
        return True  # an identifier broken after an underscore: "R_" "CHECK_ENVIRON"
    return (
        "/" in head
        and not head.endswith((SOFT_HYPHEN, *CLAUSE_END))
        and "/" in tail
        and (tail[0].islower() or tail[0].isdigit())
    )


def _beside(left: Line, right: Line) -> bool:
    """Whether `right` is the next cell of `left`'s table row: level with it, past a gap wider than a word space."""
    return _level(left, right) and right.x0 - left.x1 >= max(MIN_GUTTER, 0.5 * min(left.height, right.height))


def _level(one: Line, other: Line) -> bool:
    return abs(one.middle - other.middle) < 0.5 * min(one.height, other.height)


def reading_order(lines: Sequence[Line], depth: int = 0) -> list[Line]:
    """Column by column where a gutter divides the page (lines that span it separate sections), else row by row;
    a section whose two sides are a table's cells is read row by row."""
    gutter = _gutter(lines) if depth < MAX_DEPTH else None
    if gutter is None:
        return _rows(lines)
    ordered: list[Line] = []
    left: list[Line] = []
    right: list[Line] = []

    def section() -> list[Line]:
        if _table(left, right):
            return _rows(left + right)
        return reading_order(left, depth + 1) + reading_order(right, depth + 1)

    for line in sorted(lines, key=lambda line: line.y0):
        if line.x0 < gutter < line.x1:
            ordered += section()
            left, right = [], []
            ordered.append(line)
        else:
            (left if line.x1 <= gutter else right).append(line)
    return ordered + section()


def _table(left: Sequence[Line], right: Sequence[Line]) -> bool:
    """Whether the lines either side of a gutter are the cells of a table, not two columns of text: short lines
    (a few words; a column of prose has long ones), most of them level with a line across the gutter."""
    if len(left) < 2 or len(right) < 2:
        return False
    cells = len(left) + len(right)
    if sum(len(line.text.split()) <= TABLE_WORDS for side in (left, right) for line in side) < TABLE_SHORT * cells:
        return False
    level = sum(any(_level(line, other) for other in right) for line in left)
    level += sum(any(_level(line, other) for other in left) for line in right)
    return level >= TABLE_LEVEL * cells


def _rows(lines: Sequence[Line]) -> list[Line]:
    """Top to bottom; lines whose middles are within half a line of each other form a row, read left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda line: line.middle):
        row = rows[-1] if rows else None
        if row and _level(line, row[0]):
            row.append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda line: line.x0)]


def _gutter(lines: Sequence[Line]) -> float | None:
    """The middle of the widest vertical gap between column lines, in the middle of the text block, or None."""
    if len(lines) < 4:
        return None
    left, right = min(line.x0 for line in lines), max(line.x1 for line in lines)
    width = right - left
    narrow = sorted((line for line in lines if line.x1 - line.x0 < SPANNING * width), key=lambda line: line.x0)
    if len(narrow) < 4:
        return None
    best: tuple[float, float] | None = None
    reach = narrow[0].x1
    for line in narrow[1:]:
        if line.x0 > reach:
            gap = (line.x0 - reach, (line.x0 + reach) / 2)
            if left + 0.2 * width < gap[1] < right - 0.2 * width and (best is None or gap > best):
                best = gap
        reach = max(reach, line.x1)
    if best is None or best[0] < max(MIN_GUTTER, 0.02 * width):
        return None
    middle = best[1]
    sides = (sum(line.x1 <= middle for line in narrow), sum(line.x0 >= middle for line in narrow))
    return middle if min(sides) >= 2 else None


def without_running_lines(pages: Sequence[Sequence[Line]], heights: Sequence[float]) -> list[list[Line]]:
    """Drop headers and footers: lines in the page margins whose text, digits aside, recurs on half the pages;
    and the top or bottom row of a page, in its margin, where it holds a page number or a line that recurs in
    that row within two pages (a running header that names the chapter)."""
    if len(pages) < 2:
        return [list(page) for page in pages]

    def marginal(line: Line, height: float) -> bool:
        return line.y1 <= MARGIN * height or line.y0 >= (1 - MARGIN) * height

    seen: Counter[str] = Counter()
    for page, height in zip(pages, heights):
        seen.update({_running_key(line.text) for line in page if marginal(line, height)})
    needed = max(2, math.ceil(0.5 * len(pages)))
    running = {key for key, count in seen.items() if count >= needed}
    edges = [_edge_rows(page, height) for page, height in zip(pages, heights)]
    kept = []
    for number, (page, height) in enumerate(zip(pages, heights)):
        near = [edges[n] for n in range(max(0, number - 2), min(len(pages), number + 3)) if n != number]
        dropped = {
            id(line)
            for side, row in enumerate(edges[number])
            if any(_page_furniture(line, height, [rows[side] for rows in near]) for line in row)
            for line in row
        }
        kept.append(
            [
                line
                for line in page
                if id(line) not in dropped and not (marginal(line, height) and _running_key(line.text) in running)
            ]
        )
    return kept


def _edge_rows(page: Sequence[Line], height: float) -> tuple[list[Line], list[Line]]:
    """The top row and the bottom row of a page, where they lie in its margins."""
    if not page:
        return [], []
    top, bottom = min(page, key=lambda line: line.y0), max(page, key=lambda line: line.y1)
    first = [line for line in page if line.y1 <= MARGIN * height and abs(line.middle - top.middle) < 0.5 * top.height]
    last = [
        line
        for line in page
        if line.y0 >= (1 - MARGIN) * height and abs(line.middle - bottom.middle) < 0.5 * bottom.height
    ]
    return first, last


def _page_furniture(line: Line, height: float, rows: Sequence[Sequence[Line]]) -> bool:
    """A page number, a line that recurs in the rows of nearby pages, or a running header's shape (in capitals)
    at the very edge of the page."""
    if is_page_number(line.text) or (min(line.y0, height - line.y1) < EDGE * height and is_running_header(line.text)):
        return True
    key = _running_key(line.text)
    return any(_running_key(other.text) == key for row in rows for other in row)


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split()).lower())


def span_boxes(regions: Sequence[Region], start: int, end: int) -> tuple[Box, ...]:
    """The boxes covering text[start:end]: whole lines, and the share of a line's width for a part of it."""
    boxes = []
    for region in regions:
        a, b = max(start, region.start), min(end, region.end)
        if a >= b:
            continue
        box, length = region.box, max(region.end - region.start, 1)
        width = box.x1 - box.x0
        x0 = box.x0 + width * (a - region.start) / length
        x1 = box.x0 + width * (b - region.start) / length
        boxes.append(Box(box.page, round(x0, 1), box.y0, round(x1, 1), box.y1))
    return tuple(boxes)
