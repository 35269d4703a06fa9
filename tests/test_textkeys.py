"""Text keys held as 64-bit prefixes: what a build remembers of every chunk, at 8 bytes a chunk."""

from __future__ import annotations

import hashlib
import tracemalloc

import numpy as np

from qa.storage.textkeys import NONE, KeyMap, KeySet, prefixes


def keys(*texts: str) -> list[bytes]:
    return [hashlib.sha256(t.encode()).digest() for t in texts]


def test_prefixes_of_bytes_and_of_rows_agree():
    listed = keys("a", "b", "c")
    rows = np.frombuffer(b"".join(listed), np.uint8).reshape(3, 32)
    assert prefixes(listed).tolist() == prefixes(rows).tolist()
    assert prefixes(listed)[0] == int.from_bytes(listed[0][:8], "little")
    assert len(prefixes([])) == 0 and len(prefixes(np.zeros((0, 32), np.uint8))) == 0


def test_key_set_holds_what_was_added_slice_by_slice():
    held = KeySet()
    held.add(keys("one", "two"))
    held.add(keys("two", "three"))
    assert len(held) == 3
    assert held.holds(keys("three", "four", "one", "two")).tolist() == [True, False, True, True]
    assert held.holds([]).tolist() == []


def test_key_map_gives_the_last_value_put_and_none_for_a_missing_key():
    where = KeyMap()
    assert where.get(keys("x")).tolist() == [NONE]
    where.put(keys("a", "b"), 0)
    where.put(keys("c"), 1)
    where.put(keys("b"), 2)
    assert where.get(keys("a", "b", "c", "d")).tolist() == [0, 2, 1, NONE]
    where.drop(0)
    assert where.get(keys("a", "b", "c")).tolist() == [NONE, 2, 1]
    assert len(where) == 2


def test_a_quarter_million_keys_take_a_fraction_of_a_python_set_and_dict():
    many = [hashlib.sha256(n.to_bytes(4, "little")).digest() for n in range(250_000)]
    slices = [many[first : first + 1024] for first in range(0, len(many), 1024)]

    def traced(fill) -> tuple[int, object]:
        tracemalloc.start()
        try:
            kept = fill()
            return tracemalloc.get_traced_memory()[0], kept
        finally:
            tracemalloc.stop()

    def compact() -> tuple[KeySet, KeyMap]:
        held, where = KeySet(), KeyMap()
        for number, part in enumerate(slices):
            held.add(part)
            where.put(part, number)
        return held, where

    def python() -> tuple[set[bytes], dict[bytes, int]]:
        held: set[bytes] = set()
        where: dict[bytes, int] = {}
        for number, part in enumerate(slices):
            copies = [bytes(bytearray(k)) for k in part]  # a build's keys are made anew from each slice's texts
            held.update(copies)
            where.update(dict.fromkeys(copies, number))
        return held, where

    small, (held, where) = traced(compact)
    large, _ = traced(python)
    assert len(held) == len(where) == len(many)
    assert small < 12 * 2**20 and small * 4 < large
    assert where.get(many[5000:5001]).tolist() == [5000 // 1024]
    assert held.holds(many[-3:]).all()
