"""`qa eval`: measure retrieval and answers on a SQuAD-format file through the product's own pipeline."""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.api import Index, build_index, open_index
from qa.config import Settings
from qa.embedding import Remembered
from qa.errors import QAError
from qa.types import Answer, Chunk, Hit

PARAGRAPH_JOIN = "\n\n"
UNSAFE = re.compile(r"[^A-Za-z0-9_.()\-]+")


class DatasetError(QAError):
    """The evaluation file is missing, not SQuAD JSON, or names unknown articles."""


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    article: str  # title
    source: str  # the corpus file of the article
    start: int  # the gold paragraph's character range in that file
    end: int
    answers: tuple[str, ...]
    impossible: bool


@dataclass(frozen=True)
class Dataset:
    version: str  # "v1.1" or "v2.0": v2 has unanswerable questions
    documents: dict[str, str]  # source file name -> text, paragraphs joined by a blank line
    titles: dict[str, str]  # title -> source file name
    questions: tuple[Question, ...]

    @property
    def has_unanswerable(self) -> bool:
        return self.version.startswith("v2")

    def select(self, articles: Sequence[str] | None) -> tuple[Question, ...]:
        """Questions of the named articles (all when None); unknown titles are an error."""
        if not articles:
            return self.questions
        unknown = [a for a in articles if a not in self.titles]
        if unknown:
            known = ", ".join(sorted(self.titles))
            raise DatasetError(f"no article titled {', '.join(unknown)} in the dataset; titles are: {known}")
        wanted = set(articles)
        return tuple(q for q in self.questions if q.article in wanted)


@dataclass(frozen=True)
class Outcome:
    """What the pipeline did with one question."""

    question: Question
    rank: int | None  # 1-based rank of the first retrieved chunk overlapping the gold paragraph
    answered: bool
    cited: tuple[str, ...]  # texts of the answer's citations, in order
    answer_chars: int
    seconds: float
    probability: float = 1.0  # that the passages answer it, as the answerability model says
    cited_loose: tuple[str, ...] = ()  # the citations when nothing is refused (strictness 0), for the trade-off


def file_name(title: str, taken: set[str]) -> str:
    stem = UNSAFE.sub("_", title).strip("._") or "article"
    name, n = f"{stem}.txt", 2
    while name in taken:
        name, n = f"{stem}-{n}.txt", n + 1
    return name


def parse_dataset(raw: object) -> Dataset:
    """The documents and questions of SQuAD v1.1 or v2.0 JSON, with each paragraph's offsets in its document."""
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise DatasetError("not a SQuAD file: expected a JSON object with a 'data' list of articles")
    try:
        return _parse(raw)
    except (KeyError, TypeError, AttributeError) as exc:
        raise DatasetError(f"not a SQuAD file: an article, paragraph or question lacks {exc}") from exc


def _parse(raw: dict) -> Dataset:
    documents: dict[str, str] = {}
    titles: dict[str, str] = {}
    questions: list[Question] = []
    v2 = str(raw.get("version", "")).startswith("v2")
    for number, article in enumerate(raw["data"], start=1):
        title = str(article.get("title") or f"article-{number}")
        source = file_name(title, set(documents))
        titles.setdefault(title, source)
        parts: list[str] = []
        offset = 0
        for paragraph in article.get("paragraphs", []):
            context = paragraph["context"]
            if parts:
                offset += len(PARAGRAPH_JOIN)
            start, end = offset, offset + len(context)
            parts.append(context)
            offset = end
            for qa in paragraph.get("qas", []):
                v2 = v2 or "is_impossible" in qa
                impossible = bool(qa.get("is_impossible", False))
                answers = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", []) if a.get("text")))
                questions.append(
                    Question(
                        str(qa.get("id", len(questions))),
                        qa["question"],
                        title,
                        source,
                        start,
                        end,
                        answers,
                        impossible or not answers,
                    )
                )
        documents[source] = PARAGRAPH_JOIN.join(parts)
    return Dataset("v2.0" if v2 else "v1.1", documents, titles, tuple(questions))


