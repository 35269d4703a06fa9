"""Sentences of the retrieved passages ranked for a question: each one's cosine, its share of the question's
terms (with its unit's: a block with its lead-in, a table row with its header), the kind of thing asked for, a
name the text gives, what the question sets aside, the line next to a named one; and the sentences an answer
cites, best first."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from qa import across as across_states
from qa import kinds, meaning, sequence
from qa.answerability import common_terms, sentence_terms
from qa.codenames import asked_code_names, parts, says
from qa.config import Weights
from qa.embedding import Embedder
from qa.furniture import is_furniture
from qa.releases import writes_version
from qa.retrieval import Retrieval, Sentence, lexical_overlap, lexical_terms, sentence_parts, sentences_of
from qa.short import FIELD
from qa.sparse import Sparse, terms
from qa.units import SECTION_NUMBER, headings_over, is_heading, is_table_row, unit_of
from qa.vectors import SentenceVectors

KEY_SHARE = 0.6  # of a first cell's terms the question says, to name its row ("apt-cache policy package")
TOKEN_CELL = re.compile(r"\\[a-z@]+|[\w.+/-]*[\d_./\\+-][\w.+/-]*")  # a cell that is a token: \bonne, dh_strip, 2.10
ROW_NAMED = 0.5  # added to the term share of a table row that the question names by its first cell


def answer_type(question: str) -> str | None:
    """The kind of thing the question asks for (qa.kinds): a number, a date, a name, a command, a path, ..."""
    return kinds.asked(question)


def answer_type_match(question: str, text: str, kind: str | None = None) -> float:
    """1.0 when the text holds something of the asked-for kind that the question does not already say."""
    kind = kind if kind is not None else kinds.asked(question)
    return 1.0 if kinds.new_spans(question, kind, text) else 0.0


def usable(sentence: Sentence) -> bool:
    """A sentence that can anchor an answer: not a heading, a question, a contents line or a page number."""
    text = sentence.text
    return (
        not is_heading(text) and len(text) >= 12 and not text.rstrip().endswith(("?", "？")) and not is_furniture(text)
    ) or (
        len(text) >= 3
        and (kinds.is_code_line(text) or kinds.is_setting_line(text) or (is_table_row(text) and not is_furniture(text)))
    )


def introduces(sentence: Sentence) -> bool:
    """The sentence is the lead-in of a block ("... as follows:") that its unit holds."""
    span = unit_span(sentence, across=True)
    return span[0] == sentence.start and span[1] > sentence.end


def unit_span(sentence: Sentence, across: bool = False) -> tuple[int, int]:
    """File offsets of the unit that holds the sentence (qa.units): itself, or a block with its lead-in. `across`
    (a question in another language, which matches a command less than its lead-in): a shell prompt's line is a
    command, and a block line's unit runs to the block's end, as its lead-in's does."""
    chunk = sentence.hit.chunk
    spans, _ = sentence_parts(chunk.text)
    local = sentence.start - chunk.start
    n = next((i for i, (a, _) in enumerate(spans) if a == local), None)
    if n is None:
        return sentence.start, sentence.end
    first, last = unit_of(chunk.text, spans, n, prompts=across)
    if across and first < n:
        last = max(last, unit_of(chunk.text, spans, first, prompts=True)[1])
    return chunk.start + spans[first][0], chunk.start + spans[last][1]


def with_unit_terms(
    question: str, sentence: Sentence, span: tuple[int, int], sparse: Sparse, said: str | None = None
) -> Sentence:
    """The sentence credited with the question terms of its whole unit (`span`): a table row with its header's
    words, a command with its lead-in's."""
    if span == (sentence.start, sentence.end):
        return sentence
    question_terms = lexical_terms(question, sparse, said)
    text = unit_text(sentence, span)
    share = lexical_overlap(question_terms, sentence_terms(text), sparse.idf(sorted(question_terms)))
    if names_row(question, text):
        share = min(1.0, share + ROW_NAMED)
    return replace(sentence, lexical=max(sentence.lexical, share), context=max(sentence.context, share))


