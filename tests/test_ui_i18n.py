"""The app's strings in Chinese: complete, with the same placeholders, chosen by the browser's first language."""

from __future__ import annotations

import string

import pytest

from qa.answer import NOT_COVERED, refusal
from qa.ui_i18n import TABLES, Text, english, locale_of
from qa.views import shown


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("locale", sorted(TABLES))
def test_every_english_string_has_a_translation_with_the_same_placeholders(locale):
    table = TABLES[locale]
    assert set(table) == set(english())
    for name, text in english().items():
        assert fields(table[name]) == fields(text), name
        assert table[name] != text or not any(c.isalpha() for c in text), name


def test_the_refusal_sentence_is_the_librarys():
    assert english()["REFUSED"] == NOT_COVERED


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("zh-TW,zh;q=0.9,en;q=0.8", "zh-TW"),
        ("zh-HK", "zh-TW"),
        ("zh-Hant-MO", "zh-TW"),
        ("zh-CN,zh;q=0.9", "zh-CN"),
        ("zh-SG", "zh-CN"),
        ("zh", "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_browsers_first_language_picks_the_table(header, locale):
    assert locale_of(header) == locale


def test_a_refusal_is_shown_in_the_readers_language_with_the_reason_as_given():
    answer = refusal("How do I bake bread?", (), "")
    assert shown(answer).startswith(NOT_COVERED)
    assert shown(answer, Text("zh-TW")) == "語料庫中沒有涉及這個問題的內容。 The index has no passages yet."
