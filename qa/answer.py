"""Extractive answers: the best sentences of the retrieved passages (qa.ranking), each with its [n] marker, or a
refusal with its reason."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import partial

import numpy as np

from qa import across, kinds, meaning, sequence
from qa.answerability import Decision, Evidence, common_terms, decide, gather, sentence_terms
from qa.config import Weights
from qa.embedding import Embedder
from qa.followup import NOTHING_MORE, follow_up_query, unsaid
from qa.ranking import (
    HEADED,
    Ranked,
    answer_type,
    answer_type_match,
    chosen,
    is_field,
    is_heading,
    kinds_found,
    local,
    names_release,
    rank_sentences,
    unit_span,
    unit_text,
)
from qa.retrieval import Retrieval, Sentence, sentence_parts, split_sentences
from qa.short import short_answer
from qa.sparse import Sparse, terms
from qa.types import Answer, Chunk, Citation, Hit
from qa.units import headings_over, is_block_line, unit_of
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

NOT_COVERED = "The corpus does not cover this question."
FOREIGN = "The question seems to be in another language than the documents; ask it in the documents' language."
STATED_WITHIN = 4  # sentences after a unit, in its paragraph, that may say the state asked for ("The default ...")
# The next sentence goes on about the last one's subject, or gives its examples ("From supply chain optimization
# to ...,", "Initiatives such as ...").
CONTINUES = re.compile(
    r"(?:This|These|Those|Such|It|They|Its|Their|For (?:example|instance)|In particular)\b"
    r"|From [^,.;]{1,80} to [^,.;]{1,80},|[A-Z]\w+(?:\s\S+){0,2}\ssuch as\s"
)


def citation(number: int, hit: Hit, start: int, end: int, score: float, also_in: Sequence[str] = ()) -> Citation:
    span, text = hit.chunk.part(start, end)
    homes = tuple(s for s in dict.fromkeys([*hit.also_in, *also_in]) if s != span.source)
    return Citation(number, span, text, round(float(score), 4), also_in=homes)


def assess(
    question: str, ranked: Ranked, sparse: Sparse, embedder: Embedder | None = None, words: np.ndarray | None = None
) -> Evidence:
    """The evidence that the best sentence answers `question` (qa.answerability); with the `embedder`, question
    words the passage says in other words count as said (qa.meaning)."""
    units = ranked.units or tuple(unit_text(s, unit_span(s)) for s in ranked.sentences)
    found = ranked.has_kind or kinds_found(question, units)
    meant = None if embedder is None else partial(meaning.closeness, embedder, question, words=words)
    kind = kinds.asked(question)
    if kinds.in_other_sense(question, kind, units):  # "what fields are AI startups exploring": areas, no fields
        kind, found = None, [False] * len(units)
    return gather(
        question, ranked.sentences, ranked.combined, ranked.best, sparse, kind, found, meant, units[ranked.best]
    )


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
    if retrieval.across:
        cosines = np.array([s.multilingual for s in ranked.sentences])
        kind = kinds.asked(retrieval.question)
        picked = chosen(ranked, weights)[0]
        cited = [ranked.units[i] for i in picked]
        given = kind not in kinds.REFUSING_KINDS or any(kinds.holds(retrieval.question, kind, unit) for unit in cited)
        unknown = [*retrieval.unwritten, *across.unknown_names(retrieval.question, sparse)]
        unsaid = across.unsaid_states(retrieval.question, [ranked.sentences[i].hit.chunk.text for i in picked])
        return ranked, across.decide(retrieval.question, cosines, strictness, kind, given, unknown, unsaid)
    evidence = assess(retrieval.question, ranked, sparse, embedder, retrieval.words)
    if retrieval.unwritten:  # "what came with 2.23.0?" where no document writes 2.23.0
        evidence = replace(
            evidence, unknown=retrieval.unwritten + evidence.unknown, absent=retrieval.unwritten + evidence.absent
        )
    decision = decide(evidence, strictness)
    if not decision.answered and meaning.foreign(retrieval.question, sparse.vocab):
        decision = replace(decision, reason=FOREIGN)
    return ranked, decision


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
    if (repeats and not new) or asks_what_was_said(question, avoid):
        return refusal(question, retrieval.hits, NOTHING_MORE)
    retrieval = replace(retrieval, sentences=new)
    ranked, decision = judge(question, retrieval, embedder, sparse, weights, stored, strictness)
    if ranked is None or not decision.answered:
        return refusal(question, retrieval.hits, NOTHING_MORE if repeats else decision.reason)
    sentences, combined = ranked.sentences, ranked.combined
    picked, homes = chosen(ranked, weights)
    spans = [answer_span(retrieval.question, sentences[i], across=retrieval.across) for i in picked]
    sources = [sentences[i].hit.chunk.source for i in picked]
    kept: list[int] = []
    for n, span in enumerate(spans):
        own = (sentences[picked[n]].start, sentences[picked[n]].end)
        for candidate in dict.fromkeys([span, own]):  # a sentence whose extension reaches a kept one is cited alone
            if not any(sources[m] == sources[n] and _overlap(candidate, spans[m]) for m in kept):
                spans[n] = candidate
                kept.append(n)
                break
    best = spans[kept[0]]
    kept = bridged([sentences[picked[n]].hit for n in range(len(picked))], spans, kept)
    citations = [
        citation(number, sentences[picked[n]].hit, *spans[n], combined[picked[n]], homes[picked[n]])
        for number, n in enumerate(kept, start=1)
    ]
    text = " ".join(f"{c.text} [{c.id}]" for c in citations)
    asked = f"{question} {retrieval.said}" if retrieval.across else question  # what it says in the documents' words
    first = citations[0].span.start
    short = short_answer(asked, citations[0], (best[0] - first, best[1] - first))
    return Answer(question, text, True, tuple(citations), short=short)


def bridged(hits: Sequence[Hit], spans: list[tuple[int, int]], kept: list[int]) -> list[int]:
    """`kept` (indices into `spans`, best first) with two spans of prose in one paragraph that one sentence parts
    cited as one contiguous span, that sentence with them, in the better one's place: "you need to enable password
    login ... To do this, enable Less Secure Apps. After this, log in ..." reads whole. Sentences next to each other
    stay two citations, and so do lines of a record, a list or a block. `spans` is updated in place."""
    out: list[int] = []
    for m in kept:
        chunk = hits[m].chunk
        for n in out:
            if hits[n].chunk.source != chunk.source or not _one_gap(hits[n], spans[n], spans[m]):
                continue
            joined = (min(spans[n][0], spans[m][0]), max(spans[n][1], spans[m][1]))
            if any(
                k not in (n, m) and hits[k].chunk.source == chunk.source and _overlap(joined, spans[k]) for k in kept
            ):
                continue  # the sentence between is cited already
            spans[n] = joined
            break
        else:
            out.append(m)
    return out


def _one_gap(hit: Hit, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Spans a and b of `hit`'s chunk are prose of one paragraph with exactly one sentence between them."""
    chunk = hit.chunk
    first, second = sorted((a, b))
    if not (chunk.start <= first[0] and second[1] <= chunk.end) or first[1] > second[0]:
        return False
    gap = chunk.text[first[1] - chunk.start : second[0] - chunk.start]
    if "\n\n" in gap:
        return False
    local, _ = sentence_parts(chunk.text)
    inside = [chunk.text[x:y] for x, y in local if x >= first[0] - chunk.start and y <= second[1] - chunk.start]
    between = sum(1 for x, y in local if x >= first[1] - chunk.start and y <= second[0] - chunk.start)
    return between == 1 and not any(is_block_line(t) or is_field(t) for t in inside)


