"""Chunks within the model limit on hostile text, and the fast token count."""

from __future__ import annotations

from qa import Settings
from qa.chunking import chunk_document, make_splitter, split_sentences, token_counter
from qa.embedding import load_tokenizer, model_path
from qa.types import Document

TRICKY = {
    "urls.txt": " ".join(f"https://example.com/{'segment/' * 40}{i}?q={'x' * 200}" for i in range(30)),
    "cjk.txt": "香港人工智能发展迅速。" * 400 + "東京の人工知能研究所は新しいモデルを発表した。" * 200,
    "code.md": "```python\n"
    + "\n".join(
        f"def function_{i}(alpha, beta):\n    return {{'key_{i}': [alpha ** {i}, beta // {i + 1}]}}  # note"
        for i in range(300)
    )
    + "\n```\n",
    "long-words.txt": "a" * 5000 + " " + "pneumonoultramicroscopicsilicovolcanoconiosis " * 200 + "é" * 3000,
    "mixed.txt": "\x0cPage one\x0c" + ("emoji 😀🚀 naïve café ÉCOLE\tzero\u200bwidth\u00a0nbsp " * 300),
}


def test_chunks_never_exceed_the_model_limit_on_tricky_text(embedder):
    settings = Settings()
    splitter = make_splitter(load_tokenizer(model_path(settings)), settings)
    for name, text in TRICKY.items():
        chunks = chunk_document(Document(name, text), splitter)
        assert len(chunks) > 1, name
        for chunk in chunks:
            assert text[chunk.start : chunk.end] == chunk.text
            assert len(embedder.tokenizer(chunk.text)["input_ids"]) <= embedder.max_tokens, name


def test_fast_token_count_equals_the_tokenizer(embedder):
    count = token_counter(load_tokenizer(model_path(Settings())))
    pieces = [p for text in TRICKY.values() for p in (text[:50], text[:700], text[1000:1400])]
    pieces += ["", "   ", "a\x0bb", "x\x1cy", "line\x85next", "tab\there", "UPPER lower MiXeD", "don't stop-me now!"]
    for piece in pieces:
        assert count(piece) == len(embedder.tokenizer(piece, add_special_tokens=False)["input_ids"]), repr(piece[:40])


def test_the_bundled_tokenizer_truncation_does_not_cap_chunk_lengths():
    count = token_counter(load_tokenizer(model_path(Settings())))
    assert count("word " * 300) == 300


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_sentence_spans_are_exact_offsets_trimmed_of_white_space():
    text = "  First one.  Second one?\n\nThird:\nFourth!  "
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["First one.", "Second one?", "Third:", "Fourth!"]
    assert spans[0] == (2, 12)


def test_a_hard_wrapped_sentence_is_one_sentence_but_blocks_stay_apart():
    text = (
        "Introduction\n============\n\n"
        "This document gives coding conventions for the Python code comprising\n"
        "the standard library in the main Python distribution.  Please see the\n"
        "companion informational PEP for the C code.\n\n"
        "Some good reasons to ignore a particular guideline are listed below now:\n\n"
        "1. When applying the guideline would make the code less readable, even\n"
        "   for someone who is used to reading code that follows this PEP.\n"
        "2. To be consistent with surrounding code that also breaks it for now\n\n"
        "Author: Guido van Rossum <guido@python.org>, and other people as well,\n"
        "        Barry Warsaw <barry@python.org>\n"
        "Short line\nNext line"
    )
    assert sentences(text) == [
        "Introduction",
        "============",
        "This document gives coding conventions for the Python code comprising\n"
        "the standard library in the main Python distribution.",
        "Please see the\ncompanion informational PEP for the C code.",
        "Some good reasons to ignore a particular guideline are listed below now:",
        "1. When applying the guideline would make the code less readable, even\n"
        "   for someone who is used to reading code that follows this PEP.",
        "2. To be consistent with surrounding code that also breaks it for now",
        "Author: Guido van Rossum <guido@python.org>, and other people as well,",
        "Barry Warsaw <barry@python.org>",
        "Short line",
        "Next line",
    ]


def test_abbreviations_initials_and_lower_case_continuations_do_not_end_a_sentence():
    text = (
        "While many commute to L.A. and Orange Counties, others stay. It was the costliest in U.S. history. "
        "The act was signed by John B. Weller in 1859. Dr. Smith agreed."
    )
    assert sentences(text) == [
        "While many commute to L.A. and Orange Counties, others stay.",
        "It was the costliest in U.S. history.",
        "The act was signed by John B. Weller in 1859.",
        "Dr. Smith agreed.",
    ]


def test_an_abbreviation_before_a_number_does_not_end_the_sentence_but_the_same_word_before_a_capital_does():
    text = "The format allows max. 50 waypoints per route. Set it to the max. Then restart."
    assert sentences(text) == [
        "The format allows max. 50 waypoints per route.",
        "Set it to the max.",
        "Then restart.",
    ]


def test_a_blank_line_after_a_full_stop_ends_the_sentence_whatever_comes_next():
    text = (
        "You can use an empty override_dh_auto_test target to skip it.\n\noverride_dh_auto_test:\n\n"
        "Then see e.g. the manual page.\nrunning on the next line continues it."
    )
    assert sentences(text) == [
        "You can use an empty override_dh_auto_test target to skip it.",
        "override_dh_auto_test:",
        "Then see e.g. the manual page.\nrunning on the next line continues it.",
    ]


def test_chinese_full_stops_and_closing_quotes_end_sentences():
    assert sentences("香港是金融中心。人工智能发展迅速！Next") == ["香港是金融中心。", "人工智能发展迅速！", "Next"]
    assert sentences('He said "stop." Then he left.') == ['He said "stop."', "Then he left."]


def test_a_path_broken_at_a_line_end_stays_in_one_sentence():
    text = "Put the files in /\nusr/share/doc/foo. Then run it."
    assert [text[a:b] for a, b in split_sentences(text)] == ["Put the files in /\nusr/share/doc/foo.", "Then run it."]


def test_a_token_or_bracket_left_open_at_a_line_end_continues_but_a_rule_line_does_not():
    for end, rest in (("package_", "name is set."), ("VAR=", "value is set."), ("call (", "see below).")):
        text = f"Short {end}\n{rest}"
        assert [text[a:b] for a, b in split_sentences(text)] == [text], text
    text = "Title\n=====\nBody."
    assert [text[a:b] for a, b in split_sentences(text)] == ["Title", "=====", "Body."]


def test_each_contents_line_with_a_dot_leader_is_one_sentence():
    text = (
        "2.1 What is the latest version of Debian? . . . . . . . . . . . . . . . . 5\n"
        "2.2 Are there package upgrades in stable? . . . . . . . . . . . . . . . . 5\n"
        "2.3 Where can I get the installation images? . . . . . . . . . . . . . 6"
    )
    assert [text[a:b] for a, b in split_sentences(text)] == text.split("\n")
