"""`qa eval --questions`: score the current index on your own questions, one JSON object per line."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path

from qa.api import Index
from qa.embedding import Remembered
from qa.errors import QAError
from qa.evaluation import check_cutoffs, contains_answer, recall_at, share
from qa.types import Answer, Citation

KEYS = ("question", "source", "answer", "answerable", "q", "page", "why", "lang")
MARKER = re.compile(r"\[\d+\]")
EXCERPT_CHARS = 100
MEASURES = {
    "fact_in_answer": "fact in the answer",
    "fact_in_citation": "fact in a citation",
    "first_citation_right": "first citation right",
    "any_citation_right": "any citation right",
    "short_answer_right": "short answer right",
    "short_answer_wrong": "short answer wrong",
    "answerable_refused": "answerable refused",
    "unanswerable_refused": "unanswerable refused",
}

OVER = {  # what format_report counts each answer measure over
    "fact_in_answer": "with an answer",
    "fact_in_citation": "with an answer",
    "first_citation_right": "right answers with a source",
    "any_citation_right": "right answers with a source",
    "short_answer_right": "right answers",
    "short_answer_wrong": "right answers",
}


class QuestionsError(QAError):
    """The questions file is missing, or one of its lines is not a question object."""


@dataclass(frozen=True)
class GoldQuestion:
    line: int  # 1-based line of the file
    question: str
    source: str | None = None  # corpus file that holds the answer, relative to the corpus
    answer: str | None = None  # text the answer must contain
    answerable: bool = True
    page: int | None = None  # 1-based page of `source` that holds the answer (PDF)
    lang: str | None = None


@dataclass(frozen=True)
class GoldOutcome:
    """What the index did with one question, and each check it failed."""

    question: GoldQuestion
    rank: int | None  # 1-based rank of the first passage from `source`; None when absent or no source was given
    answered: bool
    failures: tuple[str, ...]
    in_answer: bool = False  # answered, and the answer text itself contains `answer`
    in_citation: bool = False  # answered, and one of its citations contains `answer`
    first_cited: bool = False  # the answer holds the fact and its first citation is from `source` (on `page`)
    any_cited: bool = False  # the answer holds the fact and one of its citations is from `source` (on `page`)
    short_right: bool = False  # the answer holds the fact, and so does its short answer (or the fact holds it)
    short_wrong: bool = False  # the answer holds the fact, and its short answer is something else

    @property
    def answer_found(self) -> bool:
        return self.in_answer or self.in_citation


@dataclass(frozen=True)
class Tally:
    count: int
    total: int

    @property
    def share(self) -> float | None:
        return round(self.count / self.total, 4) if self.total else None


@dataclass(frozen=True)
class GoldReport:
    cutoffs: tuple[int, ...]
    outcomes: tuple[GoldOutcome, ...]

    @property
    def with_source(self) -> list[GoldOutcome]:
        return [o for o in self.outcomes if o.question.source]

    @property
    def with_answer(self) -> list[GoldOutcome]:
        return [o for o in self.outcomes if o.question.answer]

    @property
    def unanswerable(self) -> list[GoldOutcome]:
        return [o for o in self.outcomes if not o.question.answerable]

    @property
    def answerable(self) -> list[GoldOutcome]:
        return [o for o in self.outcomes if o.question.answerable]

    @property
    def right_with_source(self) -> list[GoldOutcome]:
        """Answers that hold the fact, for questions that name its source: where their citations are checked."""
        return [o for o in self.with_answer if o.in_answer and o.question.source]

    @property
    def failed(self) -> list[GoldOutcome]:
        return [o for o in self.outcomes if o.failures]

    def figures(self) -> dict[str, float | None]:
        """Source recall@k over questions with a source, answer hit rate over those with an answer,
        refusal accuracy over unanswerable questions, and the share of answerable questions refused."""
        ranks = [o.rank for o in self.with_source]
        found: dict[str, float | None] = {f"source_recall@{k}": recall_at(ranks, k) for k in self.cutoffs}
        found["answer_hit_rate"] = share([o.answer_found for o in self.with_answer])
        found["refusal_accuracy"] = share([not o.answered for o in self.unanswerable])
        found["answerable_refused"] = share([not o.answered for o in self.answerable])
        return {k: round(v, 4) if v is not None else None for k, v in found.items()}

    def measures(self) -> dict[str, Tally]:
        """Each measure as a count of the questions it is over (keys of MEASURES, then source_recall@k)."""

        def tally(outcomes: list[GoldOutcome], flag: str) -> Tally:
            return Tally(sum(bool(getattr(o, flag)) for o in outcomes), len(outcomes))

        right = self.right_with_source
        held = [o for o in self.with_answer if o.in_answer]
        found = {
            "fact_in_answer": tally(self.with_answer, "in_answer"),
            "fact_in_citation": tally(self.with_answer, "in_citation"),
            "first_citation_right": tally(right, "first_cited"),
            "any_citation_right": tally(right, "any_cited"),
            "short_answer_right": tally(held, "short_right"),
            "short_answer_wrong": tally(held, "short_wrong"),
            "answerable_refused": Tally(sum(not o.answered for o in self.answerable), len(self.answerable)),
            "unanswerable_refused": Tally(sum(not o.answered for o in self.unanswerable), len(self.unanswerable)),
        }
        ranks = [o.rank for o in self.with_source]
        for k in self.cutoffs:
            found[f"source_recall@{k}"] = Tally(sum(r is not None and r <= k for r in ranks), len(ranks))
        return found


def load_questions(path: Path) -> list[GoldQuestion]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionsError(f"no questions file at {path}; pass a JSON lines file, one question per line") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionsError(f"cannot read {path} ({exc}); save it as UTF-8 JSON lines") from None
    questions = [parse_line(line, number, path) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not questions:
        raise QuestionsError(f'{path} has no questions; write one JSON object per line, e.g. {{"question": "..."}}')
    return questions


def parse_line(line: str, number: int, path: Path) -> GoldQuestion:
    """Our format (question, source, answer, answerable) or the debian-dev one (q, answer, source, page, lang;
    a line with `why` and no `answer` is unanswerable)."""
    where = f"{path} line {number}"
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise QuestionsError(f"{where}: not JSON ({exc.msg}); write one JSON object per line") from None
    if not isinstance(raw, dict):
        raise QuestionsError(f'{where}: expected a JSON object such as {{"question": "..."}}')
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise QuestionsError(f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(KEYS)}")
    if "question" in raw and "q" in raw:
        raise QuestionsError(f'{where}: give the question once, as "question" or as "q"')
    question = raw.get("question", raw.get("q"))
    if not isinstance(question, str) or not question.strip():
        raise QuestionsError(f'{where}: "question" is missing or not a non-empty string')
    for key in ("source", "answer", "why", "lang"):
        if raw.get(key) is not None and not (isinstance(raw[key], str) and raw[key].strip()):
            raise QuestionsError(f'{where}: "{key}" must be a non-empty string')
    answerable = raw.get("answerable", not ("why" in raw and "answer" not in raw))
    if not isinstance(answerable, bool):
        raise QuestionsError(f'{where}: "answerable" must be true or false')
    if not answerable and (raw.get("source") is not None or raw.get("answer") is not None):
        raise QuestionsError(f'{where}: a question with "answerable": false cannot have a "source" or an "answer"')
    page = raw.get("page")
    if page is not None and not (type(page) is int and page >= 1):
        raise QuestionsError(f'{where}: "page" must be a page number from 1, or null')
    if page is not None and raw.get("source") is None:
        raise QuestionsError(f'{where}: "page" needs the "source" it is a page of')
    source = posixpath.normpath(raw["source"].strip().replace("\\", "/")) if raw.get("source") is not None else None
    return GoldQuestion(number, question, source, raw.get("answer"), answerable, page, raw.get("lang"))


def answer_contains(answer: Answer, expected: str) -> bool:
    """The answer was given and its text (without [n] markers) or one of its cited passages contains `expected`,
    ignoring case and runs of whitespace."""
    return text_contains(answer, expected) or cited_contains(answer, expected)


def text_contains(answer: Answer, expected: str) -> bool:
    """The answer was given and its own text, without its [n] markers, contains `expected`."""
    return answer.answered and contains_answer(MARKER.sub("", answer.answer), [expected])


def cited_contains(answer: Answer, expected: str) -> bool:
    return answer.answered and any(contains_answer(c.text, [expected]) for c in answer.citations)


def cites(citation: Citation, q: GoldQuestion) -> bool:
    """The citation is from the question's source, and on its page where one is given."""
    return citation.source == q.source and (q.page is None or citation.page == q.page)


