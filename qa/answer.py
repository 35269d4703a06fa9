"""Extractive answers: the best sentences of the retrieved passages, each with its [n] marker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from qa.embedding import Embedder
from qa.retrieval import Retrieval, Sentence, sentences_of, split_sentences
from qa.sparse import Sparse, terms
from qa.types import Answer, Citation, Hit
from qa.vectors import SentenceVectors

__all__ = [
    "NOT_COVERED", "Weights", "answer_type", "answer_type_match", "covered", "evidence", "extractive_answer",
    "follow_up_query", "is_heading", "refusal", "split_sentences",
]

FOLLOW_UP = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|there|ones?)\b", re.I)
NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion billions trillion dozen dozens half quarter twice once"
)
NUMBER = re.compile(rf"\d(?:[\d,.]*\d)?%?|\b(?:{'|'.join(NUMBER_WORDS.split())})\b|%|\bper ?cent\b", re.I)
MONTHS = "january february march april may june july august september october november december"
TIME = re.compile(
    rf"\b(?:1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b(?:in|by|since|until|from|before|after|around) \d{{3,4}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)\b|\b(?:{'|'.join(MONTHS.split())})\b"
    r"|\b(?:centur(?:y|ies)|decades?|BC|BCE|AD|CE)\b",
    re.I,
)
CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]*")
PLACE_NOUNS = "country countries city cities state states region county counties continent river island town area nation"
QUESTION_TYPES = (
    ("number", re.compile(r"\bhow (?:many|much|long|old|far|big|large|tall|high|often)\b"
                          r"|\bwhat (?:percentage|percent|number|amount|population|size)\b", re.I)),
    ("time", re.compile(r"\bwhen\b|\b(?:what|which|in what) (?:year|years|date|century|decade|time|month|day)\b", re.I)),
    ("person", re.compile(r"\bwho\b|\bwhom\b|\bwhose\b", re.I)),
    ("place", re.compile(rf"\bwhere\b|\b(?:what|which) (?:{'|'.join(PLACE_NOUNS.split())})\b", re.I)),
)
NOT_COVERED = "The corpus does not cover this question."
FULL_MATCH = 0.999  # Sentence.lexical of a sentence holding every term of the question


@dataclass(frozen=True)
class Weights:
    """How sentence evidence is combined; chosen on the tuning articles, see benchmarks/quality.py."""

    semantic: float = 1.0  # cosine of sentence and question
    lexical: float = 1.0  # share of the question's term weight found in the sentence
    context: float = 0.5  # the same share, found in the sentence or its neighbours
    passage: float = 0.4  # the chunk's retrieval score relative to the best chunk
    answer_type: float = 0.5  # the sentence holds the kind of thing asked for (who, when, how many, where)
    refuse_below: float = 0.33  # best sentence cosine below this: not covered (`benchmarks/quality.py --calibrate`)
    max_sentences: int = 3
    keep_ratio: float = 0.85  # further sentences must score this share of the best one


def is_heading(text: str) -> bool:
    return text.endswith(":") or (len(text.split()) < 6 and not re.search(r"[.!?。！？]$", text))


def answer_type(question: str) -> str | None:
    """number, time, person or place when the question asks for one, else None."""
    return next((kind for kind, pattern in QUESTION_TYPES if pattern.search(question)), None)


def answer_type_match(question: str, sentence: str) -> float:
    """1.0 when the sentence holds something of the asked-for kind that the question does not already say."""
    kind = answer_type(question)
    if kind is None:
        return 0.0
    asked = {w.lower() for w in re.findall(r"[\w'’-]+", question)}
    if kind == "number":
        found = [m.group() for m in NUMBER.finditer(sentence)]
    elif kind == "time":
        found = [m.group() for m in TIME.finditer(sentence)]
    else:
        found = [m.group() for m in CAPITALISED.finditer(sentence)]
    return 1.0 if any(f.split()[-1].lower() not in asked for f in found if f.strip()) else 0.0


def usable(sentence: Sentence) -> bool:
    return not is_heading(sentence.text) and len(sentence.text) >= 12


def score_sentences(question: str, sentences: Sequence[Sentence], weights: Weights) -> np.ndarray:
    if not sentences:
        return np.zeros(0)
    top = max(s.hit.score for s in sentences)
    return np.array([
        weights.semantic * s.cosine
        + weights.lexical * s.lexical
        + weights.context * s.context
        + weights.passage * (s.hit.score / top if top > 0 else 0.0)
        + weights.answer_type * answer_type_match(question, s.text)
        for s in sentences
    ])


def evidence(sentences: Sequence[Sentence]) -> float:
    """The best sentence's cosine to the question, which `Weights.refuse_below` is calibrated on."""
    return max((s.cosine for s in sentences), default=float("-inf"))


def covered(sentences: Sequence[Sentence], weights: Weights) -> bool:
    """Whether the passages answer the question: a sentence close to it in meaning, or one holding all its terms.

    Meaning decides, not partial word overlap: a shared stem ("capital", "capitalizing") must not make an
    off-topic question look covered. A sentence with every term of the question covers it even when the
    English model embeds it poorly, as with a Chinese question.
    """
    return evidence(sentences) >= weights.refuse_below or any(s.lexical >= FULL_MATCH for s in sentences)


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
    stored: SentenceVectors | None = None,
) -> Answer:
    """The best sentences of the retrieved passages, or a refusal when none is close enough to the question."""
    sentences = list(retrieval.sentences)
    if retrieval.hits and not sentences:
        sentences = sentences_of(retrieval.hits, retrieval.vector, retrieval.question, embedder, sparse, stored)
    sentences = [s for s in sentences if usable(s)]
    if not sentences or not covered(sentences, weights):
        return refusal(question, retrieval.hits)
    combined = score_sentences(retrieval.question, sentences, weights)
    order = np.argsort(-combined, kind="stable")
    best = float(combined[order[0]])
    chosen = [int(i) for i in order[: weights.max_sentences] if i == order[0] or combined[i] >= weights.keep_ratio * best]
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
