"""Helpers shared by the tests: paths, small corpora written on the spot, the real `qa` command, free ports."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEFAULT_CORPUS = ROOT / "corpus"
CHROMIUM = "/usr/bin/chromium"  # Debian's, driven by Playwright (make browser)
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000
OTTERS = "\n\n".join(
    f"Sea otter note {i}: otters in bay {i} hold hands while they sleep, and crack shellfish number {i} "
    f"on a rock they keep under their arm. Paragraph {i} ends here."
    for i in range(40)
)

DEBIAN_FAQ = """\
# Debian package management FAQ

## How do I put a package on hold?

Sometimes you want to keep a package at the version that is installed now. To put a package on hold, run \
`apt-mark hold package_name` as root. A package on hold is not upgraded by `apt upgrade` or `apt full-upgrade`.

## How do I remove the hold on a package?

To undo a hold and let the package be upgraded again, run `apt-mark unhold package_name`. To list the packages \
that are on hold, run `apt-mark showhold`.

## How do I get the source code of a package?

To download the source code of a package, run `apt-get source package_name` in an empty folder. The deb-src \
lines in /etc/apt/sources.list must be enabled first.

## How do I find which package a file belongs to?

Run `dpkg -S /path/to/file` to see which installed package owns a file. For files of packages that are not \
installed, use `apt-file search filename`.

## How often is there a new stable release?

A new stable release of Debian is made about every two years. Each stable release gets security updates for \
about three years.
"""
HOLD = "To put a package on hold, run `apt-mark hold package_name` as root."
UNHOLD = "To undo a hold and let the package be upgraded again, run `apt-mark unhold package_name`."
RELEASE = "A new stable release of Debian is made about every two years."
FAQ_CHAT = [
    "How do I put a package on hold?",
    "And how do I undo it?",  # a follow-up the documents answer anew
    "And which command does that?",  # one they say nothing more on
    "How often is there a new stable release?",  # a fresh question
]


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


def qa_loading(
    *argv: str, watch: tuple[str, ...], env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run `qa ARGV` in a fresh Python; the result, and which of the modules `watch` it imported."""
    code = (
        "import sys; from qa.cli import main; code = main(sys.argv[2:]); "
        "print('LOADED', sorted(m for m in sys.argv[1].split(',') if m in sys.modules)); sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, ",".join(watch), *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
    )
    loaded = re.search(r"LOADED \[(.*)\]", result.stdout)
    return result, [m.strip(" '") for m in loaded.group(1).split(",") if m.strip()] if loaded else ["(no report)"]


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


def requested_precision() -> str:
    """The CPU precision the precision-sensitive tests run at: $QA_PRECISION, float32 when unset or auto."""
    value = os.environ.get("QA_PRECISION", "")
    return value if value in ("float32", "bfloat16") else "float32"


def skip_without_bf16() -> None:
    from qa.hardware import detect

    if not detect().cpu_bf16:
        pytest.skip("this CPU has no AVX-512 BF16 or AMX, so bfloat16 would be emulated: nothing to test")


def all_chunks(index) -> dict:
    """Every chunk of an opened index, by id."""
    return index.snapshot.chunks([int(i) for i in index.snapshot.sparse.ids])