def without_other_senses(question: str, sentence: Sentence, unit: str, sparse: Sparse) -> Sentence:
    """The sentence's lexical share less the question's nouns that its unit says only as verbs (qa.meaning)."""
    other = meaning.nouns_said_as_verbs(question, unit)
    if not other:
        return sentence
    question_terms = set(terms(question))
    share = lexical_overlap(question_terms, other, sparse.idf(sorted(question_terms)))
    return replace(sentence, lexical=max(0.0, sentence.lexical - share), context=max(0.0, sentence.context - share))


def is_field(text: str) -> bool:
    """A field of a record ("Maintainer: Santiago Vila <...>"): its name, a colon, its value."""
    return bool(FIELD.match(text))


def with_named_field(asked: frozenset[str], sentence: Sentence) -> Sentence:
    """A field line ("Maintainer: Santiago Vila") whose field the question names (`asked`: its terms), and whose
    value it does not say, is credited as a named table row."""
    match = FIELD.match(sentence.text)
    if match is None or not set(terms(match.group(1))) <= asked:
        return sentence
    if set(terms(sentence.text.split("\n")[0][match.end() - 1 :])) <= asked:
        return sentence
    share = min(1.0, sentence.lexical + ROW_NAMED)
    return replace(sentence, lexical=share, context=max(sentence.context, share))


def names_row(question: str, unit: str) -> bool:
    """The unit is a table's header and a row, and the question names both: the row by its first cell
    ("section 7"), the column by a word of the header ("section")."""
    lines = unit.split("\n")
    if len(lines) < 2 or not all(is_table_row(line) for line in (lines[0], lines[-1])):
        return False
    cells = [cell.strip().lower() for cell in lines[-1].split(" | ")]
    key = cells[0]
    asked = {w.lower() for w in re.findall(r"[\w.+/-]+", question)}
    key_terms, question_terms = set(terms(key)), set(terms(question))
    named = key in asked or (len(key_terms) > 1 and len(key_terms & question_terms) >= KEY_SHARE * len(key_terms))
    said = {w.lower().rstrip(".") for w in re.findall(r"\\?[\w.+/-]+", question)}
    named = named or any(TOKEN_CELL.fullmatch(cell) and cell in said for cell in cells[1:])  # "\bonne" in a row
    return bool(key) and named and bool(set(terms(lines[0])) & question_terms)


HEADED = frozenset({"version", "term", "time"})  # kinds a version heading over a list of changes can answer


def names_release(question: str, heading: str) -> bool:
    """The heading names a version or a date that the question does not say (its section number aside)."""
    title = SECTION_NUMBER.sub("", heading)
    return any(kinds.new_spans(question, kind, title) for kind in ("version", "time"))


def under_release(question: str, sentence: Sentence, span: tuple[int, int]) -> tuple[int, int]:
    """The unit's span from the release heading over it ("## 3.3.0 (30 November 2022)") where the question asks
    when, or in which version or release: the heading holds the answer, and the version the question names."""
    chunk = sentence.hit.chunk
    spans, _ = sentence_parts(chunk.text)
    first = next((i for i, (a, _) in enumerate(spans) if a == span[0] - chunk.start), None)
    for n in [] if first is None else headings_over(chunk.text, spans, first):
        if names_release(question, chunk.text[spans[n][0] : spans[n][1]]):
            return chunk.start + spans[n][0], span[1]
    return span


def unit_text(sentence: Sentence, span: tuple[int, int]) -> str:
    chunk = sentence.hit.chunk
    return chunk.text[span[0] - chunk.start : span[1] - chunk.start]


def score_sentences(
    question: str, sentences: Sequence[Sentence], weights: Weights, has_kind: Sequence[bool] | None = None
) -> np.ndarray:
    """Each sentence's combined score; `has_kind[i]`: sentence i's unit holds the asked-for kind (computed
    here when not given)."""
    if not sentences:
        return np.zeros(0)
    if has_kind is None:
        has_kind = kinds_found(question, [unit_text(s, unit_span(s)) for s in sentences])
    top = max(s.hit.score for s in sentences)
    return np.array(
        [
            weights.semantic * s.cosine
            + weights.lexical * s.lexical
            + weights.context * s.context
            + weights.passage * (min(max(s.hit.score / top, 0.0), 1.0) if top > 0 else 0.0)
            + weights.answer_type * float(found)
            for s, found in zip(sentences, has_kind)
        ]
    )


