"""The JSON shapes of the CLI and the HTTP API, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from qa.types import Answer, Citation, Hit, IndexStatus, ShortAnswer, Skipped

if TYPE_CHECKING:
    from qa.goldset import GoldReport


def hit_json(hit: Hit) -> dict[str, Any]:
    c = hit.chunk
    return {
        "source": c.source,
        "start": c.start,
        "end": c.end,
        "line_start": c.line_start,
        "line_end": c.line_end,
        "page": c.page,
        "text": c.text,
        "score": hit.score,
        "also_in": list(hit.also_in),
    }


def citation_json(c: Citation) -> dict[str, Any]:
    return {
        "id": c.id,
        **asdict(c.span),
        "text": c.text,
        "score": c.score,
        "boxes": [asdict(b) for b in c.boxes],
        "also_in": list(c.also_in),
    }


def search_json(query: str, hits: Sequence[Hit]) -> dict[str, Any]:
    return {"query": query, "hits": [hit_json(h) for h in hits]}


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answer": answer.answer,
        "answered": answer.answered,
        "reason": answer.reason,
        "citations": [citation_json(c) for c in answer.citations],
        "mode": answer.mode,
        "unsupported_sentences": list(answer.unsupported_sentences),
        "short_answer": answer.short.text if answer.short else "",
        "short_answer_at": short_json(answer.short),
    }


def short_json(short: ShortAnswer | None) -> dict[str, int] | None:
    """Where the short answer is: `citations[citation - 1].text[start:end]`."""
    if short is None:
        return None
    return {"citation": short.citation, "start": short.start, "end": short.end}


def skipped_json(skipped: Skipped) -> dict[str, Any]:
    return {"source": skipped.source, "reason": skipped.reason, "partial": skipped.partial}


def status_json(status: IndexStatus) -> dict[str, Any]:
    """`qa status --json`: every field of the status, lists as lists, and the exit code's meaning as `state`."""
    data = asdict(status)
    data.update(
        {key: list(getattr(status, key)) for key in ("new", "modified", "deleted")},
        skipped=[skipped_json(s) for s in status.skipped],
    )
    return data


def goldset_json(report: GoldReport, files: Sequence[tuple[str, GoldReport]] = ()) -> dict[str, Any]:
    """`qa eval --questions --json`: the figures and measures in total and for each named file (whose questions
    `report` holds), the counts they are over, and each failed question with its file."""
    named = files or [("", report)]
    return {
        **_goldset_figures(report),
        "files": [{"file": name, **_goldset_figures(r)} for name, r in files],
        "failed": [
            {
                **({"file": name} if name else {}),
                "line": o.question.line,
                "question": o.question.question,
                "rank": o.rank,
                "answered": o.answered,
                "reasons": list(o.failures),
            }
            for name, r in named
            for o in r.failed
        ],
    }


def _goldset_figures(report: GoldReport) -> dict[str, Any]:
    return {
        "questions": len(report.outcomes),
        "with_source": len(report.with_source),
        "with_answer": len(report.with_answer),
        "unanswerable": len(report.unanswerable),
        **report.figures(),
        "measures": {key: {**asdict(t), "share": t.share} for key, t in report.measures().items()},
    }
