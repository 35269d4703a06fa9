"""Extractive answers: sentence spans, answer types, follow-ups, refusals, and answers on the default corpus."""

from __future__ import annotations

import re

import pytest

from qa.answer import (
    NOT_COVERED,
    Weights,
    answer_type,
    answer_type_match,
    bridged,
    completes_it,
    extractive_answer,
    is_heading,
    refusal,
    split_sentences,
)

ON_TOPIC = {
    "What does the government do to support AI?": "government",
    "Which cities are in the Greater Bay Area?": "Shenzhen and Guangzhou",
    "What do financial institutions use AI for?": "risk management, fraud detection, and algorithmic trading",
    "What challenges does Hong Kong face?": "competition from other global tech hubs",
    "What applications are AI startups exploring?": "healthcare and logistics",
}
OFF_TOPIC = [
    "How do I bake sourdough bread?",
    "What is the capital of France?",
    "Who won the 2018 World Cup?",
    "How tall is Mount Everest?",
]


@pytest.fixture(scope="module")
def hk(hk_index):
    from qa import open_index

    return open_index(hk_index)


@pytest.fixture(scope="module")
def hk_text(hk_index) -> str:
    return (hk_index.corpus / "hong-kong-ai.txt").read_text(encoding="utf-8")


def assert_contract(answer, text: str) -> None:
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.id for c in answer.citations}, "every marker names a citation, every citation is cited"
    for c in answer.citations:
        assert text[c.start : c.end] == c.text


def test_headings_are_recognised():
    assert is_heading("Government Support and Initiatives:")
    assert is_heading("Challenges and Opportunities")
    assert not is_heading("• UDP 49152-50175"), "a short list item is no heading: it can be the answer"
    assert not is_heading("The Hong Kong government has recognized the potential of AI.")


def test_answer_types_of_questions():
    assert answer_type("How many counties are in the region?") == "number"
    assert answer_type("What percentage of voters approved it?") == "number"
    assert answer_type("When did the Normans arrive?") == "time"
    assert answer_type("In what year was it founded?") == "time"
    assert answer_type("Who commissioned the tapestry?") == "person"
    assert answer_type("Where is the business district?") == "place"
    assert answer_type("Which country did they invade?") == "place"
    assert answer_type("What is the Smart City Blueprint?") is None


def test_answer_type_needs_something_the_question_does_not_already_say():
    question = "How many counties were there in 1900?"
    assert answer_type_match(question, "In 1900 the region had seven counties.") == 1.0
    assert answer_type_match(question, "In 1900 the region was rural.") == 0.0
    assert answer_type_match("When did Rollo arrive?", "Rollo arrived in 911.") == 1.0
    assert answer_type_match("When did Rollo arrive?", "Rollo arrived by sea.") == 0.0
    assert answer_type_match("Who commissioned the Tapestry?", "It was commissioned by Odo.") == 1.0
    assert answer_type_match("Who commissioned the Tapestry?", "The Tapestry is long.") == 0.0
    assert answer_type_match("What is it?", "Anything at all, 1900.") == 0.0


def test_refusal_without_passages_says_the_index_is_empty():
    answer = refusal("Anything?", ())
    assert not answer.answered and answer.citations == ()
    assert answer.answer.startswith(NOT_COVERED)


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_question_is_refused_with_the_closest_passages(hk, hk_text, question):
    answer = hk.ask(question)
    assert answer.answered is False
    assert answer.answer.startswith(NOT_COVERED)
    assert 1 <= len(answer.citations) <= 3
    assert_contract(answer, hk_text)


@pytest.mark.parametrize("question", list(ON_TOPIC))
def test_answer_starts_with_the_sentence_that_answers(hk, hk_text, question):
    answer = hk.ask(question)
    assert answer.answered is True
    assert ON_TOPIC[question] in answer.citations[0].text
    assert answer.answer.startswith(answer.citations[0].text + " [1]")
    assert_contract(answer, hk_text)
    spans = split_sentences(hk_text)
    for c in answer.citations:
        assert not is_heading(c.text), "headings are never cited"
        assert c.start in {a for a, _ in spans} and c.end in {b for _, b in spans}, "citations are whole sentences"


