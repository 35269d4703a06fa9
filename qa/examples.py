"""Example questions drawn from the indexed documents: question-shaped lines and headings, each offered only
when the index answers it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain, zip_longest

from qa.api import Index

SCANNED_CHUNKS = 400  # chunks read for candidates, each document in turn
TRIES = 12  # candidates asked at most, so a large corpus costs a second or two once per version
MARKUP = re.compile(r"^(?:#{1,6}\s+|[-*+]\s+|\d{1,3}[.)]\s+|Q:\s*|\*\*)+|\*\*$")
WORD = re.compile(r"[^\W\d_][\w'’-]*")


def suggested_questions(index: Index, limit: int = 4) -> tuple[str, ...]:
    """Up to `limit` questions from the documents that the index answers, one document after another;
    none when the documents hold no question or heading it answers."""
    chosen: list[str] = []
    for question in list(candidates(index.snapshot.sample_texts(SCANNED_CHUNKS)))[:TRIES]:
        answer = index.ask(question)
        if answer.answered and answer.citations:
            chosen.append(question)
            if len(chosen) == limit:
                break
    return tuple(chosen)


def candidates(texts: Iterable[tuple[str, str]]) -> Iterator[str]:
    """Question-shaped lines first, then questions on headings, taking each document in turn."""
    asked: dict[str, list[str]] = {}
    headed: dict[str, list[str]] = {}
    for source, text in texts:
        lines = [_bare(line) for line in text.splitlines()]
        for number, line in enumerate(lines):
            if _is_question(line):
                asked.setdefault(source, []).append(line)
            elif _is_heading(line, lines, number):
                headed.setdefault(source, []).append(f"What is said about {line.rstrip(':')}?")
    seen: set[str] = set()
    for group in (asked, headed):
        for question in chain.from_iterable(zip_longest(*group.values())):
            if question and question.lower() not in seen:
                seen.add(question.lower())
                yield question


def _bare(line: str) -> str:
    return MARKUP.sub("", line.strip()).strip()


def _is_question(line: str) -> bool:
    return line.endswith("?") and 3 <= len(WORD.findall(line)) <= 16 and line[:1].isupper() and len(line) <= 120


def _is_heading(line: str, lines: list[str], number: int) -> bool:
    """A short capitalised line standing alone, ending without a full stop."""
    words = WORD.findall(line)
    alone = all(not lines[n] for n in (number - 1, number + 1) if 0 <= n < len(lines))
    return alone and 2 <= len(words) <= 8 and line[:1].isupper() and line[-1:] not in ".,;?!" and len(line) <= 70
