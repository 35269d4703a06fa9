"""Shared fixtures: small corpora written per test, the real model loaded once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers import DEFAULT_CORPUS, chromium, requested_precision, skip_without_bf16

os.environ["HF_HUB_OFFLINE"] = "1"


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


@pytest.fixture
def one_torch_thread():
    """On a busy machine two spinning torch threads are ten times slower than one."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module."""
    with chromium() as launched:
        yield launched