def test_chinese_question_whose_terms_a_sentence_holds_is_answered(hk):
    answer = hk.ask("香港AI")
    assert answer.answered and "香港AI" in answer.citations[0].text


def test_follow_up_is_answered_from_the_previous_turn(hk):
    answer = hk.ask("Which cities does it include?", history=[("What is the Greater Bay Area?", "")])
    assert answer.answered and "Shenzhen" in answer.citations[0].text


def test_retrieval_ranks_by_score_and_scores_sentences_of_its_hits(hk, hk_text):
    retrieval = hk.retrieve("What do financial institutions use AI for?", 4)
    scores = [h.score for h in retrieval.hits]
    assert scores == sorted(scores, reverse=True)
    assert retrieval.sentences
    for s in retrieval.sentences:
        assert hk_text[s.start : s.end] == s.text
        assert retrieval.hits[s.hit_rank] is s.hit
        assert 0.0 <= s.lexical <= s.context <= 1.0


def test_answer_from_a_retrieval_without_sentence_scores_embeds_them(hk, hk_text):
    from dataclasses import replace

    retrieval = hk.retrieve("Which cities are in the Greater Bay Area?", 3)
    bare = replace(retrieval, sentences=())
    answer = extractive_answer(bare.question, bare, hk.embedder, hk.snapshot.sparse)
    assert "Shenzhen" in answer.citations[0].text
    assert_contract(answer, hk_text)


def test_strictness_decides_on_the_same_retrieval(hk):
    retrieval = hk.retrieve("What do financial institutions use AI for?", 3)
    sparse = hk.snapshot.sparse
    assert not extractive_answer(retrieval.question, retrieval, hk.embedder, sparse, Weights(), None, 1.0).answered
    assert extractive_answer(retrieval.question, retrieval, hk.embedder, sparse, Weights(), None, None).answered


def test_a_next_sentence_that_says_more_of_what_the_question_is_about_completes_the_answer():
    question = "Which tram line do visitors ride the most?"
    first = "Lisbon's tram network was rebuilt after the war."
    assert completes_it(question, first, "Line 28 climbs through Alfama and visitors ride it most.")
    assert not completes_it(question, first, "The depot at Santo Amaro repairs the old cars.")


def test_two_cited_sentences_with_one_between_are_one_citation_and_neighbours_or_record_lines_are_not():
    from qa.types import Chunk, Hit, Span

    text = (
        "First allow password logins in the account settings. This is needed because logins are refused. "
        "To do this, switch on App Passwords. After that, log in with that password.\n\n"
        "Package: greeter\nVersion: 2.10-3\nMaintainer: Ana Lima"
    )
    chunk = Chunk(Span("mail.txt", 0, len(text), 1, text.count("\n") + 1), text)
    hits = [Hit(0, chunk, 1.0)] * 3

    def span(sentence: str) -> tuple[int, int]:
        return text.index(sentence), text.index(sentence) + len(sentence)

    spans = [span("First allow password logins in the account settings."), span("To do this, switch on App Passwords.")]
    assert bridged(hits, spans, [0, 1]) == [0]
    assert text[spans[0][0] : spans[0][1]].endswith("switch on App Passwords."), "the sentence between is cited too"

    spans = [span("To do this, switch on App Passwords."), span("After that, log in with that password.")]
    assert bridged(hits, spans, [0, 1]) == [0, 1], "sentences next to each other stay two citations"

    spans = [span("Package: greeter"), span("Maintainer: Ana Lima")]
    assert bridged(hits, spans, [0, 1]) == [0, 1], "lines of a record are not joined"

    between = span("This is needed because logins are refused.")
    spans = [
        between,
        span("First allow password logins in the account settings."),
        span("To do this, switch on App Passwords."),
    ]
    assert bridged(hits, spans, [0, 1, 2]) == [0, 1, 2], "no citation is cited again inside another"


def test_a_table_row_is_named_by_a_token_the_question_says_in_any_cell():
    from qa.ranking import names_row

    unit = "type | English | French\nmacro | \\correctchoice | \\bonne"
    assert names_row("An exam uses \\bonne. What is the English name for it?", unit)
    assert not names_row("An exam uses \\mauvaise. What is the English name for it?", unit)
