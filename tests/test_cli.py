"""The `qa` command: through qa.cli.main in this process where no process is needed, and as a real
subprocess for the entry point, stdin batches, the terminal chat and what it imports."""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import ANSWER_KEYS, DEBIAN_FAQ, DEFAULT_CORPUS, FAQ_CHAT, HOLD, RELEASE, UNHOLD, run_qa, write

QUESTIONS = [
    "What does the government do to support AI?",
    "Which cities are in the Greater Bay Area?",
    "What do financial institutions use AI for?",
    "What challenges does Hong Kong face?",
]
CITATION_KEYS = {"id", "source", "start", "end", "line_start", "line_end", "page", "text", "score", "boxes", "also_in"}
HIT_KEYS = {"source", "start", "end", "line_start", "line_end", "page", "text", "score", "also_in"}


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("cli")
    corpus, index = base / "corpus", base / "index"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    result = run_qa("index", "--corpus", str(corpus), "--index", str(index))
    assert result.returncode == 0, result.stderr
    return corpus, index


def qa(capsys, monkeypatch, *argv: str, stdin: str | None = None) -> SimpleNamespace:
    """`qa ARGV` run in this process by `qa.cli.main`, its output captured: for tests that need no process."""
    from qa.cli import main

    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)


def where(cli_index) -> list[str]:
    corpus, index = cli_index
    return ["--corpus", str(corpus), "--index", str(index)]


def assert_answer_contract(payload: dict, corpus: Path) -> None:
    assert set(payload) == ANSWER_KEYS
    ids = [c["id"] for c in payload["citations"]]
    if payload["short_answer"]:
        at = payload["short_answer_at"]
        cited = payload["citations"][at["citation"] - 1]["text"]
        assert cited[at["start"] : at["end"]] == payload["short_answer"], "the short answer is a span of its citation"
    else:
        assert payload["short_answer_at"] is None
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", payload["answer"])}
    assert markers == set(ids), "every marker names a citation and every citation is referenced"
    for citation in payload["citations"]:
        assert set(citation) == CITATION_KEYS
        assert citation["boxes"] == [], "a text file has no page boxes"
        text = (corpus / citation["source"]).read_text(encoding="utf-8")
        assert text[citation["start"] : citation["end"]] == citation["text"]
        assert citation["line_start"] == text.count("\n", 0, citation["start"]) + 1
        assert citation["line_end"] == text.count("\n", 0, citation["end"] - 1) + 1
        assert isinstance(citation["score"], float)


