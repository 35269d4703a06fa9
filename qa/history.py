"""The conversation as the browser keeps it (localStorage, as JSON): its format, reading older or damaged
copies without failing, and the Markdown export with each answer's sources as footnotes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from qa.types import Answer, AnswerMode, Citation, Span

FORMAT = 2  # format 1 was the chat's own list of messages, without sources
MARKER = re.compile(r"\[(\d+)\](?!\()")


@dataclass(frozen=True)
class Turn:
    """One question and its answer: the plain answer for follow-ups, the text as shown, and what it cites."""

    question: str
    answer: str
    shown: str
    answered: bool
    citations: tuple[Citation, ...] = ()
    reason: str = ""
    mode: AnswerMode = "extractive"

    def as_answer(self) -> Answer:
        return Answer(self.question, self.answer, self.answered, self.citations, self.mode, reason=self.reason)


def turn_of(answer: Answer, shown: str) -> Turn:
    return Turn(answer.question, answer.answer, shown, answer.answered, answer.citations, answer.reason, answer.mode)


def dump(turns: Sequence[Turn]) -> dict[str, Any]:
    return {"format": FORMAT, "turns": [_turn_json(t) for t in turns]}


def load(value: Any) -> tuple[Turn, ...]:
    """The turns of a stored history; an older format is migrated, anything unreadable is an empty history."""
    try:
        if isinstance(value, list):
            return _migrate_messages(value)
        if isinstance(value, dict) and value.get("format") == FORMAT:
            return tuple(_turn(t) for t in value["turns"])
    except (KeyError, TypeError, ValueError, AttributeError):
        pass
    return ()


def follow_up_turns(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """The (question, answer) pairs a follow-up is understood from; a turn that failed has no answer to use."""
    return [(t.question, t.answer) for t in turns if t.answer]


def to_markdown(turns: Sequence[Turn], title: str = "Conversation") -> str:
    """Every question and answer, each answer's [n] a footnote naming the file, page, lines and the cited text."""
    parts = [f"# {title}\n"]
    for number, turn in enumerate(turns, start=1):
        cited = {c.id: c for c in turn.citations}
        label = "Sources" if turn.answered else "Closest passages (no answer found)"

        def footnote(match: re.Match[str], number: int = number) -> str:
            n = int(match.group(1))
            return f"[^{number}-{n}]" if n in cited else match.group(0)

        parts.append(f"## {number}. {_one_line(turn.question)}\n\n{MARKER.sub(footnote, turn.shown)}\n")
        if turn.citations and not turn.answered:
            parts.append(f"{label}:\n\n" + "\n".join(f"- {_where(c)}: “{_one_line(c.text)}”" for c in turn.citations))
            parts.append("")
        for c in turn.citations if turn.answered else ():
            parts.append(f"[^{number}-{c.id}]: {_where(c)}: “{_one_line(c.text)}”")
        if turn.answered and turn.citations:
            parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def _where(c: Citation) -> str:
    lines = f"line {c.line_start}" if c.line_start == c.line_end else f"lines {c.line_start}–{c.line_end}"
    return f"{c.source}, " + (f"page {c.page}, " if c.page else "") + lines


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _turn_json(t: Turn) -> dict[str, Any]:
    return {
        "question": t.question,
        "answer": t.answer,
        "shown": t.shown,
        "answered": t.answered,
        "reason": t.reason,
        "mode": t.mode,
        "citations": [{"n": c.id, **asdict(c.span), "text": c.text} for c in t.citations],
    }


def _turn(value: dict[str, Any]) -> Turn:
    citations = tuple(Citation(int(c["n"]), _span(c), str(c["text"]), 0.0) for c in value.get("citations", ()))
    return Turn(
        str(value["question"]),
        str(value["answer"]),
        str(value.get("shown") or value["answer"]),
        bool(value["answered"]),
        citations,
        str(value.get("reason", "")),
        "llm" if value.get("mode") == "llm" else "extractive",
    )


def _span(c: dict[str, Any]) -> Span:
    page = c.get("page")
    lines = int(c["line_start"]), int(c["line_end"])
    return Span(str(c["source"]), int(c["start"]), int(c["end"]), *lines, None if page is None else int(page))


def _migrate_messages(messages: list[Any]) -> tuple[Turn, ...]:
    """Format 1: the chat's messages; each question and its answer become a turn without sources."""
    turns = []
    for asked, answered in zip(messages, messages[1:]):
        if not (isinstance(asked, dict) and isinstance(answered, dict)):
            continue
        text = str(answered.get("content") or "")
        if asked.get("role") == "user" and answered.get("role") == "assistant" and text and not text.startswith("⚠️"):
            turns.append(Turn(str(asked.get("content") or ""), text, text, True))
    return tuple(turns)
