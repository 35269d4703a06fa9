"""`qa eval --questions`: score the current index on your own questions, one JSON object per line."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.api import Index
from qa.errors import QAError
from qa.evaluation import MemoEmbedder, check_cutoffs, contains_answer, recall_at, share
from qa.types import Answer

KEYS = ("question", "source", "answer", "answerable")
MARKER = re.compile(r"\[\d+\]")
EXCERPT_CHARS = 100


class QuestionsError(QAError):
    """The questions file is missing, or one of its lines is not a question object."""


@dataclass(frozen=True)
class GoldQuestion:
    line: int  # 1-based line of the file
    question: str
    source: str | None = None  # corpus file that holds the answer, relative to the corpus
    answer: str | None = None  # text the answer must contain
    answerable: bool = True


@dataclass(frozen=True)
class GoldOutcome:
    """What the index did with one question, and each check it failed."""

    question: GoldQuestion
    rank: int | None  # 1-based rank of the first passage from `source`; None when absent or no source was given
    answered: bool
    answer_found: bool  # answered, and the answer or one of its citations contains `answer`
    failures: tuple[str, ...]


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
    question = raw.get("question")
    if not isinstance(question, str) or not question.strip():
        raise QuestionsError(f'{where}: "question" is missing or not a non-empty string')
    for key in ("source", "answer"):
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            raise QuestionsError(f'{where}: "{key}" must be a non-empty string')
    answerable = raw.get("answerable", True)
    if not isinstance(answerable, bool):
        raise QuestionsError(f'{where}: "answerable" must be true or false')
    if not answerable and ("source" in raw or "answer" in raw):
        raise QuestionsError(f'{where}: a question with "answerable": false cannot have a "source" or an "answer"')
    source = posixpath.normpath(raw["source"].strip().replace("\\", "/")) if "source" in raw else None
    return GoldQuestion(number, question, source, raw.get("answer"), answerable)


def answer_contains(answer: Answer, expected: str) -> bool:
    """The answer was given and its text (without [n] markers) or one of its cited passages contains `expected`,
    ignoring case and runs of whitespace."""
    if not answer.answered:
        return False
    texts = [MARKER.sub(" ", answer.answer)] + [c.text for c in answer.citations]
    return any(contains_answer(text, [expected]) for text in texts)


def evaluate_questions(index: Index, questions: Sequence[GoldQuestion], cutoffs: Sequence[int]) -> GoldReport:
    """Ask every question of the opened index (extractive answers), and retrieve as deep as the largest cut-off."""
    cutoffs = check_cutoffs(cutoffs)
    depth = max(cutoffs)
    known = set(index.snapshot.documents())
    embedder = index.embedder
    memo = MemoEmbedder(embedder)
    index.embedder = memo  # type: ignore[assignment]
    try:
        outcomes = tuple(_one(index, q, depth, known) for q in questions)
    finally:
        index.embedder = embedder
    return GoldReport(tuple(cutoffs), outcomes)


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
    found = bool(q.answer) and answer_contains(answer, q.answer or "")
    if q.answer and answer.answered and not found:
        failures.append(f"the answer does not contain {q.answer!r}; it says: {_excerpt(answer.answer)}")
    return GoldOutcome(q, rank, answer.answered, found, tuple(failures))


def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def format_report(report: GoldReport) -> str:
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
    failed = report.failed
    lines.append(f"{len(failed)} of {len(report.outcomes)} questions failed" + (":" if failed else ""))
    for outcome in failed:
        lines.append(f"  line {outcome.question.line}: {outcome.question.question}")
        lines += [f"    - {reason}" for reason in outcome.failures]
    return "\n".join(lines)