class HashEncoder:
    """A deterministic stand-in for the model in scoring tests, so they run without torch: a text's vector
    counts its words hashed into 64 buckets, normalised. It follows qa.embedding.Encoder."""

    backend, device, precision, dimension, max_tokens = "hash", "cpu", "float32", 64, 256

    def vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dimension, np.float32)
        for word in re.findall(r"\w+", text.lower()):
            v[zlib.crc32(word.encode()) % self.dimension] += 1.0
        norm = float(np.linalg.norm(v))
        return v / norm if norm else v

    def encode(self, texts, batch_size=32, progress=None, show_progress_bar=False) -> np.ndarray:
        return np.stack([self.vector(t) for t in texts]) if len(texts) else np.zeros((0, self.dimension), np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.vector(text)

    def encode_passages(self, texts, spans, batch_size=32, progress=None) -> tuple[np.ndarray, np.ndarray]:
        rows = [self.vector(text[a:b]) for text, parts in zip(texts, spans) for a, b in parts]
        if progress:
            progress(len(texts), len(texts))
        return self.encode(texts), np.array(rows, np.float16).reshape(-1, self.dimension)


def ask(page, question: str) -> str:
    """Type a question, press Enter, wait for the finished answer (kept in the browser's storage, which happens
    once it is complete) and return its text."""
    from qa.web import HISTORY_KEY

    turns = f"(JSON.parse(localStorage.getItem('{HISTORY_KEY}') || 'null') || {{turns: []}}).turns.length"
    bots = page.locator("#chat [data-testid='bot']")
    before, kept = bots.count(), page.evaluate(turns)
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.wait_for_function(f"document.querySelectorAll(\"#chat [data-testid='bot']\").length > {before}")
    page.wait_for_function(f"{turns} > {kept}")
    page.wait_for_function("!document.querySelector('#sources').innerText.endsWith('…')")
    return bots.last.inner_text()


def index_contents(index: Path) -> dict[tuple[str, int, int], tuple[str, np.ndarray, np.ndarray]]:
    """Every chunk of an index's current version by (source, start, end): its text, its text's vector and its
    sentence vectors (held by the first chunk with that text)."""
    from qa import storage, vectors

    folder = storage.current_folder(index)
    assert folder is not None, f"no index at {index}"
    ids, matrix = vectors.contents(storage.read_vectors(folder))
    sentences = storage.read_sentences(folder)
    catalog = storage.catalog_of(folder)
    try:
        chunks = catalog.chunks([int(i) for i in storage.read_sparse(folder).ids])
    finally:
        catalog.close()
    held = {chunks[int(i)].text: (vector, sentences.of(int(i))) for i, vector in zip(ids, matrix)}
    assert len(held) == len(ids), "a text holds one vector"
    assert len(sentences) == sum(len(rows) for _, rows in held.values()), "a text holds its sentence vectors once"
    return {(c.source, c.start, c.end): (c.text, *held[c.text]) for c in chunks.values()}


def assert_same_index(built: Path, reference: Path, min_cosine: float = 0.9999) -> None:
    """The same chunk rows in both indexes, and each chunk's vector and sentence vectors within `min_cosine`."""
    ours, theirs = index_contents(built), index_contents(reference)
    assert sorted(ours) == sorted(theirs), "the two indexes hold different chunks"
    for key, (text, vector, sentences) in ours.items():
        their_text, their_vector, their_sentences = theirs[key]
        assert text == their_text, key
        assert float(vector @ their_vector) >= min_cosine, (key, float(vector @ their_vector))
        assert sentences.shape == their_sentences.shape, key
        norms = np.linalg.norm(sentences, axis=1) * np.linalg.norm(their_sentences, axis=1)
        cosines = (sentences * their_sentences).sum(axis=1) / np.maximum(norms, 1e-12)
        assert cosines.min() >= min_cosine - 1e-3, (key, float(cosines.min()))  # int8 codes round apart


# The keys of an answer in JSON (qa ask --json, the HTTP API).
ANSWER_KEYS = {
    "question",
    "answer",
    "answered",
    "reason",
    "citations",
    "mode",
    "unsupported_sentences",
    "short_answer",
    "short_answer_at",
}


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium driven by Playwright, headless."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def indexed(folder: Path, name: str, text: str, **overrides):
    """An index of one file holding `text`, with both encoders."""
    return indexed_files(folder, {name: text}, **overrides)


def indexed_files(folder: Path, files: dict[str, str], **overrides):
    """An index of the files named in `files`, each holding its text, with both encoders."""
    from qa import build_index, open_index
    from qa.config import Settings

    settings = Settings(corpus=folder / "corpus", index=folder / "index", **overrides)
    for name, text in files.items():
        write(settings.corpus, name, text)
    build_index(settings)
    return open_index(settings)
