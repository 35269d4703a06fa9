"""Page furniture: the parts of a printed page that are not its content (contents lines, page numbers, running
headers), which are never an answer."""

from __future__ import annotations

import re

# "7.12 How do I put a package on hold? . . . . . 31", "Introduction ........ iv"
DOT_LEADER = re.compile(r"(?:(?:\.\s*){5,}|(?:…\s*){2,})(?:\d{1,4}|[ivxlcdm]{1,7})?\s*$", re.IGNORECASE)
PAGE_NUMBER = re.compile(
    r"[-–—]?\s*(?:page\s+)?(?:\d{1,4}|[ivxlcdm]{1,7})(?:\s*(?:/|of)\s*\d{1,4})?\s*[-–—]?", re.IGNORECASE
)
DIVISION = re.compile(
    r"(?:chapter|part|section|appendix|annex)\s+(?:\d{1,3}|[ivxlc]{1,6}|[a-z])\.?|(?:table of )?contents|index",
    re.IGNORECASE,
)
NAVIGATION = re.compile(  # an index's letters; a node's links to its neighbours ("Next: X, Previous: Y, Up: Z")
    r"Jump to:\s|(?:Next|Previous|Prev|Up): [^,\n]{1,80}, (?:Next|Previous|Prev|Up): ", re.IGNORECASE
)
HEADER_WORDS = 16  # an upper-case line of at most this many words is a running header's shape


def is_furniture(text: str) -> bool:
    """Whether a sentence or line is page furniture: a contents line with a dot leader, a lone page number, a
    bare "Chapter 7", a short line in capitals such as "CHAPTER 7. PACKAGE MANAGEMENT" (a running header), or a
    line of links to other parts ("Jump to: | A B C", "Next: Readline vi Mode, Previous: ...")."""
    words = " ".join(text.split())
    if not words:
        return False
    if DOT_LEADER.search(words) or is_page_number(words) or DIVISION.fullmatch(words) or NAVIGATION.match(words):
        return True
    return is_running_header(words)


def is_page_number(text: str) -> bool:
    """Whether `text` is only a page number: "12", "xiv", "Page 3 of 10", "- 4 -"."""
    return PAGE_NUMBER.fullmatch(text.strip()) is not None


def is_running_header(words: str) -> bool:
    """An upper-case line of a few words that does not end like a sentence."""
    letters = [c for c in words if c.isupper() or c.islower()]  # cased letters only: CJK has no capitals
    if len(letters) < 4 or any(c.islower() for c in letters) or len(words.split()) > HEADER_WORDS:
        return False
    return not words.endswith((".", "!", "?", "。", "！", "？")) or words.endswith("...")
