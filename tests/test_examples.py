"""Example questions are drawn from the indexed documents and offered only when the index answers them."""

from __future__ import annotations

import shutil

from helpers import DEBIAN_FAQ, DEFAULT_CORPUS, write

from qa import Settings, build_index, open_index
from qa.examples import candidates, suggested_questions
from qa.service import Service


def test_question_shaped_headings_come_first_then_questions_on_headings():
    texts = [
        ("a.md", "# Router Guide\n\nSetup\n\n## How do I reset the router?\n\nHold the button.\n"),
        ("b.txt", "Intro text.\n\nPower Settings\n\nThe power switch is at the back.\n"),
    ]
    assert list(candidates(texts)) == [
        "How do I reset the router?",
        "What is said about Router Guide?",
        "What is said about Power Settings?",
    ]


def test_the_faq_examples_are_its_own_questions_and_each_is_answered(tmp_path, embedder):
    write(tmp_path / "corpus", "faq.md", DEBIAN_FAQ)
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    build_index(settings)
    index = open_index(settings)
    examples = suggested_questions(index)
    assert len(examples) == 4 and all(f"## {q}" in DEBIAN_FAQ for q in examples)
    assert all(index.ask(q).answered for q in examples)


def test_a_corpus_without_questions_or_headings_offers_no_examples(tmp_path, embedder):
    write(tmp_path / "corpus", "notes.txt", "otters hold hands while they sleep, and they crack shellfish on rocks.\n")
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    build_index(settings)
    assert suggested_questions(open_index(settings)) == ()


def test_examples_follow_the_corpus_and_never_fall_back_to_the_default_article(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    settings = Settings(corpus=corpus, index=tmp_path / "index")
    build_index(settings)
    service = Service(settings)
    assert any("Government Support" in q for q in service.examples())
    (corpus / "hong-kong-ai.txt").unlink()
    write(corpus, "faq.md", DEBIAN_FAQ)
    service.rebuild(progress=lambda *args, **kwargs: None)
    examples = service.examples()
    assert examples and all(f"## {q}" in DEBIAN_FAQ for q in examples)
