"""Text keys (SHA-256 digests of chunk texts) held as sorted 64-bit prefixes.

What a build remembers of every chunk it has met (the texts it has seen, the checkpoint part that holds each
one's vectors) is about 8 bytes a chunk here, where Python's bytes in a set or dict took about 120: 30 MB
at 250k chunks. A prefix is not the whole key: a map's answer says where to look, and the looking compares whole
keys. A set's answer is trusted: it counts duplicates and resumed chunks, and tells Ray's workers what not to
embed (two of a million texts share a prefix with odds of about 1 in 40 million).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NONE = -1  # a KeyMap's value for a key it does not hold
MERGE = 4096  # keys added apart, in a Python dict, before they join the sorted array (and at most 1/8 of it)


def prefixes(keys: Sequence[bytes] | np.ndarray) -> np.ndarray:
    """The first 8 bytes of each key (bytes, or rows of a uint8 array) as unsigned 64-bit integers, in order."""
    if not len(keys):
        return np.zeros(0, np.uint64)
    if isinstance(keys, np.ndarray):
        return np.ascontiguousarray(keys[:, :8], np.uint8).view("<u8").ravel().astype(np.uint64)
    return np.frombuffer(b"".join(k[:8] for k in keys), "<u8").astype(np.uint64)


class KeyMap:
    """A small integer for each text key (the last one given for a key wins)."""

    def __init__(self) -> None:
        self._keys = np.zeros(0, np.uint64)
        self._values = np.zeros(0, np.int32)
        self._recent: dict[int, int] = {}  # put since the last merge, none of them in _keys

    def __len__(self) -> int:
        return len(self._keys) + len(self._recent)

    def put(self, keys: Sequence[bytes] | np.ndarray, value: int) -> None:
        new = prefixes(keys)
        at, there = _find(self._keys, new)
        self._values[at[there]] = value
        self._recent.update(dict.fromkeys(new[~there].tolist(), value))
        if len(self._recent) > max(MERGE, len(self._keys) // 8):
            count = len(self._recent)
            keys_now = np.concatenate([self._keys, np.fromiter(self._recent, np.uint64, count)])
            values = np.concatenate([self._values, np.fromiter(self._recent.values(), np.int32, count)])
            order = np.argsort(keys_now, kind="stable")
            self._keys, self._values = keys_now[order], values[order]
            self._recent.clear()

    def get(self, keys: Sequence[bytes] | np.ndarray) -> np.ndarray:
        """The value of each of `keys`, NONE for one not held (int32, in order)."""
        wanted = prefixes(keys)
        at, there = _find(self._keys, wanted)
        found = np.full(len(wanted), NONE, np.int32)
        found[there] = self._values[at[there]]
        if self._recent:
            for n, key in enumerate(wanted.tolist()):
                found[n] = self._recent.get(key, found[n])
        return found

    def drop(self, value: int) -> None:
        """Forget every key that has `value`."""
        kept = self._values != value
        self._keys, self._values = self._keys[kept], self._values[kept]
        self._recent = {k: v for k, v in self._recent.items() if v != value}


def _find(held: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `wanted` is or would go in the sorted `held`, and whether it is there."""
    if not len(held):
        return np.zeros(len(wanted), np.intp), np.zeros(len(wanted), bool)
    at = np.minimum(np.searchsorted(held, wanted), len(held) - 1)
    return at, held[at] == wanted


class KeySet:
    """Text keys, added a slice (or a file) at a time: a KeyMap whose values are not asked."""

    def __init__(self) -> None:
        self._map = KeyMap()

    def __len__(self) -> int:
        return len(self._map)

    def add(self, keys: Sequence[bytes] | np.ndarray) -> None:
        self._map.put(keys, 0)

    def holds(self, keys: Sequence[bytes] | np.ndarray) -> np.ndarray:
        """Whether each of `keys` is held (booleans, in order)."""
        return self._map.get(keys) != NONE
