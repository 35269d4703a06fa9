"""What each command imports: `qa --help` no numpy, asking no bm25s or SciPy, a question embeds only itself."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers import ROOT, qa_loading, write

from qa import Settings, build_index, open_index
from qa.embedding import model_path, question_choice
from qa.encoders.base import TokenEncoder
from qa.encoders.onnx import export_target
from qa.files import is_recorded
from qa.fingerprint import model_fingerprint


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


def test_a_served_question_never_imports_torch_once_the_question_encoder_is_exported(tmp_path):
    """On a CPU the question encoder is ONNX Runtime whatever precision built the index (qa.embedding.question_choice):
    the first question served with an empty cache exports the model (with torch), as `python -m qa.encoders.onnx`
    (make install) does ahead of it; every question after that is answered without torch."""
    if question_choice(Settings()).backend != "onnx":
        pytest.skip("questions are embedded by torch on this machine (a CUDA GPU): nothing to show")
    write(
        tmp_path / "corpus",
        "otters.md",
        "# Otters\n\nSea otters hold hands while they sleep, so they do not drift apart.",
    )
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    build_index(settings)
    recorded = {"model_sha256": model_fingerprint(model_path(settings))}
    ask = ("ask", "--index", str(settings.index), "Why do sea otters hold hands?")
    for cache in ("first", "installed"):
        env = {"XDG_CACHE_HOME": str(tmp_path / cache)}
        target = export_target(model_path(settings), tmp_path / cache / "qa")
        if cache == "installed":
            made = subprocess.run(
                [sys.executable, "-m", "qa.encoders.onnx"], capture_output=True, text=True, env={**os.environ, **env}
            )
            assert made.returncode == 0 and str(target) in made.stdout, made.stdout + made.stderr
        else:
            result, loaded = qa_loading(*ask, watch=("torch", "onnxruntime"), env=env)
            assert result.returncode == 0 and "drift apart" in result.stdout, result.stderr
            assert loaded == ["onnxruntime", "torch"], "the export needs torch, once"
        assert is_recorded(target, recorded)
        result, loaded = qa_loading(*ask, watch=("torch", "onnxruntime"), env=env)
        assert result.returncode == 0 and "drift apart" in result.stdout, result.stderr
        assert loaded == ["onnxruntime"]


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