def load_dataset(path: Path) -> Dataset:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetError(f"no dataset at {path}; pass a SQuAD v1.1 or v2.0 JSON file") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"cannot read {path} as JSON ({exc}); pass a SQuAD v1.1 or v2.0 JSON file") from exc
    return parse_dataset(raw)


def write_corpus(dataset: Dataset, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for source, text in dataset.documents.items():
        # newline="" keeps offsets exact: no newline translation on any platform.
        with open(folder / source, "w", encoding="utf-8", newline="") as f:
            f.write(text)


def index_dataset(dataset: Dataset, settings: Settings, folder: Path) -> Index:
    """Write the dataset as a corpus under `folder`, index it with `settings`, and open it."""
    run = settings.with_(corpus=folder / "corpus", index=folder / "index")
    write_corpus(dataset, run.corpus)
    build_index(run, rebuild=True)
    return open_index(run)


def overlaps(chunk: Chunk, question: Question) -> bool:
    return chunk.source == question.source and chunk.start < question.end and question.start < chunk.end


def first_hit_rank(hits: Sequence[Hit], question: Question) -> int | None:
    return next((rank for rank, hit in enumerate(hits, start=1) if overlaps(hit.chunk, question)), None)


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    """True when `text` contains one of `answers`, ignoring case and runs of whitespace."""
    haystack = " ".join(text.lower().split())
    return any(" ".join(a.lower().split()) in haystack for a in answers if a.strip())


def recall_at(ranks: Sequence[int | None], k: int) -> float | None:
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r is not None) / len(ranks)


def share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def answer_hit(outcome: Outcome, top: int = 1) -> bool:
    """The answer was given and one of its first `top` cited sentences holds a gold answer."""
    return outcome.answered and any(contains_answer(t, outcome.question.answers) for t in outcome.cited[:top])


def ask_one(index: Index, memo: Remembered, question: Question, depth: int) -> Outcome:
    """Ask (timed, nothing remembered), then retrieve `depth` chunks for recall, re-using ask's vectors."""
    memo.forget()
    began = time.perf_counter()
    answer: Answer = index.ask(question.text)
    seconds = time.perf_counter() - began
    hits = index.retrieve(question.text, depth).hits
    cited = tuple(c.text for c in answer.citations)
    loose = cited if answer.answered else tuple(c.text for c in index.ask(question.text, strictness=0.0).citations)
    decision = index.decision(question.text)
    probability = 0.0 if decision.kind_missing else decision.probability  # refused at any strictness above 0
    return Outcome(
        question,
        first_hit_rank(hits, question),
        answer.answered,
        cited,
        len(answer.answer),
        seconds,
        probability,
        loose,
    )


def summarize(outcomes: Sequence[Outcome], cutoffs: Sequence[int], unanswerable: bool) -> dict[str, float | int | None]:
    """The report's figures. Retrieval and answer hits count answerable questions only."""
    answerable = [o for o in outcomes if not o.question.impossible]
    impossible = [o for o in outcomes if o.question.impossible]
    ranks = [o.rank for o in answerable]
    answered = [o for o in outcomes if o.answered]
    report: dict[str, float | int | None] = {f"recall@{k}": recall_at(ranks, k) for k in cutoffs}
    report["mrr"] = mean_reciprocal_rank(ranks)
    report["answer_hit"] = share([answer_hit(o, 1) for o in answerable])
    report["answer_hit@3"] = share([answer_hit(o, 3) for o in answerable])
    report["unanswerable_refused"] = share([not o.answered for o in impossible]) if unanswerable else None
    report["answerable_refused"] = share([not o.answered for o in answerable])
    report["mean_answer_chars"] = sum(o.answer_chars for o in answered) / len(answered) if answered else None
    report["seconds_per_question"] = sum(o.seconds for o in outcomes) / len(outcomes) if outcomes else None
    report = {k: round(v, 4) if isinstance(v, float) else v for k, v in report.items()}
    report["tradeoff"] = tradeoff(outcomes, unanswerable)  # type: ignore[assignment]
    return report


