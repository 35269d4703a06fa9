"""Answers to questions asked in other words than the documents': the sentence that holds the fact is cited."""

from __future__ import annotations

import pytest
from helpers import write

from qa import Settings, build_index, open_index

PORTO = """Porto and its economy

In recent years, Porto has emerged as a prominent player in the European software industry, particularly in
the field of mobile games. This river city, known for its port wine cellars and its tiled churches, is
increasingly becoming a hub for game studios. The city council has opened a fund for young studios through its
"Porto Digital 2030" plan.

Porto's harbour handles container ships from Brazil and Angola, and its airport links the north of Portugal
with forty European cities. Most of the region's exports are cork, textiles and shoes.

The region's factories have also embraced automation to cut their costs. From cork cutting to shoe stitching,
workshops in the north are increasingly handing repetitive work to machines.

The university has taken steps to train more game designers for the city. Courses such as level design and
sound for games now fill two floors of its engineering school.

Challenges:

While Porto's game industry is thriving, it is not without challenges. The city faces competition from Lisbon and
Madrid, and rising rents may drive founders away.
"""


@pytest.fixture(scope="module")
def porto(tmp_path_factory, embedder):
    base = tmp_path_factory.mktemp("porto")
    settings = Settings(corpus=base / "corpus", index=base / "index")
    write(settings.corpus, "porto.txt", PORTO)
    build_index(settings)
    return open_index(settings)


def test_a_sentence_that_goes_on_about_the_cited_ones_subject_is_cited_with_it(porto):
    answer = porto.ask("What is Porto famous for apart from software?")
    assert answer.answered, answer.reason
    first = answer.citations[0].text
    assert "port wine cellars" in first, first


def test_a_year_in_a_plans_name_is_no_date_it_was_launched(porto):
    answer = porto.ask("In what year was the Porto Digital plan launched?")
    assert not answer.answered
    assert "date" in answer.reason, answer.reason


def test_what_a_question_sets_aside_need_not_be_in_the_documents(porto):
    answer = porto.ask("Besides banks and insurers, where do the harbour's container ships come from?")
    assert answer.answered, answer.reason
    assert "Brazil and Angola" in answer.citations[0].text


def test_the_examples_after_a_general_sentence_are_cited_with_it(porto):
    answer = porto.ask("How do the factories of the region automate?")
    assert answer.answered, answer.reason
    assert "cork cutting to shoe stitching" in answer.citations[0].text, answer.citations[0].text


def test_a_ranking_the_documents_never_make_is_refused_naming_it(porto):
    answer = porto.ask("What is the name of Porto's largest game studio?")
    assert not answer.answered
    assert "largest" in answer.reason, answer.reason


def test_the_examples_a_sentence_gives_of_the_last_ones_subject_are_cited_with_it(porto):
    answer = porto.ask("What does the university do to train designers?")
    assert answer.answered, answer.reason
    assert "level design" in answer.citations[0].text, answer.citations[0].text


def test_a_question_word_the_documents_say_in_other_words_picks_the_sentence_that_says_it(porto):
    answer = porto.ask("Which rivals does Porto's game industry face?")
    assert answer.answered, answer.reason
    assert "competition from Lisbon" in answer.citations[0].text, answer.citations[0].text


def test_a_person_the_documents_never_name_is_refused_naming_them(porto):
    answer = porto.ask("Who is the mayor of Porto?")
    assert not answer.answered
    assert '"mayor"' in answer.reason, answer.reason


def test_a_sentence_that_only_says_there_are_challenges_is_cited_with_the_next_that_says_which(porto):
    answer = porto.ask("What threatens Porto's game industry?")
    assert answer.answered, answer.reason
    first = answer.citations[0].text
    assert "not without challenges" in first and "competition from Lisbon" in first, first


def test_a_company_the_documents_never_name_is_refused(porto):
    answer = porto.ask("Which companies build the machines that the region's workshops use?")
    assert not answer.answered
    assert "company" in answer.reason, answer.reason
    assert porto.ask("Which countries do the harbour's container ships come from?").answered


def test_the_english_model_alone_reads_no_word_with_the_multilingual_encoder(porto, monkeypatch):
    assert porto.weights.paraphrase > 0.0
    monkeypatch.setattr(porto, "settings", porto.settings.with_(model="minilm"))
    assert porto.weights.paraphrase == 0.0
    assert porto.ask("Who is the mayor of Porto?").answered is False
