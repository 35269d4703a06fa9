"""The JSON shapes of the CLI and the HTTP API, in one place."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Sequence

from qa.types import Answer, Hit


def hit_json(hit: Hit) -> dict[str, Any]:
    c = hit.chunk
    return {
        "source": c.source, "start": c.start, "end": c.end, "line_start": c.line_start, "line_end": c.line_end,
        "page": c.page, "text": c.text, "score": hit.score,
    }


def search_json(query: str, hits: Sequence[Hit]) -> dict[str, Any]:
    return {"query": query, "hits": [hit_json(h) for h in hits]}


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answer": answer.answer,
        "answered": answer.answered,
        "citations": [asdict(c) for c in answer.citations],
        "mode": answer.mode,
        "unsupported_sentences": list(answer.unsupported_sentences),
    }