def evaluate_questions(index: Index, questions: Sequence[GoldQuestion], cutoffs: Sequence[int]) -> GoldReport:
    """Ask every question of the opened index (extractive answers), and retrieve as deep as the largest cut-off."""
    cutoffs = check_cutoffs(cutoffs)
    depth = max(cutoffs)
    known = set(index.snapshot.documents())
    embedder = index.embedder
    memo = Remembered(embedder, size=None)
    index.embedder = memo
    try:
        outcomes = tuple(_one(index, q, depth, known) for q in questions)
    finally:
        index.embedder = embedder
    return GoldReport(tuple(cutoffs), outcomes)


def merge(reports: Sequence[GoldReport]) -> GoldReport:
    """One report over the questions of several, which share their cut-offs."""
    return GoldReport(reports[0].cutoffs, tuple(o for r in reports for o in r.outcomes))


def _one(index: Index, q: GoldQuestion, depth: int, known: set[str]) -> GoldOutcome:
    answer = index.ask(q.question)
    rank = None
    failures: list[str] = []
    if q.answerable and not answer.answered:
        failures.append("refused, but the corpus answers it")
    if not q.answerable and answer.answered:
        failures.append(f"answered, but the corpus should refuse it; it says: {_excerpt(answer.answer)}")
    if q.source:
        hits = index.retrieve(q.question, depth).hits
        rank = next((r for r, hit in enumerate(hits, start=1) if hit.chunk.source == q.source), None)
        if q.source not in known:
            failures.append(f"source {q.source} is not a document of the index")
        elif rank is None:
            failures.append(f"source {q.source} is not in the top {depth} passages")
        elif rank > 1:
            failures.append(f"source {q.source} is passage {rank}, not the first")
    expected = q.answer or ""
    in_answer = bool(expected) and text_contains(answer, expected)
    in_citation = bool(expected) and cited_contains(answer, expected)
    if expected and answer.answered and not in_answer:
        held = " (a citation does)" if in_citation else ""
        failures.append(f"the answer does not contain {expected!r}{held}; it says: {_excerpt(answer.answer)}")
    first_cited = any_cited = False
    if in_answer and q.source:
        first_cited = bool(answer.citations) and cites(answer.citations[0], q)
        any_cited = any(cites(c, q) for c in answer.citations)
        wanted = _place(q.source, q.page)
        if not any_cited:
            failures.append(f"no citation is from {wanted}")
        elif not first_cited:
            first = answer.citations[0]
            failures.append(f"the first citation is from {_place(first.source, first.page)}, not {wanted}")
    short = answer.short.text if in_answer and answer.short is not None else ""
    short_right = bool(short) and (contains_answer(short, [expected]) or contains_answer(expected, [short]))
    if short and not short_right:
        failures.append(f"the short answer is {short!r}, not {expected!r}")
    return GoldOutcome(
        q,
        rank,
        answer.answered,
        tuple(failures),
        in_answer,
        in_citation,
        first_cited,
        any_cited,
        short_right,
        bool(short) and not short_right,
    )


