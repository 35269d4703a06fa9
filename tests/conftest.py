"""Shared fixtures: small corpora written per test, the real model loaded once per session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEFAULT_CORPUS = ROOT / "corpus"

os.environ["HF_HUB_OFFLINE"] = "1"


def requested_precision() -> str:
    """The CPU precision the precision-sensitive tests run at: $QA_PRECISION, float32 when unset or auto."""
    value = os.environ.get("QA_PRECISION", "")
    return value if value in ("float32", "bfloat16") else "float32"


def skip_without_bf16() -> None:
    from qa.hardware import detect

    if not detect().cpu_bf16:
        pytest.skip("this CPU has no AVX-512 BF16 or AMX, so bfloat16 would be emulated: nothing to test")


@pytest.fixture(scope="session")
def precision() -> str:
    """The forced precision of a `precision` test; bfloat16 skips on a CPU without it."""
    value = requested_precision()
    if value == "bfloat16":
        skip_without_bf16()
    return value


@pytest.fixture(scope="session")
def forced_embedder(precision):
    """torch on the CPU at the forced precision, whatever auto would pick on this machine."""
    from qa.config import Settings
    from qa.embedding import get_embedder

    return get_embedder(Settings(backend="torch", device="cpu", precision=precision))


@pytest.fixture(scope="session")
def embedder():
    from qa.config import Settings
    from qa.embedding import get_embedder

    return get_embedder(Settings())


@pytest.fixture
def settings_for(tmp_path, embedder):
    """Settings for a corpus and index under tmp_path."""
    from qa.config import Settings

    def make(corpus: Path | None = None, **overrides):
        corpus = corpus or tmp_path / "corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        return Settings(corpus=corpus, index=tmp_path / "index", **overrides)

    return make


@pytest.fixture
def hk_corpus(tmp_path) -> Path:
    """A copy of the default corpus (the Hong Kong AI article)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    return corpus


@pytest.fixture(scope="session")
def hk_index(tmp_path_factory, embedder):
    """The default corpus indexed once per session; tests must not modify it."""
    from qa import build_index
    from qa.config import Settings

    base = tmp_path_factory.mktemp("hk")
    corpus = base / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    settings = Settings(corpus=corpus, index=base / "index")
    build_index(settings)
    return settings


def run_qa(*args: str, cwd: Path | None = None, env: dict | None = None, stdin: str | None = None, timeout: int = 300):
    """Run the real `qa` command in a subprocess."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        cwd=cwd or ROOT,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def one_torch_thread():
    """On a busy machine two spinning torch threads are ten times slower than one."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def write(corpus: Path, name: str, text: str) -> Path:
    """Write a UTF-8 file into a corpus, creating its folders."""
    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
