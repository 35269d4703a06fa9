"""Question words matched to a passage by meaning: each word's vector is the mean of its tokens' states in the
model's pass over its own text (as in BERTScore), and a question word counts as said when some word of the
passage comes close enough. "grow" finds "flourish", "deleted" finds "erased"; "population" finds nothing
in an article that never gives one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.embedding import Embedder
from qa.sparse import STOPWORDS, terms

WORD = re.compile(r"[^\W_][\w'’.+/~@$-]*")
FRAME = Path(__file__).with_name("frame_words.txt")
THRESHOLD = 0.55  # cosine of two words' token states; chosen on the debian-dev and SQuAD tuning questions


@lru_cache(maxsize=1)
def frame_terms(path: Path = FRAME) -> frozenset[str]:
    """Stems of the words that only frame a question ("besides", "just", "opposed"): never what it is about."""
    words = [w for line in path.read_text().splitlines() if not line.startswith("#") for w in line.split()]
    return frozenset(t for w in words for t in terms(w))


def matched(embedder: Embedder, question: str, passage: str, wanted: Sequence[str]) -> set[str]:
    """The terms of `wanted` (stems of question words) whose words some word of `passage` means."""
    wanted_set = set(wanted)
    asked = [(m.start(), m.end()) for m in WORD.finditer(question) if set(terms(m.group())) & wanted_set]
    said = [(m.start(), m.end()) for m in WORD.finditer(passage) if _content(m.group())]
    if not asked or not said:
        return set()
    words = embedder.encode_passages([question, passage], [asked, said])[1].astype(np.float32)
    best = (words[: len(asked)] @ words[len(asked) :].T).max(axis=1)
    return {t for (a, b), score in zip(asked, best) if score >= THRESHOLD for t in terms(question[a:b])} & wanted_set


def _content(word: str) -> bool:
    lower = word.lower()
    return lower not in STOPWORDS and not (set(terms(lower)) <= frame_terms())
