"""Follow-up questions: which lean on the earlier turn, the query they are asked with, and a scripted
conversation over a small FAQ in which a follow-up is answered anew or told there is nothing more."""

from __future__ import annotations

import pytest
from helpers import DEBIAN_FAQ, FAQ_CHAT, HOLD, RELEASE, UNHOLD, write

from qa.followup import NOTHING_MORE, earlier_answers, follow_up_query, leans_on_earlier

HOLD_TURN = ("How do I put a package on hold?", f"{HOLD} [1]")


@pytest.mark.parametrize(
    "question",
    [
        "And how do I undo it?",
        "Which of the two is safer?",
        "What about for source packages?",
        "But why?",
        "Which cities does it include?",
        "...and the others?",
        "Anything else?",
        "Is it safe?",
        "Do they work there?",
    ],
)
def test_a_question_that_leans_on_the_earlier_turn_is_a_follow_up(question):
    assert leans_on_earlier(question)


@pytest.mark.parametrize(
    "question",
    [
        "How often is there a new stable release?",
        "Is it possible to downgrade a package with apt?",
        "Which package owns the file that dpkg reports?",
        "What do financial institutions use AI for?",
        "???",
    ],
)
def test_a_question_that_stands_alone_is_not_a_follow_up(question):
    assert not leans_on_earlier(question)


def test_a_follow_up_is_asked_with_the_earlier_topic_before_its_own_words():
    assert follow_up_query("And how do I undo it?", [HOLD_TURN]) == "put package hold And how do I undo it?"
    gba = [("What is the Greater Bay Area?", "")]
    assert follow_up_query("Which cities does it include?", gba) == "Greater Bay Area Which cities does it include?"
    assert follow_up_query("What else does it include?", gba) == "Greater Bay Area What does it include?"


def test_a_run_of_follow_ups_keeps_the_topic_of_the_question_that_started_it():
    history = [HOLD_TURN, ("And how do I undo it?", f"{UNHOLD} [1]")]
    assert follow_up_query("Does it need root?", history) == "put package hold undo Does it need root?"
    assert earlier_answers("Does it need root?", history) == (HOLD, UNHOLD)


def test_a_fresh_question_is_asked_as_it_is_and_avoids_nothing():
    question = "How often is there a new stable release?"
    assert follow_up_query(question, [HOLD_TURN]) == question
    assert earlier_answers(question, [HOLD_TURN]) == ()
    assert follow_up_query("And how do I undo it?", []) == "And how do I undo it?"


def test_follow_up_query_is_still_importable_from_qa_answer():
    from qa.answer import follow_up_query as from_answer

    assert from_answer is follow_up_query


@pytest.fixture(scope="module")
def faq(tmp_path_factory, embedder):
    from qa import Settings, build_index, open_index

    base = tmp_path_factory.mktemp("faq")
    write(base / "corpus", "debian-faq.md", DEBIAN_FAQ)
    settings = Settings(corpus=base / "corpus", index=base / "index")
    build_index(settings)
    return open_index(settings)


@pytest.fixture(scope="module")
def conversation(faq):
    """The scripted chat, each question asked with the turns before it."""
    history: list[tuple[str, str]] = []
    answers = []
    for question in FAQ_CHAT:
        answer = faq.ask(question, history=history)
        answers.append(answer)
        history.append((question, answer.answer))
    return answers


def test_the_first_question_is_answered_with_the_hold_command(conversation):
    first = conversation[0]
    assert first.answered and HOLD in first.answer


def test_a_follow_up_is_answered_anew_from_the_earlier_topic(conversation):
    first, undo = conversation[:2]
    assert undo.answered and undo.citations[0].text == UNHOLD
    assert undo.answer != first.answer and HOLD not in undo.answer


def test_a_follow_up_the_documents_say_nothing_more_on_is_refused_with_the_closest_passages(conversation, faq):
    nothing_more = conversation[2]
    assert not nothing_more.answered and nothing_more.reason == NOTHING_MORE
    assert NOTHING_MORE in nothing_more.answer and nothing_more.citations
    right_after = faq.ask(FAQ_CHAT[2], history=[(FAQ_CHAT[0], conversation[0].answer)])
    assert right_after.reason == NOTHING_MORE


def test_a_fresh_question_is_not_mixed_with_the_earlier_turns(conversation, faq):
    fresh = conversation[3]
    assert fresh.answered and fresh.citations[0].text == RELEASE
    assert "hold" not in fresh.answer
    assert fresh.answer == faq.ask(FAQ_CHAT[3]).answer
