"""The encoder hands freed heap pages back between batches, so a long build's memory does not grow with it."""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest

from qa import heap
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