def asks_what_was_said(question: str, avoid: Sequence[str]) -> bool:
    """A follow-up with no words of its own beyond the kind it asks for ("and which command does that?") whose
    kind an earlier answer already holds: that answer was the answer."""
    kind = kinds.asked(question)
    if not avoid or kind is None:
        return False
    framing = meaning.frame_terms() | common_terms() | {t for w in kinds.KIND_WORDS for t in terms(w)}
    own = set(terms(question)) - framing
    return not own and any(kinds.spans(kind, text) for text in avoid)


def _overlap(span: tuple[int, int], other: tuple[int, int]) -> bool:
    return span[0] < other[1] and other[0] < span[1]


def restates(question: str, sentence: str) -> bool:
    """The sentence says little the question does not already say ("A syntax is proposed for X")."""
    said = set(terms(question)) | common_terms()
    own = set(sentence_terms(sentence)) - common_terms()
    new = own - said
    return len(new) <= 1 or len(new) < 0.3 * len(own)


def answer_span(question: str, sentence: Sentence, across: bool = False) -> tuple[int, int]:
    """Where the answer is: the unit that holds the sentence (qa.units), or, when a lone sentence only restates
    the question, lacks the kind of thing asked for that the next sentence holds, or is followed in its paragraph
    by a sentence that goes on about its subject ("This dynamic city, known for ...") or says more of what the
    question is about, the sentence and the next one (one contiguous span)."""
    start, end = unit_span(sentence, across=across)
    chunk = sentence.hit.chunk
    order = sequence.asked(question)
    named = sequence.named_line(order, chunk.text, *local(sentence)) if order is not None else None
    if named is not None:  # "which one comes right before dh_builddeb": the answer's line and the named one
        return min(start, chunk.start + named[0]), max(end, chunk.start + named[1])
    spans, _ = sentence_parts(chunk.text)
    kind = kinds.asked(question)
    if kind in HEADED and not answer_type_match(question, chunk.text[start - chunk.start : end - chunk.start], kind):
        first = next((i for i, (a, _) in enumerate(spans) if a == start - chunk.start), None)
        over = [] if first is None else headings_over(chunk.text, spans, first)
        for n in over:  # "In which release was X added?": the version heading over the list of changes
            if names_release(question, chunk.text[spans[n][0] : spans[n][1]]):
                return chunk.start + spans[n][0], end
    following = [(a, b) for a, b in spans if a >= end - chunk.start]
    if not following:
        return start, end
    if (start, end) != (sentence.start, sentence.end):
        stated = _stated_after(question, chunk.text, end - chunk.start, following[:STATED_WITHIN])
        if stated is not None:  # "completion-query-items / The number of ... . ... The default limit is 100."
            return start, chunk.start + stated
        return _with_kind_after(question, chunk, spans, (start, end), following[0], kind, across)
    stated = _stated_after(question, chunk.text, end - chunk.start, following[: STATED_WITHIN - 1])
    if stated is not None:  # "which values are allowed by default?": "It accepts ... . 'SEP' ... . The default is ..."
        return start, chunk.start + stated
    a, b = following[0]
    after = chunk.text[a:b]
    has_kind = answer_type_match(question, sentence.text, kind)
    lacks_kind = kind is not None and not has_kind and answer_type_match(question, after, kind)
    same_paragraph = "\n\n" not in chunk.text[end - chunk.start : a]
    continues = bool(CONTINUES.match(after)) and same_paragraph
    completes = same_paragraph and not has_kind and completes_it(question, sentence.text, after)
    if lacks_kind or continues or completes or (restates(question, sentence.text) and not has_kind):
        n = spans.index((a, b))
        first, last = unit_of(chunk.text, spans, n, prompts=across)
        return start, chunk.start + (spans[last][1] if first == n else b)  # with its display
    return start, end


