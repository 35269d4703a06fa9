"""The conversation the browser keeps: its JSON round trip, older and damaged copies, the Markdown export."""

from __future__ import annotations

import json

from qa.history import FORMAT, Turn, dump, follow_up_turns, load, to_markdown
from qa.types import Citation, Span

HOLD = Citation(1, Span("faq.md", 120, 180, 7, 8), "To put a package on hold,\nrun apt-mark hold.", 0.0)
MIRROR = Citation(
    2, Span("apt.pdf", 10, 60, 3, 3, page=2), "The mirror list is kept in sources.list.", 0.0
)  # scores are not kept
ANSWERED = Turn(
    "How do I hold a package?",
    "Run apt-mark hold. [1] It is kept. [2]",
    "**apt-mark hold**\n\nRun apt-mark hold. [1] It is kept. [2]",
    True,
    (HOLD, MIRROR),
)
REFUSED = Turn(
    "How do I bake bread?",
    "The documents do not cover this.",
    "The documents do not cover this.",
    False,
    (HOLD,),
    "never mention bread",
)
FAILED = Turn("Anything?", "", "⚠️ There is no index yet.", False)


def test_a_history_comes_back_the_same_through_json():
    stored = json.loads(json.dumps(dump([ANSWERED, REFUSED, FAILED])))
    assert stored["format"] == FORMAT
    assert load(stored) == (ANSWERED, REFUSED, FAILED)


def test_the_older_format_of_chat_messages_is_migrated_without_sources():
    older = [
        {"role": "user", "content": "What is apt?"},
        {"role": "assistant", "content": "A package manager. [1]"},
        {"role": "user", "content": "Broken?"},
        {"role": "assistant", "content": "⚠️ Something went wrong"},
    ]
    [turn] = load(older)
    assert (turn.question, turn.answer, turn.citations) == ("What is apt?", "A package manager. [1]", ())


def test_a_damaged_or_unknown_history_is_an_empty_one():
    for value in (
        None,
        "text",
        3,
        {"format": FORMAT + 1, "turns": []},
        {"format": FORMAT, "turns": [{"q": 1}]},
        [1, 2],
    ):
        assert load(value) == ()


def test_follow_ups_are_asked_on_the_answers_only():
    assert follow_up_turns([ANSWERED, FAILED]) == [(ANSWERED.question, ANSWERED.answer)]


def test_the_export_makes_each_marker_a_footnote_naming_file_page_lines_and_text():
    exported = to_markdown([ANSWERED, REFUSED], "Chat")
    assert exported.startswith("# Chat\n")
    assert "## 1. How do I hold a package?" in exported and "Run apt-mark hold. [^1-1] It is kept. [^1-2]" in exported
    assert "[^1-1]: faq.md, lines 7–8: “To put a package on hold, run apt-mark hold.”" in exported
    assert "[^1-2]: apt.pdf, page 2, line 3: “The mirror list is kept in sources.list.”" in exported
    refusal = exported.split("## 2. How do I bake bread?", 1)[1]
    assert (
        "Closest passages (no answer found):" in refusal and "- faq.md, lines 7–8" in refusal and "[^2-" not in refusal
    )