def test_index_prints_what_it_did(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    (corpus / "logo.png").write_bytes(b"\x89PNG")
    first = run_qa("index", "--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert first.returncode == 0, first.stderr
    assert re.search(r"added 1, changed 0, removed 0, unchanged 0 files; [1-9]\d* chunks embedded", first.stdout)
    assert "skipped: logo.png: cannot read image: damaged" in first.stderr
    assert "embedding" in first.stderr
    second = run_qa("index", env={"QA_CORPUS": str(corpus), "QA_INDEX": str(tmp_path / "index")})
    assert second.returncode == 0, second.stderr
    assert "added 0, changed 0, removed 0, unchanged 1 files; 0 chunks embedded" in second.stdout


def test_ask_json_follows_the_contract_and_cites_exact_sentences(cli_index, capsys, monkeypatch):
    corpus, _ = cli_index
    for question in QUESTIONS:
        result = qa(capsys, monkeypatch, "ask", question, "--json", *where(cli_index))
        assert result.returncode == 0, result.stderr
        payload = json.loads(result.stdout)
        assert payload["question"] == question
        assert payload["answered"] is True
        assert payload["mode"] == "extractive"
        assert_answer_contract(payload, corpus)
        assert all(len(c["text"]) < 400 for c in payload["citations"]), "citations are sentences, not chunks"


def test_batch_ask_reads_questions_from_stdin(cli_index):
    corpus, _ = cli_index
    stdin = "\n".join(QUESTIONS + ["How do I bake sourdough bread?"]) + "\n"
    result = run_qa("ask", "-", *where(cli_index), stdin=stdin)
    assert result.returncode == 0, result.stderr
    payloads = [json.loads(line) for line in result.stdout.splitlines()]
    assert [p["question"] for p in payloads] == QUESTIONS + ["How do I bake sourdough bread?"]
    assert [p["answered"] for p in payloads] == [True] * len(QUESTIONS) + [False]
    for payload in payloads:
        assert_answer_contract(payload, corpus)
    assert "Shenzhen" in payloads[1]["answer"]
    assert payloads[-1]["answer"].startswith("The corpus does not cover this question.")


def test_search_json_and_batch(cli_index, capsys, monkeypatch):
    corpus, _ = cli_index
    result = qa(capsys, monkeypatch, "search", "fraud detection", "-k", "2", "--json", *where(cli_index))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["query"] == "fraud detection"
    assert len(payload["hits"]) == 2
    assert set(payload["hits"][0]) == HIT_KEYS
    assert "fraud detection" in payload["hits"][0]["text"]
    text = (corpus / "hong-kong-ai.txt").read_text(encoding="utf-8")
    for hit in payload["hits"]:
        assert text[hit["start"] : hit["end"]] == hit["text"]
    batch = qa(capsys, monkeypatch, "search", "-", *where(cli_index), stdin="startups\nGreater Bay Area\n")
    assert [json.loads(line)["query"] for line in batch.stdout.splitlines()] == ["startups", "Greater Bay Area"]


def test_ask_prints_answer_and_sources(cli_index, capsys, monkeypatch):
    result = qa(capsys, monkeypatch, "ask", "Which cities are in the Greater Bay Area?", *where(cli_index))
    assert result.returncode == 0, result.stderr
    assert "Shenzhen" in result.stdout
    assert re.search(r"\[1\] hong-kong-ai\.txt, line \d+", result.stdout)


def test_chat_follow_up_uses_previous_turn(cli_index):
    stdin = "What does the government do to support AI?\nWhat else does it do?\n"
    result = run_qa("chat", *where(cli_index), stdin=stdin)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("> ")[1:3]
    assert "fostering AI talent" in second and "Sources:" in second
    assert first.splitlines()[0] not in second, "a follow-up never repeats the previous answer"


def test_chat_answers_a_follow_up_anew_and_says_when_there_is_nothing_more(tmp_path, capsys, monkeypatch, embedder):
    from qa.followup import NOTHING_MORE

    write(tmp_path / "corpus", "debian-faq.md", DEBIAN_FAQ)
    paths = ["--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index")]
    assert qa(capsys, monkeypatch, "index", *paths).returncode == 0
    result = qa(capsys, monkeypatch, "chat", *paths, stdin="\n".join(FAQ_CHAT) + "\n")
    assert result.returncode == 0, result.stderr
    turns = [re.split(r"\n(?:Sources|Closest passages):", turn)[0] for turn in result.stdout.split("> ")[1:5]]
    hold, undo, nothing_more, fresh = turns
    assert HOLD in hold
    assert UNHOLD in undo and undo != hold and HOLD not in undo
    assert NOTHING_MORE in nothing_more
    assert RELEASE in fresh and "hold" not in result.stdout.split("> ")[4]


def test_missing_index_fails_with_one_line(tmp_path, capsys, monkeypatch):
    result = qa(capsys, monkeypatch, "ask", "anything", "--index", str(tmp_path / "none"), "--corpus", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "run `qa index`" in result.stderr


def test_missing_corpus_fails_with_one_line(tmp_path, capsys, monkeypatch):
    result = qa(capsys, monkeypatch, "index", "--corpus", str(tmp_path / "nowhere"), "--index", str(tmp_path / "index"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: corpus folder")
    assert result.stderr.strip().count("\n") == 0


def test_skipped_files_do_not_fail_the_run(tmp_path, capsys, monkeypatch, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 8)
    result = qa(capsys, monkeypatch, "index", "--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert result.returncode == 0
    assert "skipped: binary.txt: looks like binary data" in result.stderr


def test_many_files_skipped_for_one_reason_print_a_few_and_a_count(tmp_path, capsys, monkeypatch, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    for n in range(9):
        (corpus / f"song{n}.mp3").write_bytes(b"ID3")
    (corpus / "tool.exe").write_bytes(b"MZ")
    result = qa(capsys, monkeypatch, "index", "--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    assert [line for line in lines if ".mp3" in line] == [
        "skipped: song0.mp3: unsupported type .mp3",
        "skipped: song1.mp3: unsupported type .mp3",
        "skipped: song2.mp3: unsupported type .mp3",
        "skipped: 6 more files: unsupported type .mp3",
    ]
    assert "skipped: tool.exe: unsupported type .exe" in lines


def test_help_is_instant_and_imports_nothing_heavy():
    result = run_qa("--help")
    assert result.returncode == 0
    assert "index" in result.stdout and "ask" in result.stdout
    probe = run_qa_python(
        "import sys, qa.cli; qa.cli.parser(); print(sorted(m for m in ('torch','faiss','sentence_transformers','gradio') if m in sys.modules))"
    )
    assert probe.strip() == "[]"


def run_qa_python(code: str) -> str:
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