def _with_kind_after(
    question: str,
    chunk: Chunk,
    spans: Sequence[tuple[int, int]],
    unit: tuple[int, int],
    after: tuple[int, int],
    kind: str | None,
    across: bool,
) -> tuple[int, int]:
    """A unit (a block and its lead-in) that lacks the asked-for kind, with the sentence right after it that holds
    one: the log line a question quotes, then "The ..._limit parameter controls this limit."."""
    start, end = unit
    a, b = after
    if (
        kind is None
        or chunk.text[end - chunk.start : a].count("\n") > 2
        or answer_type_match(question, chunk.text[start - chunk.start : end - chunk.start], kind)
        or not answer_type_match(question, chunk.text[a:b], kind)
    ):
        return unit
    n = list(spans).index((a, b))
    first, last = unit_of(chunk.text, spans, n, prompts=across)
    return start, chunk.start + (spans[last][1] if first == n else b)


def _stated_after(question: str, text: str, end: int, following: Sequence[tuple[int, int]]) -> int | None:
    """Where the sentence ends that says the state the question asks for (a default, a minimum) when the cited one
    does not, one of the `following` sentences of its paragraph; None when none does or the cited one does."""
    asked = kinds.states_asked(question)
    if not asked or asked & kinds.states_said(text[max(0, text.rfind("\n\n", 0, end)) : end]):
        return None
    for a, b in following:
        if "\n\n" in text[end:a]:
            return None
        if asked & kinds.states_said(text[a:b]):
            return b
    return None


def completes_it(question: str, sentence: str, after: str) -> bool:
    """The next sentence says what the question is about that the sentence does not: the fact runs across both."""
    about = set(terms(question)) - common_terms() - meaning.framing_terms(question)
    return bool(about & (sentence_terms(after) - sentence_terms(sentence)))


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
