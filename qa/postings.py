"""BM25 postings of a version being built, written a slice at a time into on-disk parts and merged a block of
terms at a time at the end, so no more than a slice's and a block's postings are ever in memory."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from qa.npyfile import NpyWriter
from qa.sparse import Sparse
from qa.vectors import npy_bytes

BLOCK_POSTINGS = 1 << 20  # postings merged at a time: 1M, about 50 MB with their sort
PART_ARRAYS = ("terms", "rows", "counts")


class PostingsWriter:
    """The base version's postings less the removed chunks, then each slice's chunks as rows after them; `save`
    writes the same files as `Sparse.save` of `base.updated(removed, ids, documents)` over all slices."""

    def __init__(self, scratch: Path, base: Sparse | None) -> None:
        self.scratch = scratch
        self.base = base if base is not None else Sparse.empty()
        self.vocab = dict(self.base.vocab)
        self.ids: list[np.ndarray] = []
        self.lengths: list[np.ndarray] = []
        self.rows = 0  # new rows, numbered after the base version's kept ones when merged
        self.keep = np.ones(len(self.base.ids), bool)
        self.renumber = np.arange(len(self.base.ids))
        self.df = np.diff(np.asarray(self.base.indptr)).astype(np.int64)  # an upper bound, to size the blocks
        self.parts: list[Path] = []

    def add(self, ids: Sequence[int], documents: Sequence[Sequence[str]]) -> None:
        """One slice's chunks and their terms."""
        new_terms, new_rows, new_counts = [], [], []
        for row, document in enumerate(documents, start=self.rows):
            for term, count in Counter(document).items():
                new_terms.append(self.vocab.setdefault(term, len(self.vocab)))
                new_rows.append(row)
                new_counts.append(count)
        terms = np.asarray(new_terms, np.int64)
        order = np.argsort(terms, kind="stable")  # rows ascend within a term already
        part = self.scratch / f"part-{len(self.parts):06d}"
        arrays: tuple[np.ndarray, ...] = (terms, np.asarray(new_rows, np.int64), np.asarray(new_counts, np.int32))
        for name, array in zip(PART_ARRAYS, arrays):
            writer = NpyWriter(part / f"{name}.npy", array.dtype)
            writer.append(array[order])
            writer.close()
        self.parts.append(part)
        self.df = np.concatenate([self.df, np.zeros(len(self.vocab) - len(self.df), np.int64)])
        self.df += np.bincount(terms, minlength=len(self.vocab))
        self.ids.append(np.asarray(ids, np.int64))
        self.lengths.append(np.asarray([len(d) for d in documents], np.int32))
        self.rows += len(documents)

    def save(self, folder: Path, removed: Sequence[int], write: Callable[[Path, bytes], None]) -> int:
        """Merge the base postings, less the rows of chunk ids `removed`, and the parts into `folder`; remove the
        parts; returns the rows."""
        self.keep = ~np.isin(self.base.ids, np.asarray(removed, np.int64))
        self.renumber = np.cumsum(self.keep) - 1  # a kept base row's row in the new version
        kept = int(self.keep.sum())
        folder.mkdir(parents=True, exist_ok=True)
        rows = NpyWriter(folder / "rows.npy", np.int32)
        counts = NpyWriter(folder / "counts.npy", np.int32)
        indptr = [np.zeros(1, np.int64)]
        try:
            for first, end in _blocks(self.df):
                terms, block_rows, block_counts = self._block(first, end, kept)
                order = np.argsort(terms, kind="stable")
                rows.append(block_rows[order])
                counts.append(block_counts[order])
                per_term = np.bincount(terms - first, minlength=end - first)
                indptr.append(indptr[-1][-1] + np.cumsum(per_term))
            rows.close()
            counts.close()
        except BaseException:
            rows.abandon()
            counts.abandon()
            raise
        ids = [np.asarray(self.base.ids)[self.keep], *self.ids]
        write(folder / "ids.npy", npy_bytes(np.concatenate(ids).astype(np.int64)))
        write(folder / "lengths.npy", npy_bytes(np.concatenate([self.base.lengths[self.keep], *self.lengths])))
        write(folder / "indptr.npy", npy_bytes(np.concatenate(indptr)))
        write(folder / "vocab.json", json.dumps(self.vocab, ensure_ascii=False).encode())
        shutil.rmtree(self.scratch, ignore_errors=True)
        return kept + self.rows

    def _block(self, first: int, end: int, offset: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(term, row, count) of the postings of terms first..end-1: the base version's kept ones, renumbered,
        then each part's in order, after the `offset` kept rows."""
        found = []
        base_end = min(end, len(self.base.indptr) - 1)
        if first < base_end:
            lo, hi = int(self.base.indptr[first]), int(self.base.indptr[base_end])
            terms = np.repeat(np.arange(first, base_end), np.diff(np.asarray(self.base.indptr[first : base_end + 1])))
            rows = np.asarray(self.base.rows[lo:hi], np.int64)
            kept = self.keep[rows]
            found.append((terms[kept], self.renumber[rows[kept]], np.asarray(self.base.counts[lo:hi])[kept]))
        for part in self.parts:
            terms = np.load(part / "terms.npy", mmap_mode="r", allow_pickle=False)
            lo, hi = np.searchsorted(terms, [first, end])
            found.append(
                (
                    np.array(terms[lo:hi]),
                    np.load(part / "rows.npy", mmap_mode="r", allow_pickle=False)[lo:hi] + offset,
                    np.array(np.load(part / "counts.npy", mmap_mode="r", allow_pickle=False)[lo:hi]),
                )
            )
            del terms
        if not found:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
        return tuple(np.concatenate([f[n] for f in found]) for n in range(3))  # type: ignore[return-value]


def _blocks(df: np.ndarray) -> list[tuple[int, int]]:
    """Ranges of terms with about BLOCK_POSTINGS postings each (at least one term each)."""
    if not len(df):
        return []
    cuts = np.searchsorted(np.cumsum(df), np.arange(BLOCK_POSTINGS, int(df.sum()), BLOCK_POSTINGS), side="right")
    edges = sorted({0, *(int(c) for c in cuts if 0 < c < len(df)), len(df)})
    return list(zip(edges[:-1], edges[1:]))
