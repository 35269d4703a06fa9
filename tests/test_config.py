"""Settings: one tree, read from defaults, QA_* variables and overrides."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qa import QAError, Settings
from qa.config import Fusion, Weights


def test_variables_then_overrides_and_types_follow_the_defaults():
    env = {"QA_K": "7", "QA_WATCH": "yes", "QA_LLM_TIMEOUT": "2.5", "QA_CORPUS": "/docs", "QA_PRECISION": "float32"}
    settings = Settings.from_env(env, k=3)
    assert settings.k == 3 and settings.watch is True and settings.llm_timeout == 2.5
    assert settings.corpus == Path("/docs") and settings.precision == "float32"


def test_retrieval_and_answer_weights_are_nested_and_not_read_from_one_variable():
    settings = Settings.from_env({"QA_RETRIEVAL": "nonsense", "QA_ANSWER": "nonsense"})
    assert settings.retrieval == Fusion() and settings.answer == Weights()
    tuned = settings.with_(retrieval=replace(Fusion(), dense=0.7))
    assert tuned.retrieval.dense == 0.7 and tuned.answer == settings.answer


def test_a_strictness_out_of_range_is_one_clear_error():
    with pytest.raises(QAError, match="from 0 .answer everything. to 1"):
        Settings.from_env({"QA_STRICTNESS": "2"})


def test_build_memory_is_a_size_with_a_unit_and_a_bad_one_says_what_to_write():
    assert Settings().build_memory == 1 << 30
    assert Settings.from_env({"QA_BUILD_MEMORY": "512M"}).build_memory == 512 << 20
    assert Settings.from_env({"QA_BUILD_MEMORY": "2GB"}).build_memory == 2 << 30
    assert Settings.from_env({"QA_BUILD_MEMORY": "1.5G"}).build_memory == 3 << 29
    assert Settings.from_env({"QA_BUILD_MEMORY": str(300 << 20)}).build_memory == 300 << 20
    with pytest.raises(QAError, match="such as 1G or 512M, not 'lots'"):
        Settings.from_env({"QA_BUILD_MEMORY": "lots"})
    with pytest.raises(QAError, match="below 1M"):
        Settings.from_env({"QA_BUILD_MEMORY": "64K"})
