"""Retrieval: dense and BM25 fused, the leading chunks re-ranked by sentence, scored with a deterministic
hash encoder in place of the model, so these run without torch."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers import HashEncoder, write

from qa import build_index, open_index
from qa.config import Fusion

DOCS = {
    "bees.txt": "Honey bees dance to tell the hive where the flowers are. The dance points at the sun.\n",
    "otters.txt": "Sea otters hold hands while they sleep. They keep a favourite rock under the arm.\n",
    "kelp.txt": "Kelp forests grow fast in cold water. Urchins graze the kelp when otters are gone.\n",
}


@pytest.fixture
def hashed(settings_for, monkeypatch):
    encoder = HashEncoder()
    monkeypatch.setattr("qa.indexer.get_embedder", lambda settings: encoder)
    monkeypatch.setattr("qa.api.get_question_embedder", lambda settings: encoder)
    settings = settings_for()
    for name, text in DOCS.items():
        write(settings.corpus, name, text)
    build_index(settings)
    return settings


def test_the_chunk_with_the_question_words_ranks_first_and_scores_fall(hashed):
    retrieval = open_index(hashed).retrieve("Why do honey bees dance in the hive?", 3)
    assert retrieval.hits[0].chunk.source == "bees.txt"
    scores = [h.score for h in retrieval.hits]
    assert scores == sorted(scores, reverse=True)


def test_sentences_of_the_leading_chunks_carry_exact_offsets_and_their_evidence(hashed):
    retrieval = open_index(hashed).retrieve("What do sea otters keep under the arm?", 3)
    assert retrieval.sentences
    for s in retrieval.sentences:
        assert DOCS[s.hit.chunk.source][s.start : s.end] == s.text
        assert retrieval.hits[s.hit_rank] is s.hit
        assert 0.0 <= s.lexical <= s.context <= 1.0
    best = max(retrieval.sentences, key=lambda s: s.lexical)
    assert best.text == "They keep a favourite rock under the arm."


def test_without_the_sentence_re_rank_there_are_no_sentence_scores(hashed):
    plain = open_index(hashed.with_(retrieval=replace(Fusion(), rerank=0)))
    retrieval = plain.retrieve("What do sea otters keep under the arm?", 3)
    assert retrieval.hits[0].chunk.source == "otters.txt" and retrieval.sentences == ()


def test_the_answer_over_hashed_vectors_cites_the_sentence_that_answers(hashed):
    answer = open_index(hashed).ask("What do urchins graze once the otters are gone?")
    assert answer.answered and answer.citations[0].source == "kelp.txt"
    assert "Urchins graze the kelp" in answer.citations[0].text