def kinds_found(question: str, units: Sequence[str]) -> list[bool]:
    """Whether each unit holds something of the kind the question asks for that it does not already say."""
    kind = kinds.asked(question)
    return [answer_type_match(question, unit, kind) > 0 for unit in units]


def distinct_sentences(sentences: Sequence[Sentence], order: np.ndarray) -> tuple[list[int], dict[int, list[str]]]:
    """`order` without the sentences whose text a better one has (the same sentence in several files), and for
    each one kept, the other files that hold it."""
    first: dict[str, int] = {}
    homes: dict[int, list[str]] = {}
    kept = []
    for i in (int(i) for i in order):
        text = sentences[i].text
        if text not in first:
            first[text] = i
            homes[i] = []
            kept.append(i)
        elif sentences[i].hit.chunk.source != sentences[first[text]].hit.chunk.source:
            homes[first[text]].append(sentences[i].hit.chunk.source)
    return kept, homes


@dataclass(frozen=True)
class Ranked:
    """The usable sentences of a retrieval, their combined scores, best first in `order`; the text of each
    one's unit (qa.units) and whether it holds the asked-for kind, where known."""

    sentences: list[Sentence]
    combined: np.ndarray
    order: np.ndarray
    units: tuple[str, ...] = ()
    has_kind: tuple[bool, ...] = ()

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
    across = retrieval.across
    said = retrieval.said if across else None
    if retrieval.hits and not sentences:
        sentences = sentences_of(retrieval.hits, retrieval.vector, retrieval.question, embedder, sparse, stored, said)
    sentences = [s for s in sentences if usable(s) or is_field(s.text) or (across and introduces(s))]
    if not sentences:
        return None
    if across:
        sentences = near_cosines(sentences, weights.across_near)
    kind = kinds.asked(retrieval.question)
    spans = [unit_span(s, across=across) for s in sentences]
    if kind in HEADED and not across:
        spans = [under_release(retrieval.question, s, span) for s, span in zip(sentences, spans)]
    units = tuple(unit_text(s, span) for s, span in zip(sentences, spans))
    asked = f"{retrieval.question} {retrieval.said}" if across else retrieval.question
    sentences = [with_unit_terms(asked, s, span, sparse, said) for s, span in zip(sentences, spans)]
    asked_terms = frozenset(terms(asked))
    sentences = [with_named_field(asked_terms, s) for s in sentences]
    if not across:
        sentences = [without_other_senses(retrieval.question, s, unit, sparse) for s, unit in zip(sentences, units)]
    has_kind = tuple(kinds_found(retrieval.question, units))
    pulls = [found and kind not in kinds.ABSENCE_ONLY for found in has_kind]
    combined = score_sentences(retrieval.question, sentences, weights, pulls)
    if weights.paraphrase and not across:
        combined += weights.paraphrase * meaning.paraphrase_share(
            retrieval.question, [s.text for s in sentences], sparse.idf, common_terms()
        )
    combined += weights.answer_type * np.array([kinds.gives_name(retrieval.question, kind, unit) for unit in units])
    aside = meaning.excluded(retrieval.question) - common_terms()
    if aside and kind is not None:  # "a custom schedule, not hourly or daily": a unit offering only those is not it
        combined -= weights.answer_type * np.array([offers_only(retrieval.question, kind, u, aside) for u in units])
    states = across_states.asked_states(retrieval.question) if across else kinds.states_asked(retrieval.question)
    if states:  # "what is the default timeout?", "qui est l'actuel mainteneur": the unit that says that state
        stated_in = across_states.said_states if across else kinds.states_said
        stated = [found and bool(states & stated_in(u)) for u, found in zip(units, pulls)]
        unset = [found and not across and kinds.unset_said(retrieval.question, u) for u, found in zip(units, pulls)]
        combined += weights.answer_type * (np.array(stated, dtype=float) + np.array(unset, dtype=float))
    code = asked_code_names(retrieval.question)
    if kind is None and code and not across and kinds.default_asked(retrieval.question):
        combined += weights.answer_type * np.array(
            [kinds.gives_default(u) and any(says(u, name) for name in code) for u in units], dtype=float
        )  # "what's the default notify_classes?": "Default setting: ... notify_classes = resource, software"
    options = [name for name in code if name.startswith("-")]
    if options and not across:  # "the --orient command": a unit about --fastq_tail is about another one
        combined -= weights.answer_type * np.array([about_other_option(options, u) for u in units], dtype=float)
    named = [name for name in code if len(parts(name)) > 1]
    if named and not across and kind in kinds.PRECISE:  # "the maximum size of MAX_OBJECT_SIZE": the unit that gives one
        combined += weights.answer_type * np.array(
            [pull and any(says(u, name) for name in named) for u, pull in zip(units, pulls)], dtype=float
        )
    versions = kinds.versions_named(retrieval.question)
    if versions:  # "when did 3.3.0 come out", "le nom de code de Debian 3.0": BM25 reads 3.0 as 3 and 0, and a
        # lead-in that names the class ("les noms de code ...") holds a name too
        combined += (
            2
            * weights.answer_type
            * np.array([any(writes_version(u, v.lstrip("vV")) for v in versions) for u in units], dtype=float)
        )
    order = sequence.asked(retrieval.question)
    if order is not None:
        beside = [sequence.next_to(order, s.hit.chunk.text, *local(s)) for s in sentences]
        combined += 2 * weights.answer_type * np.array(beside, dtype=float)
    if across:
        combined = unit_best(sentences, spans, combined)
    return Ranked(sentences, combined, np.argsort(-combined, kind="stable"), units, has_kind)


