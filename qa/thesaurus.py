"""A second opinion on whether two words mean the same: each word embedded alone by the multilingual sentence
encoder (USE), where it is installed. MiniLM's token states, read in context, keep "skills" and "talent" or
"thrive" and "flourish" apart; the same words alone come close in USE."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from qa.errors import EncoderError

REMEMBERED = 20_000  # word vectors kept (2 KB each)

_memory: OrderedDict[str, np.ndarray] = OrderedDict()
_lock = threading.Lock()
_missing: list[bool] = []


def _encode(words: Sequence[str]) -> np.ndarray | None:
    if _missing:
        return None
    try:
        from qa.encoders.use import multilingual_encoder

        vectors = multilingual_encoder().encode(list(words))
    except (EncoderError, ImportError):
        _missing.append(True)
        return None
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def word_vectors(words: Sequence[str]) -> np.ndarray | None:
    """Unit vectors of the words (lower case), remembered; None where the encoder is not installed."""
    words = [w.lower() for w in words]
    with _lock:
        known = {w: _memory[w] for w in words if w in _memory}
    new = [w for w in dict.fromkeys(words) if w not in known]
    if new:
        vectors = _encode(new)
        if vectors is None:
            return None
        known.update(zip(new, vectors.astype(np.float32)))
        with _lock:
            _memory.update(zip(new, vectors.astype(np.float32)))
            while len(_memory) > REMEMBERED:
                _memory.popitem(last=False)
    return np.stack([known[w] for w in words])


def closest(asked: Sequence[str], said: Sequence[str]) -> np.ndarray | None:
    """For each word of `asked`, the cosine to the closest word of `said`, each word read alone."""
    if not asked or not said:
        return np.zeros(len(asked))
    vectors = word_vectors([*asked, *said])
    if vectors is None:
        return None
    return (vectors[: len(asked)] @ vectors[len(asked) :].T).max(axis=1)
