"""The encoder hands freed heap pages back between batches, so a long build's memory does not grow with it."""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np
import pytest

from qa import heap
from qa.encoders.base import WIDTH_STEP, padded_width
from qa.streaming import resident_bytes

BLOCK = 64 << 10  # under glibc's mmap threshold: served from the heap, not mapped on its own
BLOCKS = 2048  # 128 MB freed, 128 MB kept


@pytest.fixture
def libc():
    if ctypes.util.find_library("c") is None or heap._malloc_trim() is None:
        pytest.skip("not glibc: malloc_trim is not there to call")
    lib = ctypes.CDLL(ctypes.util.find_library("c"))
    lib.malloc.restype, lib.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    lib.free.argtypes = [ctypes.c_void_p]
    return lib


def test_freed_blocks_between_live_ones_go_back_to_the_system(libc):
    """Every other block freed: glibc keeps the holes resident (live blocks sit between them) until `release`,
    which hands them back."""
    blocks = []
    for _ in range(2 * BLOCKS):
        block = libc.malloc(BLOCK)
        ctypes.memset(block, 1, BLOCK)
        blocks.append(block)
    for block in blocks[::2]:
        libc.free(block)
    before = resident_bytes()
    assert heap.release()
    after = resident_bytes()
    for block in blocks[1::2]:
        libc.free(block)
    assert before - after > BLOCKS * BLOCK // 2, f"{(before - after) >> 20} MB handed back of {BLOCKS * BLOCK >> 20}"


def test_the_encoder_hands_back_between_batches_not_after_a_lone_one(forced_embedder, monkeypatch):
    """A build's many batches each leave the heap trimmed for the next; a question (one batch) pays nothing."""
    calls = []
    monkeypatch.setattr(heap, "release", lambda: calls.append(1) or True)
    forced_embedder.encode_query("How are otters kept warm?")
    assert calls == []
    texts = [f"Otters number {n} keep warm with dense fur and play in the river." for n in range(100)]
    forced_embedder.encode(texts * 4, batch_size=8)  # at most 4 x 8 texts a batch: 13 batches or more
    assert len(calls) >= 6, "every second batch hands the heap back"


def test_batches_come_in_a_few_widths_whatever_the_lengths_of_the_texts(forced_embedder, monkeypatch):
    """torch keeps a compiled kernel per shape it meets, some for good: a build's batches must not bring a new
    width with nearly every length of text."""
    widths = []
    hidden = forced_embedder.hidden
    monkeypatch.setattr(forced_embedder, "hidden", lambda ids, mask: widths.append(ids.shape[1]) or hidden(ids, mask))
    texts = [" ".join(f"otter{n}" for n in range(words)) for words in range(1, 120, 3)]
    forced_embedder.encode(texts, batch_size=1)
    lengths = {len(forced_embedder._tokens.encode(t).ids) for t in texts}
    assert all(w % WIDTH_STEP == 0 or w == forced_embedder.max_tokens for w in widths), widths
    assert len(set(widths)) <= forced_embedder.max_tokens // WIDTH_STEP + 1
    assert len(set(widths)) < len(lengths) // 2, f"{len(set(widths))} widths for {len(lengths)} lengths"


def test_padding_a_batch_to_its_step_leaves_its_vectors_as_they_were(forced_embedder):
    texts = ["Sea otters hold hands while they sleep.", "They crack shellfish on a rock kept under an arm."]
    rows = [np.asarray(forced_embedder._tokens.encode(t).ids, np.int64) for t in texts]
    ranges = [np.array([[1, len(r) - 1]]) for r in rows]
    longest = max(len(r) for r in rows)
    exact, exact_parts = forced_embedder._pool(rows, longest, ranges)
    padded, padded_parts = forced_embedder._pool(rows, padded_width(longest, forced_embedder.max_tokens), ranges)
    assert padded_width(longest, forced_embedder.max_tokens) > longest
    np.testing.assert_allclose(padded, exact, atol=1e-4)
    for a, b in zip(padded_parts, exact_parts):
        np.testing.assert_allclose(a, b, atol=1e-4)