def about_other_option(options: Sequence[str], unit: str) -> bool:
    """The unit names an option, none of the question's `options`: it tells of another one."""
    return not any(says(unit, name) for name in options) and any(
        m.group() not in options for m in kinds.OPTION.finditer(unit)
    )


def offers_only(question: str, kind: str, unit: str, excluded: set[str]) -> bool:
    """Every thing of the asked-for kind that the unit holds is one the question sets aside ("/etc/cron.hourly/package"
    for "a custom schedule, not hourly"); a unit that also names another (the answer beside them) is not."""
    found = kinds.new_spans(question, kind, unit)
    return bool(found) and all(set(terms(unit[a:b])) & excluded for a, b in found)


def local(sentence: Sentence) -> tuple[int, int]:
    """The sentence's offsets in its chunk's text."""
    return sentence.start - sentence.hit.chunk.start, sentence.end - sentence.hit.chunk.start


def near_cosines(sentences: Sequence[Sentence], share: float) -> list[Sentence]:
    """Each sentence credited with `share` of what a neighbour in its paragraph comes closer to the question: across
    languages a command or a name matches the question less than the sentence beside it that says what it does."""
    out = []
    for n, s in enumerate(sentences):
        near = [
            sentences[m].cosine
            for m in (n - 1, n + 1)
            if 0 <= m < len(sentences) and sentences[m].hit is s.hit and paragraph_together(s, sentences[m])
        ]
        gain = max([c - s.cosine for c in near] + [0.0])
        out.append(replace(s, cosine=s.cosine + share * gain))
    return out


def paragraph_together(a: Sentence, b: Sentence) -> bool:
    """Two sentences of one chunk with no blank line between them."""
    first, second = (a, b) if a.start < b.start else (b, a)
    chunk = a.hit.chunk
    return "\n\n" not in chunk.text[first.end - chunk.start : second.start - chunk.start]


def unit_best(sentences: Sequence[Sentence], spans: Sequence[tuple[int, int]], combined: np.ndarray) -> np.ndarray:
    """Each sentence scored as the best sentence of its unit: a command block with its lead-in is chosen as one."""
    best: dict[tuple[str, int, int], float] = {}
    keys = [(s.hit.chunk.source, *span) for s, span in zip(sentences, spans)]
    for key, score in zip(keys, combined):
        best[key] = max(best.get(key, -np.inf), float(score))
    return np.array([best[key] for key in keys])


def chosen(ranked: Ranked, weights: Weights) -> tuple[list[int], dict[int, list[str]]]:
    """The sentences an answer cites, best first: the best distinct ones up to `weights.max_sentences` that score
    `weights.keep_ratio` of the best; and for each, the other files that hold it."""
    order, homes = distinct_sentences(ranked.sentences, ranked.order)
    best = float(ranked.combined[order[0]])
    picked = [
        int(i)
        for i in order[: weights.max_sentences]
        if i == order[0] or ranked.combined[i] >= weights.keep_ratio * best
    ]
    return picked, homes
