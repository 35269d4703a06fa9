"""Questions about the order of a list ("In the sequence run by dh binary, which one comes right before
dh_builddeb?"): the answer is the line next to the named one in a block of lines, on the side asked for."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.units import is_block_line

NAME = r"[`'\"“‘]?([\w./+~-]*[\w/+~])"
ORDER = re.compile(
    rf"\b(?:what|which|quel(?:le)?s?|laquelle|lequel)\b[^?]*?\b(before|after|precedes|follows|avant|après)\s+{NAME}",
    re.IGNORECASE,
)  # "which one comes right before dh_builddeb", "laquelle vient juste avant dh_builddeb"
ORDER_AFTER_NAME = re.compile(rf"{NAME}\s*の?(之前|前面|前一个|直前|之后|后面|后一个|直後)")  # Chinese, Japanese
BEFORE = ("before", "precedes", "avant")


@dataclass(frozen=True)
class Neighbour:
    """The line asked for is just before (side -1) or just after (side 1) the line that names `name`."""

    side: int
    name: str


def asked(question: str) -> Neighbour | None:
    match = ORDER.search(question)
    if match is not None:
        return Neighbour(-1 if match.group(1).lower() in BEFORE else 1, match.group(2))
    match = ORDER_AFTER_NAME.search(question)
    if match is not None and re.search(r"[哪何什]", question):
        return Neighbour(-1 if "前" in match.group(2) else 1, match.group(1))
    return None


def next_to(neighbour: Neighbour, text: str, start: int, end: int) -> bool:
    """The line of `text` that holds [start, end) is the named line's neighbour on the asked side, in one block
    (no blank line between them): "dh_md5sums" for "before dh_builddeb" in "dh_md5sums\ndh_builddeb"."""
    return named_line(neighbour, text, start, end) is not None


def named_line(neighbour: Neighbour, text: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the named line is, when it is next to the line that holds [start, end) on the asked side, both lines of
    a block (commands, list items, table rows), not prose."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if neighbour.side < 0:
        if line_end >= len(text):
            return None
        a = line_end + 1
        b = text.find("\n", a)
        b = len(text) if b < 0 else b
    else:
        if line_start == 0:
            return None
        b = line_start - 1
        a = text.rfind("\n", 0, b) + 1
    words = text[a:b].split()
    lines = (text[a:b], text[line_start:line_end])
    if not words or words[0].strip("$#") != neighbour.name or not all(is_block_line(x, prompts=True) for x in lines):
        return None
    return a, b
