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


def test_answering_embeds_only_the_question_and_the_chosen_passage(hk_index, monkeypatch):
    """Sentence vectors come from the index: an answer runs the model on the question (its vector and its words'
    in one pass) and, to match words by meaning, on the one passage it chose; never on the retrieved chunks."""
    index = open_index(hk_index)
    calls: list[int] = []

    def counting(method):
        def counted(self, texts, *args, **kwargs):
            calls.append(len(texts))
            return method(self, texts, *args, **kwargs)

        return counted

    monkeypatch.setattr(TokenEncoder, "encode", counting(TokenEncoder.encode))
    monkeypatch.setattr(TokenEncoder, "encode_passages", counting(TokenEncoder.encode_passages))
    answer = index.ask("Which cities are in the Greater Bay Area?")
    assert answer.answered and "Shenzhen" in answer.answer
    assert calls[0] == 1 and len(calls) <= 2 and all(n == 1 for n in calls), calls
