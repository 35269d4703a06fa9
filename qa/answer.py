"""Extractive answers: the best sentences of the retrieved passages, each with its [n] marker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from qa.embedding import Embedder
from qa.retrieval import Retrieval
from qa.sparse import Sparse, terms
from qa.types import Answer, Citation, Hit

SENTENCE_END = re.compile(r"(?<=[.!?。！？])[\"'”’)\]]*\s+|(?<=[。！？])|\s*\n\s*")
FOLLOW_UP = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|there|ones?)\b", re.I)
NUMBER = re.compile(r"\d")
YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b|\b(century|january|february|march|april|may|june|july|august|september|october|november|december)\b", re.I)
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
NOT_COVERED = "The corpus does not cover this question."


@dataclass(frozen=True)
class Weights:
    """How sentence evidence is combined; chosen on tuning data, see benchmarks/quality.py."""

    semantic: float = 1.0
    lexical: float = 0.5
    passage: float = 0.3
    answer_type: float = 0.1
    refuse_below: float = 0.3
    max_sentences: int = 3
    keep_ratio: float = 0.85


@dataclass(frozen=True)
class Sentence:
    hit_rank: int
    hit: Hit
    start: int  # offsets into the source file's text
    end: int
    text: str


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, whitespace trimmed."""
    spans, begin = [], 0
    for match in SENTENCE_END.finditer(text):
        spans.append((begin, match.start()))
        begin = match.end()
    spans.append((begin, len(text)))
    out = []
    for start, end in spans:
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            out.append((start + lead, start + lead + len(stripped)))
    return out


def is_heading(text: str) -> bool:
    return text.endswith(":") or (len(text.split()) < 6 and not re.search(r"[.!?。！？]$", text))


def candidates(hits: Sequence[Hit]) -> list[Sentence]:
    """Sentences of the hits, each once, in retrieval order."""
    seen: set[tuple[str, int]] = set()
    out = []
    for rank, hit in enumerate(hits):
        chunk = hit.chunk
        for start, end in split_sentences(chunk.text):
            text = chunk.text[start:end]
            key = (chunk.source, chunk.start + start)
            if key in seen or is_heading(text) or len(text) < 12:
                continue
            seen.add(key)
            out.append(Sentence(rank, hit, chunk.start + start, chunk.start + end, text))
    return out


def answer_type_match(question: str, sentence: str) -> float:
    q = question.lower()
    if re.search(r"\bhow (many|much|long|old|far|big|large)\b|\bwhat (percentage|number|amount)\b", q):
        return 1.0 if NUMBER.search(sentence) else 0.0
    if re.search(r"\bwhen\b|\bwhat (year|date|century|time)\b", q):
        return 1.0 if YEAR.search(sentence) else 0.0
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b", q):
        return 1.0 if NAME.search(sentence) else 0.0
    return 0.0


def lexical_overlap(question_terms: Sequence[str], sentence: str, idf: dict[str, float]) -> float:
    total = sum(idf.get(t, 0.0) for t in set(question_terms))
    if total <= 0:
        return 0.0
    present = set(terms(sentence))
    return sum(idf.get(t, 0.0) for t in set(question_terms) if t in present) / total


def score_sentences(
    retrieval: Retrieval, sentences: list[Sentence], embedder: Embedder, sparse: Sparse, weights: Weights
) -> tuple[np.ndarray, np.ndarray]:
    """(combined score, cosine) per sentence."""
    if not sentences:
        return np.zeros(0), np.zeros(0)
    vectors = embedder.encode([s.text for s in sentences], batch_size=64)
    cosine = vectors @ retrieval.vector
    question_terms = terms(retrieval.question)
    idf = sparse.idf(question_terms)
    lexical = np.array([lexical_overlap(question_terms, s.text, idf) for s in sentences])
    passage = np.array([s.hit.score for s in sentences])
    kind = np.array([answer_type_match(retrieval.question, s.text) for s in sentences])
    combined = (
        weights.semantic * cosine + weights.lexical * lexical + weights.passage * passage + weights.answer_type * kind
    )
    return combined, cosine


def citation(number: int, hit: Hit, start: int, end: int, score: float) -> Citation:
    chunk = hit.chunk
    local = chunk.text[start - chunk.start : end - chunk.start]
    line_start = chunk.line_start + chunk.text.count("\n", 0, start - chunk.start)
    line_end = line_start + local.count("\n")
    return Citation(number, chunk.source, start, end, line_start, line_end, chunk.page, local, round(float(score), 4))


def extractive_answer(
    question: str,
    retrieval: Retrieval,
    embedder: Embedder,
    sparse: Sparse,
    weights: Weights = Weights(),
) -> Answer:
    sentences = candidates(retrieval.hits)
    combined, cosine = score_sentences(retrieval, sentences, embedder, sparse, weights)
    if not len(sentences) or float(cosine.max()) < weights.refuse_below:
        return refusal(question, retrieval.hits)
    order = np.argsort(-combined)
    best = float(combined[order[0]])
    chosen = [int(i) for i in order[: weights.max_sentences] if combined[i] >= weights.keep_ratio * best or i == order[0]]
    citations = [
        citation(n, sentences[i].hit, sentences[i].start, sentences[i].end, combined[i])
        for n, i in enumerate(chosen, start=1)
    ]
    text = " ".join(f"{c.text} [{c.id}]" for c in citations)
    return Answer(question, text, True, tuple(citations))


def refusal(question: str, hits: Sequence[Hit], shown: int = 3) -> Answer:
    citations = tuple(
        citation(n, hit, hit.chunk.start, hit.chunk.end, hit.score) for n, hit in enumerate(hits[:shown], start=1)
    )
    if not citations:
        return Answer(question, f"{NOT_COVERED} The index has no passages yet.", False, ())
    markers = " ".join(f"[{c.id}]" for c in citations)
    return Answer(question, f"{NOT_COVERED} The closest passages are {markers}.", False, citations)


def follow_up_query(question: str, history: Sequence[tuple[str, str]]) -> str:
    """A follow-up that leans on the previous turn ("which cities does it include?") carries that turn's question."""
    if not history:
        return question
    if FOLLOW_UP.search(question) or len(terms(question)) <= 2:
        return f"{history[-1][0]} {question}"
    return question
