"""The multilingual encoder's chunk vectors (multilingual.faiss) and the vectors of the corpus's words (for
qa.translate), beside the English model's: which encoder the settings ask for, and the vectors of a new version,
the base version's kept and the missing ones embedded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa import heap, vectorparts, vectors
from qa.config import Settings
from qa.encoders import use
from qa.errors import EncoderError
from qa.storage import MULTILINGUAL, VersionWriter
from qa.translate import Vocabulary, corpus_words
from qa.vectorparts import PartWriter

SLICE = 512  # chunks embedded at a time
LEAD_WORDS = 48  # of a chunk, embedded: 31 of the 45 tuning questions answered with 32, 48 or 64 words (with the
# dictionaries, qa.glossary, 39 facts in the top five for each); fewer words, a cheaper build
LEAD_CHARS = 700
# Vectors a multilingual part holds (1 KB each), fewer than an English part: the part being filled is held through
# the multilingual pass, and a flat part costs a search no more in four pieces than in one.
PART = 1 << 14
WORD_BATCH = 1024  # corpus words embedded in one forward pass
WORDS_AT_ONCE = 4 * WORD_BATCH  # and held as float32 at once


@dataclass(frozen=True)
class Wanted:
    """The multilingual encoder a build makes vectors with ("" for none), and why there is none when asked for."""

    name: str
    problem: str = ""


def wanted(settings: Settings) -> Wanted:
    """`minilm`: none. `minilm+use` and `auto`: the multilingual encoder, when its package is installed whole."""
    if settings.model == "minilm":
        return Wanted("")
    try:
        use.package_folder()
    except EncoderError as exc:
        return Wanted("", f"{exc}; questions in other languages than the documents are refused")
    return Wanted(f"{use.NAME} {use.VERSION}")


def write(base: Iterable[Any], version: VersionWriter, progress: Callable[[int, int], None] | None = None) -> int:
    """Write the vectors of each distinct chunk text of `version`, under its first chunk's id, a part at a time
    (qa.vectorparts): from the base version's parts, read one at a time, where that chunk held them there, the
    others embedded now. Returns how many there are."""
    import faiss

    current = np.asarray(version.first_ids(), np.int64)
    writer = PartWriter(
        len(current),
        lambda: faiss.index_factory(use.DIMENSION, "IDMap2,SQfp16", faiss.METRIC_INNER_PRODUCT),
        version.part_writer(MULTILINGUAL),
        min(PART, vectorparts.PART),
    )
    present = [np.zeros(0, np.int64)]
    for part in base:
        held = faiss.vector_to_array(part.id_map).astype(np.int64)
        kept = held[np.isin(held, current)]
        writer.add(
            (kept[n : n + SLICE], vectors.reconstruct(part, kept[n : n + SLICE])) for n in range(0, len(kept), SLICE)
        )
        present.append(held)
        del part
    missing = current[~np.isin(current, np.concatenate(present))]
    if len(missing):
        writer.add(_embedded(version, missing, progress))
    writer.close()
    return len(current)


def _embedded(
    version: VersionWriter, missing: np.ndarray, progress: Callable[[int, int], None] | None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The missing chunks' vectors, embedded a slice at a time."""
    encoder = use.multilingual_encoder()
    if progress is not None:
        progress(0, len(missing))
    for begin in range(0, len(missing), SLICE):
        ids = missing[begin : begin + SLICE]
        texts = [lead(t) for t in version.texts_of(ids.tolist())]
        unique = list(dict.fromkeys(texts))
        rows = dict(zip(unique, encoder.encode(unique)))
        yield ids, np.stack([rows[t] for t in texts])
        heap.release()
        if progress is not None:
            progress(begin + len(ids), len(missing))


def vocabulary(base: Vocabulary | None, version: VersionWriter) -> Vocabulary:
    """The words of every chunk of `version` with their vectors: the base version's, and the new ones embedded a
    block at a time into the one float16 table (30,000 words are 31 MB in it; their float32 vectors, a dict of
    them and the stacked copy raised the peak by 50 MB more: benchmarks/stage_memory.py)."""
    ids = version.chunk_ids()
    words = corpus_words(t for begin in range(0, len(ids), SLICE) for t in version.texts_of(ids[begin : begin + SLICE]))
    known = {w: n for n, w in enumerate(base.words)} if base is not None else {}
    matrix = np.empty((len(words), use.DIMENSION), np.float16)
    new: list[int] = []
    for row, word in enumerate(words):
        if word in known:
            matrix[row] = base.vectors[known[word]]  # type: ignore[union-attr]
        else:
            new.append(row)
    for begin in range(0, len(new), WORDS_AT_ONCE):
        rows = new[begin : begin + WORDS_AT_ONCE]
        matrix[rows] = use.multilingual_encoder().encode([words[r] for r in rows], batch_size=WORD_BATCH)
    return Vocabulary(tuple(words), matrix)


def lead(text: str) -> str:
    """The start of a chunk that the multilingual encoder reads: its first LEAD_WORDS words, and at most
    LEAD_CHARS characters (a Chinese or Japanese text has no spaces to count words by)."""
    words = text.split()
    if len(words) > LEAD_WORDS:
        text = " ".join(words[:LEAD_WORDS])
    return text[:LEAD_CHARS]
