"""Any model that is not a plain BERT with mean or CLS pooling runs through sentence-transformers itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from qa.encoders.base import Progress
from qa.errors import EncoderError


class SentenceTransformerEncoder:
    backend = "sentence-transformers"
    device = "cpu"

    def __init__(self, path: str, precision: str) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        kwargs = {"dtype": torch.bfloat16} if precision == "bfloat16" else {}
        self.path = path
        self.precision = precision
        self.st = SentenceTransformer(path, device="cpu", local_files_only=True, model_kwargs=kwargs)
        length, dimension = self.st.max_seq_length, self.st.get_embedding_dimension()
        if length is None or dimension is None:
            raise EncoderError(f"the model at {path} states no maximum length or dimension; use another model")
        self.max_tokens, self.dimension = int(length), int(dimension)

    @property
    def tokenizer(self) -> Any:
        return self.st.tokenizer

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Progress | None = None,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = self.st.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress_bar,
        ).astype(np.float32, copy=False)
        if progress:
            progress(len(texts), len(texts))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode_passages(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        batch_size: int = 32,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Passage vectors, and each sentence embedded on its own (this path has no token states to pool)."""
        vectors = self.encode(texts, batch_size, progress)
        pieces = [text[a:b] for text, marks in zip(texts, spans) for a, b in marks]
        return vectors, self.encode(pieces, batch_size).astype(np.float16)