def _place(source: str | None, page: int | None) -> str:
    return f"{source} page {page}" if page is not None else str(source)


def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def format_report(report: GoldReport) -> str:
    """One question file: its figures, then where the fact and the citations were (count of total), then each
    failed question."""
    figures = report.figures()
    counts = {
        "source_recall": f"{len(report.with_source)} with a source",
        "answer_hit_rate": f"{len(report.with_answer)} with an answer",
        "refusal_accuracy": f"{len(report.unanswerable)} unanswerable",
        "answerable_refused": f"{len(report.answerable)} answerable",
    }
    lines = []
    for key, value in figures.items():
        label = key.replace("_", " ")
        count = counts["source_recall"] if key.startswith("source_recall@") else counts[key]
        shown = "n/a" if value is None else f"{value:.3f}"
        lines.append(f"  {label:<22} {shown:>6}   ({count})")
    measures = report.measures()
    for key, over in OVER.items():
        tally = measures[key]
        shown = "n/a" if tally.share is None else f"{tally.share:.3f}"
        lines.append(f"  {MEASURES[key]:<22} {shown:>6}   ({tally.count} of {tally.total} {over})")
    lines.append(format_failures(report))
    return "\n".join(lines)


def short_names(paths: Sequence[Path]) -> list[str]:
    """Column names for question files: their stems less a shared prefix ending in - or _ (debian-dev-questions.jsonl
    and debian-dev-unanswerable.jsonl give questions and unanswerable); the paths themselves where stems repeat."""
    stems = [p.stem for p in paths]
    if len(set(stems)) < len(stems):
        return [str(p) for p in paths]
    shared = takewhile(lambda chars: len(set(chars)) == 1, zip(*stems)) if len(stems) > 1 else iter(())
    prefix = "".join(chars[0] for chars in shared)
    cut = max(prefix.rfind("-"), prefix.rfind("_")) + 1
    return [stem[cut:] for stem in stems]


def format_failures(report: GoldReport) -> str:
    failed = report.failed
    lines = [f"{len(failed)} of {len(report.outcomes)} questions failed" + (":" if failed else "")]
    for outcome in failed:
        lines.append(f"  line {outcome.question.line}: {outcome.question.question}")
        lines += [f"    - {reason}" for reason in outcome.failures]
    return "\n".join(lines)


def format_measures(reports: Sequence[tuple[str, GoldReport]]) -> str:
    """The measures as a table: one column per named report, each cell `count/total share` (`-` over none)."""
    names = [name for name, _ in reports]
    tallies = [report.measures() for _, report in reports]
    labels = {**MEASURES, **{key: key.replace("_", " ") for key in tallies[0] if key not in MEASURES}}
    width = max(len(label) for label in labels.values())
    cells = [[_cell(t[key]) for t in tallies] for key in labels]
    widths = [max(len(name), *(len(row[i]) for row in cells)) for i, name in enumerate(names)]
    lines = ["  " + " " * width + "".join(f"  {name:>{w}}" for name, w in zip(names, widths))]
    for label, row in zip(labels.values(), cells):
        lines.append(f"  {label:<{width}}" + "".join(f"  {cell:>{w}}" for cell, w in zip(row, widths)))
    return "\n".join(lines)


def _cell(tally: Tally) -> str:
    return "-" if not tally.total else f"{tally.count}/{tally.total} {tally.share:.3f}"
