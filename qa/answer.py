"""Extractive answers: the best sentences of the retrieved passages, each with its [n] marker."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from qa.answerability import Decision, Evidence, common_terms, decide, gather, sentence_terms
from qa.config import Weights
from qa.embedding import Embedder
from qa.followup import NOTHING_MORE, follow_up_query, unsaid
from qa.retrieval import Retrieval, Sentence, sentence_parts, sentences_of, split_sentences
from qa.sparse import Sparse, terms
from qa.types import Answer, Citation, Hit
from qa.vectors import SentenceVectors

__all__ = [
    "NOT_COVERED",
    "Ranked",
    "Weights",
    "answer_span",
    "answer_type",
    "answer_type_match",
    "assess",
    "extractive_answer",
    "follow_up_query",
    "is_heading",
    "judge",
    "rank_sentences",
    "refusal",
    "restates",
    "split_sentences",
]

NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion billions trillion dozen dozens half quarter twice once"
)
NUMBER = re.compile(rf"\d(?:[\d,.]*\d)?%?|\b(?:{'|'.join(NUMBER_WORDS.split())})\b|%|\bper ?cent\b", re.I)
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday"
MONTHS = "january february march april may june july august september october november december"
TIME = re.compile(
    rf"\b(?:1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b(?:in|by|since|until|from|before|after|around) \d{{3,4}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)\b|\b(?:{'|'.join(MONTHS.split())})\b"
    r"|\b(?:centur(?:y|ies)|decades?|BC|BCE|AD|CE)\b"
    rf"|\b(?:{'|'.join(WEEKDAYS.split())})s?\b|\b\d{{1,2}}(?::\d{{2}})? ?(?:[ap]\.?m\b\.?)|\b\d{{1,2}}:\d{{2}}\b"
    r"|\bo'clock\b|\b(?:noon|midnight|(?:in the )?(?:morning|afternoon|evening))\b"
    r"|星期[一二三四五六日天]|周[一二三四五六日]|[0-9一二三四五六七八九十]+[年月日号点]",
    re.I,
)
CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]*")
PLACE_NOUNS = (
    "country countries city cities state states region county counties continent river island town area nation"
)
QUESTION_TYPES = (
    (
        "number",
        re.compile(
            r"\bhow (?:many|much|long|old|far|big|large|tall|high|often)\b"
            r"|\bwhat (?:percentage|percent|number|amount|population|size)\b",
            re.I,
        ),
    ),
    (
        "time",
        re.compile(r"\bwhen\b|\b(?:what|which|in what) (?:year|years|date|century|decade|time|month|day)\b", re.I),
    ),
    ("person", re.compile(r"\bwho\b|\bwhom\b|\bwhose\b", re.I)),
    ("place", re.compile(rf"\bwhere\b|\b(?:what|which) (?:{'|'.join(PLACE_NOUNS.split())})\b", re.I)),
)
NOT_COVERED = "The corpus does not cover this question."


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
    return np.array(
        [
            weights.semantic * s.cosine
            + weights.lexical * s.lexical
            + weights.context * s.context
            + weights.passage * (min(max(s.hit.score / top, 0.0), 1.0) if top > 0 else 0.0)
            + weights.answer_type * answer_type_match(question, s.text)
            for s in sentences
        ]
    )


def citation(number: int, hit: Hit, start: int, end: int, score: float) -> Citation:
    span, text = hit.chunk.part(start, end)
    return Citation(number, span, text, round(float(score), 4))


@dataclass(frozen=True)
class Ranked:
    """The usable sentences of a retrieval, their combined scores, best first in `order`."""

    sentences: list[Sentence]
    combined: np.ndarray
    order: np.ndarray

    @property
    def best(self) -> int:
        return int(self.order[0])


def rank_sentences(
    question: str,
    retrieval: Retrieval,
    embedder: Embedder,
    sparse: Sparse,
    weights: Weights = Weights(),
    stored: SentenceVectors | None = None,
) -> Ranked | None:
    """The retrieved passages' sentences scored for `question`; None when there are none."""
    sentences = list(retrieval.sentences)
    if retrieval.hits and not sentences:
        sentences = sentences_of(retrieval.hits, retrieval.vector, retrieval.question, embedder, sparse, stored)
    sentences = [s for s in sentences if usable(s)]
    if not sentences:
        return None
    combined = score_sentences(retrieval.question, sentences, weights)
    return Ranked(sentences, combined, np.argsort(-combined, kind="stable"))


