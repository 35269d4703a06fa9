"""Reading and embedding the files a build must (re)index: one file at a time, wherever the build runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa import storage
from qa.chunking import chunk_document, split_sentences
from qa.config import Settings
from qa.errors import QAError
from qa.files import sha256_bytes
from qa.loaders import SourceFile, load
from qa.storage.checkpoint import Embedded
from qa.types import Chunk, Region, Skipped

__all__ = ["Embedded", "Loaded", "embed", "load_file"]


@dataclass(frozen=True)
class Loaded:
    """A file read and chunked, ready for the writer."""

    row: storage.DocumentRow
    chunks: list[Chunk]
    regions: tuple[Region, ...] = ()


def load_file(
    file: SourceFile, data: bytes, settings: Settings, splitter: object, pages: Callable[..., None] | None = None
) -> tuple[Loaded | None, list[Skipped]]:
    """The file parsed and chunked, and what to report about it; None when it cannot be indexed (its previous
    version, if any, is kept)."""
    try:
        document, note = load(file, data, settings, pages)
    except (QAError, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        return None, [Skipped(file.source, reason or type(exc).__name__)]
    notes = [note] if note is not None else []
    chunks = chunk_document(document, splitter)
    if not chunks:
        return None, notes + [Skipped(file.source, "no text to index")]
    row = storage.DocumentRow(file.source, sha256_bytes(data), file.size, file.mtime, document.plain)
    return Loaded(row, chunks, document.regions), notes


def embed(
    encoder: Any, texts: Sequence[str], batch_size: int, progress: Callable[[int, int], None] | None = None
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The vectors of `texts`, and each one's sentence vectors."""
    spans = [split_sentences(t) for t in texts]
    matrix, rows = encoder.encode_passages(list(texts), spans, batch_size=batch_size, progress=progress)
    ends = np.cumsum([len(s) for s in spans])
    return matrix, [rows[e - len(s) : e] for s, e in zip(spans, ends)]