STRICTNESS_LEVELS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def tradeoff(outcomes: Sequence[Outcome], unanswerable: bool) -> list[dict[str, float | None]]:
    """Refusals and answer hits had the questions been asked at each strictness (from one pass)."""
    rows = []
    answerable = [o for o in outcomes if not o.question.impossible]
    impossible = [o for o in outcomes if o.question.impossible]
    from qa.answerability import load_model

    for level in sorted({*STRICTNESS_LEVELS, load_model().threshold}):
        kept = {id(o) for o in outcomes if o.probability >= level and o.cited_loose}
        hit = [
            id(o) in kept and any(contains_answer(t, o.question.answers) for t in o.cited_loose[:1]) for o in answerable
        ]
        rows.append(
            {
                "strictness": level,
                "unanswerable_refused": round(share([id(o) not in kept for o in impossible]) or 0, 4)
                if unanswerable
                else None,
                "answerable_refused": round(share([id(o) not in kept for o in answerable]) or 0, 4),
                "answer_hit": round(share(hit) or 0, 4),
            }
        )
    return rows


def run_questions(index: Index, questions: Sequence[Question], cutoffs: Sequence[int]) -> list[Outcome]:
    depth = max(cutoffs)
    embedder = index.embedder
    memo = Remembered(embedder, size=None)
    index.embedder = memo
    try:
        return [ask_one(index, memo, q, depth) for q in questions]
    finally:
        index.embedder = embedder


def check_cutoffs(cutoffs: Sequence[int]) -> list[int]:
    if not cutoffs or any(k < 1 for k in cutoffs):
        raise DatasetError("recall cut-offs must be positive integers, e.g. --k 1,5,20")
    return sorted(set(cutoffs))


def evaluate(
    path: Path, settings: Settings, cutoffs: Sequence[int], articles: Sequence[str] | None = None
) -> dict[str, float | int | None]:
    """Index every article of the dataset in a temporary folder, ask the selected articles' questions, report.

    The whole dataset is indexed even when `articles` is given, so every run sees the same distractors.
    """
    cutoffs = check_cutoffs(cutoffs)
    dataset = load_dataset(path)
    questions = dataset.select(articles)
    with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
        index = index_dataset(dataset, settings, Path(tmp))
        try:
            outcomes = run_questions(index, questions, cutoffs)
        finally:
            index.snapshot.close()
    return summarize(outcomes, cutoffs, dataset.has_unanswerable)


LABELS = {
    "mrr": "MRR",
    "answer_hit": "answer hit (cited sentence [1] holds a gold answer)",
    "answer_hit@3": "answer hit in the first 3 cited sentences",
    "unanswerable_refused": "unanswerable questions refused",
    "answerable_refused": "answerable questions refused",
    "mean_answer_chars": "mean answer length (answered questions), characters",
    "seconds_per_question": "seconds per question (ask)",
}


def format_report(report: Mapping[str, object]) -> str:
    lines = []
    for key, value in report.items():
        if key == "tradeoff":
            continue
        label = f"retrieval {key}" if key.startswith("recall@") else LABELS.get(key, key)
        if value is None:
            shown = "n/a"
        elif key == "mean_answer_chars":
            shown = f"{value:.0f}"
        else:
            shown = f"{value:.3f}"
        lines.append(f"  {label:<55} {shown}")
    lines.append(format_tradeoff(report.get("tradeoff") or []))  # type: ignore[arg-type]
    return "\n".join(lines)


def format_tradeoff(rows: Sequence[dict[str, float | None]]) -> str:
    """The refusal/answer trade-off as a small table: pick a --strictness (QA_STRICTNESS) for your corpus."""
    lines = ["  at --strictness   unanswerable refused   answerable refused   answer hit"]
    for row in rows:
        unans = "n/a" if row["unanswerable_refused"] is None else f"{row['unanswerable_refused']:.3f}"
        lines.append(
            f"  {row['strictness']:<16.2f} {unans:>20}   {row['answerable_refused']:>18.3f}   {row['answer_hit']:>10.3f}"
        )
    return "\n".join(lines)
