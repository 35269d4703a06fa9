"""Reading order for lines of text placed on pages: columns, rows, paragraphs, running headers and footers."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from qa.types import Box, Region

MARGIN = 0.12  # share of the page height at its top and bottom where running headers and footers sit
SPANNING = 0.6  # a line wider than this share of the text block is not inside one column
MIN_GUTTER = 6.0  # page units; a narrower gap between columns is a word space
PARAGRAPH_GAP = 0.7  # a vertical gap above this share of the line height starts a paragraph
MAX_DEPTH = 3  # columns within columns, at most


@dataclass(frozen=True)
class Line:
    """One line of text and its box on the page, origin at the top left."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float

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


def page_text(lines: Sequence[Line]) -> PageText:
    """The lines in reading order, joined: a new paragraph where the vertical gap is wide, else one newline."""
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
            separator = "\n\n" if gap > PARAGRAPH_GAP * height else "\n"
            parts.append(separator)
            offset += len(separator)
        placed.append((offset, offset + len(text), line))
        parts.append(text)
        offset += len(text)
        previous = line
    return PageText("".join(parts), tuple(placed))


def reading_order(lines: Sequence[Line], depth: int = 0) -> list[Line]:
    """Column by column where a gutter divides the page (lines that span it separate sections), else row by row."""
    gutter = _gutter(lines) if depth < MAX_DEPTH else None
    if gutter is None:
        return _rows(lines)
    ordered: list[Line] = []
    left: list[Line] = []
    right: list[Line] = []
    for line in sorted(lines, key=lambda line: line.y0):
        if line.x0 < gutter < line.x1:
            ordered += reading_order(left, depth + 1) + reading_order(right, depth + 1)
            left, right = [], []
            ordered.append(line)
        else:
            (left if line.x1 <= gutter else right).append(line)
    return ordered + reading_order(left, depth + 1) + reading_order(right, depth + 1)


def _rows(lines: Sequence[Line]) -> list[Line]:
    """Top to bottom; lines whose middles are within half a line of each other form a row, read left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda line: line.middle):
        row = rows[-1] if rows else None
        if row and abs(line.middle - row[0].middle) < 0.5 * min(line.height, row[0].height):
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
    """Drop headers and footers: lines in the page margins whose text, digits aside, recurs on half the pages."""
    if len(pages) < 2:
        return [list(page) for page in pages]

    def marginal(line: Line, height: float) -> bool:
        return line.y1 <= MARGIN * height or line.y0 >= (1 - MARGIN) * height

    seen: Counter[str] = Counter()
    for page, height in zip(pages, heights):
        seen.update({_running_key(line.text) for line in page if marginal(line, height)})
    needed = max(2, math.ceil(0.5 * len(pages)))
    running = {key for key, count in seen.items() if count >= needed}
    return [
        [line for line in page if not (marginal(line, height) and _running_key(line.text) in running)]
        for page, height in zip(pages, heights)
    ]


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
