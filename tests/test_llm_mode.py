"""Generative mode through the public API and the CLI, against a real OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import re
import socket

import pytest
from fake_llm import FakeLLM
from helpers import run_qa

from qa import Answer, open_index


@pytest.fixture
def llm():
    with FakeLLM(hang_seconds=5) as server:
        yield server


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def run_stream(index, question, history=(), mode="auto"):
    stream = index.stream(question, history=history, mode=mode)
    parts = list(stream)
    assert all(isinstance(p, str) for p in parts), "the stream yields text only"
    assert isinstance(stream.answer, Answer)
    return parts, stream.answer


def test_llm_answer_streams_and_cites_given_passages(hk_index, llm):
    llm.reply("The Greater Bay Area includes Shenzhen and Guangzhou [1]. It is a focal point for technology [9].")
    index = open_index(hk_index.with_(llm_url=llm.url, llm_model="test"))
    text_parts, answer = run_stream(index, "Which cities are in the Greater Bay Area?")
    assert len(text_parts) > 3, "the reply arrives in pieces"
    assert answer.mode == "llm"
    assert "[9]" not in answer.answer, "a marker to a passage that was not given is removed"
    assert [c.id for c in answer.citations] == [1]
    corpus_text = (hk_index.corpus / answer.citations[0].source).read_text(encoding="utf-8")
    c = answer.citations[0]
    assert corpus_text[c.start : c.end] == c.text
    assert answer.unsupported_sentences == ("It is a focal point for technology.",)
    prompt = json.dumps(llm.requests[-1]["messages"])
    assert "Which cities are in the Greater Bay Area?" in prompt
    assert '<passage id=\\"1\\"' in prompt


def test_a_question_the_documents_do_not_cover_is_refused_before_the_model_is_asked(hk_index, llm):
    llm.reply("Hong Kong has about 7.5 million people [1].")
    index = open_index(hk_index.with_(llm_url=llm.url, llm_model="test"))
    text_parts, answer = run_stream(index, "What is the population of Hong Kong?")
    assert not answer.answered and "population" in answer.reason
    assert answer.citations, "the closest passages are still shown"
    assert llm.requests == [], "the model was not asked to make an answer up"
    assert "7.5 million" not in "".join(text_parts)


def test_llm_failure_falls_back_to_extractive_with_a_notice(hk_index, llm):
    llm.fail("http_500")
    index = open_index(hk_index.with_(llm_url=llm.url, llm_model="test", llm_key="sk-secret-123"))
    text_parts, answer = run_stream(index, "Which cities are in the Greater Bay Area?")
    assert answer.mode == "extractive"
    assert answer.answered and "Shenzhen" in answer.answer
    assert "failed" in answer.notice and "sk-secret-123" not in answer.notice
    assert any("Shenzhen" in part for part in text_parts)


def test_follow_up_is_rewritten_by_the_model_for_retrieval(hk_index, llm):
    llm.reply("Which cities does the Greater Bay Area include?", "It includes Shenzhen and Guangzhou [1].")
    index = open_index(hk_index.with_(llm_url=llm.url, llm_model="test"))
    history = [("What is the Greater Bay Area?", "A focal point for technology collaboration [1].")]
    _, answer = run_stream(index, "Which cities does it include?", history=history)
    assert answer.mode == "llm"
    assert "Greater Bay Area, which includes cities like Shenzhen" in llm.requests[1]["messages"][-1]["content"]


def test_extractive_mode_can_be_forced_when_an_endpoint_is_set(hk_index, llm):
    index = open_index(hk_index.with_(llm_url=llm.url, llm_model="test"))
    _, answer = run_stream(index, "Which cities are in the Greater Bay Area?", mode="extractive")
    assert answer.mode == "extractive"
    assert llm.requests == []


def test_cli_ask_json_in_llm_mode(hk_index, llm):
    llm.reply("Financial institutions use AI for risk management and fraud detection [1].")
    where = ["--corpus", str(hk_index.corpus), "--index", str(hk_index.index)]
    result = run_qa(
        "ask",
        "What do financial institutions use AI for?",
        "--json",
        "--llm-url",
        llm.url,
        *where,
        env={"QA_LLM_MODEL": "test", "QA_LLM_KEY": "sk-secret-456"},
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["mode"] == "llm"
    assert payload["unsupported_sentences"] == []
    assert {int(m) for m in re.findall(r"\[(\d+)\]", payload["answer"])} == {c["id"] for c in payload["citations"]}
    assert "sk-secret-456" not in result.stdout + result.stderr
    assert llm.authorizations[-1] == "Bearer sk-secret-456"


def test_cli_streams_to_the_terminal_and_falls_back_when_the_endpoint_is_down(hk_index):
    where = ["--corpus", str(hk_index.corpus), "--index", str(hk_index.index)]
    result = run_qa(
        "ask",
        "Which cities are in the Greater Bay Area?",
        "--llm-url",
        closed_port_url(),
        *where,
        env={"QA_LLM_MODEL": "test", "QA_LLM_TIMEOUT": "5"},
    )
    assert result.returncode == 0, result.stderr
    assert "failed" in result.stdout and "answered extractively" in result.stdout
    assert "Shenzhen" in result.stdout