def assess(question: str, ranked: Ranked, sparse: Sparse) -> Evidence:
    """The evidence that the best sentence answers `question` (qa.answerability)."""
    kinds = [answer_type_match(question, s.text) > 0 for s in ranked.sentences]
    return gather(question, ranked.sentences, ranked.combined, ranked.best, sparse, answer_type(question), kinds)


def judge(
    question: str,
    retrieval: Retrieval,
    embedder: Embedder,
    sparse: Sparse,
    weights: Weights = Weights(),
    stored: SentenceVectors | None = None,
    strictness: float | None = None,
) -> tuple[Ranked | None, Decision]:
    """The ranked sentences, and whether they answer the question: one decision for every answer mode."""
    ranked = rank_sentences(question, retrieval, embedder, sparse, weights, stored)
    if ranked is None:
        return None, Decision(False, 0.0, "Nothing in the documents is close to this question.")
    return ranked, decide(assess(retrieval.question, ranked, sparse), strictness)


def extractive_answer(
    question: str,
    retrieval: Retrieval,
    embedder: Embedder,
    sparse: Sparse,
    weights: Weights = Weights(),
    stored: SentenceVectors | None = None,
    strictness: float | None = None,
    avoid: Sequence[str] = (),
) -> Answer:
    """The best sentences of the retrieved passages, or a refusal with its reason when the evidence says
    they do not answer the question. Sentences that the answers in `avoid` hold are not said again."""
    new = unsaid(retrieval.sentences, avoid)
    repeats = len(new) < len(retrieval.sentences)
    if repeats and not new:
        return refusal(question, retrieval.hits, NOTHING_MORE)
    retrieval = replace(retrieval, sentences=new)
    ranked, decision = judge(question, retrieval, embedder, sparse, weights, stored, strictness)
    if ranked is None or not decision.answered:
        return refusal(question, retrieval.hits, NOTHING_MORE if repeats else decision.reason)
    sentences, combined, order = ranked.sentences, ranked.combined, ranked.order
    best = float(combined[order[0]])
    chosen = [
        int(i) for i in order[: weights.max_sentences] if i == order[0] or combined[i] >= weights.keep_ratio * best
    ]
    spans = [answer_span(retrieval.question, sentences[i]) for i in chosen]
    kept = [n for n, span in enumerate(spans) if not any(_inside(span, other) for other in spans[:n])]
    citations = [
        citation(number, sentences[chosen[n]].hit, *spans[n], combined[chosen[n]])
        for number, n in enumerate(kept, start=1)
    ]
    text = " ".join(f"{c.text} [{c.id}]" for c in citations)
    return Answer(question, text, True, tuple(citations))


def _inside(span: tuple[int, int], other: tuple[int, int]) -> bool:
    return other[0] <= span[0] and span[1] <= other[1]


def restates(question: str, sentence: str) -> bool:
    """The sentence says little the question does not already say ("A syntax is proposed for X")."""
    said = set(terms(question)) | common_terms()
    own = set(sentence_terms(sentence)) - common_terms()
    new = own - said
    return len(new) <= 1 or len(new) < 0.3 * len(own)


def answer_span(question: str, sentence: Sentence) -> tuple[int, int]:
    """Where the answer is: the sentence itself, or, when it only restates the question or lacks the kind of
    thing asked for that the next sentence holds, the sentence and the next one (one contiguous span)."""
    chunk = sentence.hit.chunk
    spans, _ = sentence_parts(chunk.text)
    local_end = sentence.end - chunk.start
    following = [(a, b) for a, b in spans if a >= local_end]
    if not following:
        return sentence.start, sentence.end
    a, b = following[0]
    after = chunk.text[a:b]
    asked = answer_type(question) is not None
    lacks_kind = asked and not answer_type_match(question, sentence.text) and answer_type_match(question, after)
    if lacks_kind or (restates(question, sentence.text) and not answer_type_match(question, sentence.text)):
        return sentence.start, chunk.start + b
    return sentence.start, sentence.end


def refusal(question: str, hits: Sequence[Hit], reason: str = "", shown: int = 3) -> Answer:
    """The documents do not say: the reason, and the closest passages to read instead."""
    citations = tuple(
        citation(n, hit, hit.chunk.start, hit.chunk.end, hit.score) for n, hit in enumerate(hits[:shown], start=1)
    )
    if not citations:
        return Answer(
            question,
            f"{NOT_COVERED} The index has no passages yet.",
            False,
            (),
            reason="The index has no passages yet.",
        )
    markers = " ".join(f"[{c.id}]" for c in citations)
    why = reason or "Nothing in the documents answers it."
    return Answer(question, f"{NOT_COVERED} {why} The closest passages are {markers}.", False, citations, reason=why)
