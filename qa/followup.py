"""Follow-up questions: whether a question leans on the earlier turns, the query that carries their topic, and
the earlier answers a follow-up must not repeat."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.retrieval import Sentence
from qa.sparse import TOKEN, terms

History = Sequence[tuple[str, str]]
NOTHING_MORE = "The documents say nothing more on this than the previous answer."
CHAIN_TURNS = 5  # how far back a run of follow-ups is followed to the question that set its topic
TOPIC_WORDS = 8

OPENER = re.compile(r"^\W*(?:and|but|or|so|also|then|what about|how about|what if)\b", re.I)
ELLIPSIS = re.compile(r"^\W*(?:\.\.\.|…)|(?:\.\.\.|…)\W*$")
REFERS = re.compile(
    r"\bit\b(?!(?:\s+(?:is|was))?\s+\w+\s+(?:to|that)\b)"  # not the "it" of "is it safe to ..."
    r"|\b(?:its|they|them|their|theirs|these|those|this|he|she|him|his|her|hers)\b"
    r"|\bthat\s*(?:[?.!,;]|$|one\b)"  # "undo that", "that one"; not "the package that owns a file"
    r"|(?<!\bis )(?<!\bare )(?<!\bwas )\bthere\b(?!\s+(?:is|are|was|were|be)\b)"  # not "is there"
    r"|\b(?:the (?:two|three|both|former|latter|first|second|last|same|other|others)|both|either|neither)\b"
    r"|\b(?:the|which|that|this) ones?\b|\bones\b",
    re.I,
)
BEYOND = re.compile(r"\s*\b(?:else|also|too|again|besides|anything)\b", re.I)  # "what else": not the answer given
MARKERS = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def leans_on_earlier(question: str) -> bool:
    """Whether the question needs the earlier turn: it opens with "and", "but", "what about" and the like,
    refers back ("it", "the two", "there"), trails off, or names at most one thing."""
    if not any(ch.isalnum() for ch in question):
        return False
    found = OPENER.search(question) or ELLIPSIS.search(question) or REFERS.search(question)
    return bool(found) or len(set(terms(BEYOND.sub("", question)))) <= 1


def topic_words(earlier: str, question: str, limit: int = TOPIC_WORDS) -> list[str]:
    """The words of the earlier question that carry its topic and that the new question does not say."""
    said = set(terms(question))
    words = []
    for word in TOKEN.findall(earlier):
        found = [t for t in terms(word) if t not in said]
        if found:
            words.append(word)
            said.update(found)
    return words[:limit]


def _chain_start(history: History) -> int:
    """Where the run of follow-ups that ends the history starts: the turn that set its topic."""
    start = len(history) - 1
    while start > 0 and start > len(history) - CHAIN_TURNS and leans_on_earlier(history[start][0]):
        start -= 1
    return start


def _joined(earlier: str, question: str) -> str:
    own = BEYOND.sub("", question).strip()
    return " ".join(word for word in [*topic_words(earlier, own), own] if word)


def follow_up_query(question: str, history: History) -> str:
    """What to retrieve with: a follow-up's own words after the topic of the turns it leans on ("put package
    hold And how do I undo it?"); any other question as it is."""
    if not history or not leans_on_earlier(question):
        return question
    start = _chain_start(history)
    earlier = history[start][0]
    for asked, _ in history[start + 1 :]:
        earlier = _joined(earlier, asked)
    return _joined(earlier, question)


def earlier_answers(question: str, history: History) -> tuple[str, ...]:
    """The answers, without [n] markers, of the turns a follow-up leans on: what it must not repeat."""
    if not history or not leans_on_earlier(question):
        return ()
    return tuple(MARKERS.sub("", answer) for _, answer in history[_chain_start(history) :])


def unsaid(sentences: Sequence[Sentence], avoid: Sequence[str]) -> tuple[Sentence, ...]:
    """The sentences that no avoided answer holds (whitespace aside)."""
    said = [" ".join(text.split()) for text in avoid]
    return tuple(s for s in sentences if not any(" ".join(s.text.split()) in text for text in said))
