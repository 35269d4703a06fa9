"""The sentence of a question that asks, apart from the scene the sentences before it set."""

from __future__ import annotations

import re

ABBREVIATION = re.compile(r"\b(?:i\.e|e\.g|etc|vs)\.", re.I)  # "i.e." is no word "e" the documents must say
SENTENCES = re.compile(
    r"(?<=[.!?。！？])(?<!i\.e\.)(?<!e\.g\.)(?<!etc\.)(?<!vs\.)\s+(?![a-z])"
)  # "out of the box, i.e. what is the default?" is one sentence; so is one that goes on in lower case


def asking_parts(question: str) -> tuple[list[str], int | None]:
    """The question's sentences, and the index of the last one that asks (ends in "?"), None when none does."""
    parts = SENTENCES.split(question.strip())
    asking = [n for n, part in enumerate(parts) if part.rstrip().endswith(("?", "？"))]
    return parts, asking[-1] if asking else None


def asking_part(question: str) -> str:
    """The sentence of the question that asks (its last one ending in "?"), or all of it."""
    parts, n = asking_parts(question)
    return question if n is None else parts[n]


def scene(question: str) -> str:
    """What the asker says before the sentence that asks ("I ran dquilt new, then dquilt add."), lower-cased."""
    parts, n = asking_parts(question)
    return " ".join(parts[:n]).lower() if n else ""
