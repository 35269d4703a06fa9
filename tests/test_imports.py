"""What each command imports: `qa --help` no numpy, asking no bm25s or SciPy, a question embeds only itself."""

from __future__ import annotations

import subprocess
import sys

from helpers import ROOT, qa_loading

from qa import open_index
from qa.encoders.base import TokenEncoder


def test_asking_imports_neither_bm25s_nor_scipy(hk_index):
    result, loaded = qa_loading(
        "ask",
        "--corpus",
        str(hk_index.corpus),
        "--index",
        str(hk_index.index),
        "Which cities are in the Greater Bay Area?",
        watch=("bm25s", "scipy", "sentence_transformers", "transformers"),
    )
    assert result.returncode == 0, result.stderr
    assert "Shenzhen" in result.stdout
    assert loaded == []


def test_help_imports_no_numpy():
    code = (
        "import sys; from qa.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in ('numpy', 'torch', 'faiss') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "usage: qa" in result.stdout
    assert "LOADED []" in result.stdout


def test_answering_embeds_only_the_question(hk_index, monkeypatch):
    index = open_index(hk_index)
    calls: list[int] = []
    original = TokenEncoder.encode

    def counted(self, texts, *args, **kwargs):
        calls.append(len(texts))
        return original(self, texts, *args, **kwargs)

    monkeypatch.setattr(TokenEncoder, "encode", counted)
    answer = index.ask("Which cities are in the Greater Bay Area?")
    assert answer.answered and "Shenzhen" in answer.answer
    assert calls == [1]
