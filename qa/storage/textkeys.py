"""Text keys (SHA-256 digests of chunk texts) held as sorted 64-bit prefixes.

What a build remembers of every chunk it has met (the texts it has seen, the checkpoint part that holds each
one's vectors) is about 8 bytes a chunk here, where Python's bytes in a set or dict took about 120: 30 MB
at 250k chunks. A prefix is not the whole key: a map's answer says where to look, and the looking compares whole
keys; a set's answers are counted (two of a million texts share a prefix with odds of about 1 in 40 million).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NONE = -1  # a KeyMap's value for a key it does not hold


def prefixes(keys: Sequence[bytes] | np.ndarray) -> np.ndarray:
    """The first 8 bytes of each key (bytes, or rows of a uint8 array) as unsigned 64-bit integers, in order."""
    if not len(keys):
        return np.zeros(0, np.uint64)
    if isinstance(keys, np.ndarray):
        return np.ascontiguousarray(keys[:, :8], np.uint8).view("<u8").ravel().astype(np.uint64)
    return np.frombuffer(b"".join(k[:8] for k in keys), "<u8").astype(np.uint64)


class KeySet:
    """Text keys, added a slice at a time."""

    def __init__(self) -> None:
        self._sorted = np.zeros(0, np.uint64)

    def __len__(self) -> int:
        return len(self._sorted)

    def add(self, keys: Sequence[bytes] | np.ndarray) -> None:
        self._sorted = np.union1d(self._sorted, prefixes(keys))

    def holds(self, keys: Sequence[bytes] | np.ndarray) -> np.ndarray:
        """Whether each of `keys` is held (booleans, in order)."""
        return np.isin(prefixes(keys), self._sorted)


class KeyMap:
    """A small integer for each text key (the last one given for a key wins)."""

    def __init__(self) -> None:
        self._keys = np.zeros(0, np.uint64)
        self._values = np.zeros(0, np.int32)

    def __len__(self) -> int:
        return len(self._keys)

    def put(self, keys: Sequence[bytes] | np.ndarray, value: int) -> None:
        new = prefixes(keys)
        kept = ~np.isin(self._keys, new)
        merged = np.concatenate([self._keys[kept], np.unique(new)])
        order = np.argsort(merged, kind="stable")
        values = np.concatenate([self._values[kept], np.full(len(merged) - int(kept.sum()), value, np.int32)])
        self._keys, self._values = merged[order], values[order]

    def get(self, keys: Sequence[bytes] | np.ndarray) -> np.ndarray:
        """The value of each of `keys`, NONE for one not held (int32, in order)."""
        wanted = prefixes(keys)
        if not len(self._keys):
            return np.full(len(wanted), NONE, np.int32)
        at = np.minimum(np.searchsorted(self._keys, wanted), len(self._keys) - 1)
        return np.where(self._keys[at] == wanted, self._values[at], NONE).astype(np.int32)

    def drop(self, value: int) -> None:
        """Forget every key that has `value`."""
        kept = self._values != value
        self._keys, self._values = self._keys[kept], self._values[kept]
