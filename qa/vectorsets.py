"""The vectors of a version being built, appended a slice at a time: every chunk's sentence vectors, and each
named set of chunk vectors, whose FAISS index is made at the end from the rows kept on disk meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from qa import vectorparts, vectors
from qa.npyfile import NpyWriter
from qa.vectorparts import PartWriter
from qa.vectors import ExactVectors, RowFile, SentenceVectors

BLOCK = 1 << 12  # rows copied, read or added at a time
Rows = tuple[np.ndarray, np.ndarray, np.ndarray]  # sentence rows: owners, int8 codes, scales


class SentenceWriter:
    """The sentence vectors of a version: each slice's quantized into scratch files as it comes; `close` writes
    the base version's, less the removed chunks', then those, for the first chunk of each distinct text only."""

    def __init__(self, folder: Path, scratch: Path, base: SentenceVectors | None) -> None:
        self.folder, self.scratch, self.base = folder, scratch, base
        self.parts: tuple[NpyWriter, NpyWriter, NpyWriter] | None = None

    def append(self, owners: np.ndarray, rows: np.ndarray) -> None:
        """Rows (float16) of the sentences of new chunks, `owners` their chunk ids, ascending."""
        quantized = SentenceVectors.quantize(owners, rows)
        if self.parts is None:
            self.parts = _writers(self.scratch, rows.shape[1])
        for writer, array in zip(self.parts, (quantized.owners, quantized.codes, quantized.scales)):
            writer.append(np.asarray(array))

    def close(
        self,
        removed: Sequence[int],
        dimension: int,
        firsts: np.ndarray | None = None,
        holders: Mapping[int, int] | None = None,
    ) -> int:
        """Write the version's sentence vectors; returns their rows. With `firsts` (the first chunk of each
        distinct text) only those chunks keep rows, and a chunk that has come to hold its text's rows takes them
        from the base version's chunk that `holders` names."""
        scratch = [w.close() for w in self.parts] if self.parts is not None else []
        final = _writers(self.folder, dimension)
        try:
            for block in self._base_blocks(np.asarray(removed, np.int64), firsts, holders or {}):
                for writer, array in zip(final, block):
                    writer.append(array)
            if scratch:
                owners, scales = (np.load(p, mmap_mode="r", allow_pickle=False) for p in (scratch[0], scratch[2]))
                codes = RowFile(scratch[1])
                for first in range(0, len(owners), BLOCK):
                    part = slice(first, first + BLOCK)
                    block = (np.asarray(owners[part]), np.asarray(codes[part]), np.asarray(scales[part]))
                    for writer, array in zip(final, _only(block, firsts)):
                        writer.append(array)
                del owners, scales, codes
            for writer in final:
                writer.close()
        except BaseException:
            for writer in final:
                writer.abandon()
            raise
        for path in scratch:
            path.unlink(missing_ok=True)
        return final[0].rows

    def _base_blocks(
        self, removed: np.ndarray, firsts: np.ndarray | None, holders: Mapping[int, int]
    ) -> Iterator[Rows]:
        """The base rows kept, in owner order, with the rows of chunks that came to hold their text's merged in."""
        base = self.base
        if base is None:
            return
        moved = self._moved(holders)
        for first in range(0, len(base), BLOCK):
            owners = base.owners[first : first + BLOCK]
            keep = ~np.isin(owners, removed)
            codes = np.asarray(base.codes[first : first + BLOCK])[keep]
            block = _only((owners[keep], codes, base.scales[first : first + BLOCK][keep]), firsts)
            last = first + BLOCK >= len(base)
            now = len(moved[0]) if last else int(np.searchsorted(moved[0], owners[-1], side="right"))
            if now:
                block = _merged(block, (moved[0][:now], moved[1][:now], moved[2][:now]))
                moved = (moved[0][now:], moved[1][now:], moved[2][now:])
            yield block

    def _moved(self, holders: Mapping[int, int]) -> Rows:
        """The base rows of each chunk that `holders` names, under the id of the chunk that now holds them, by that
        id; none for a chunk that has rows of its own (a version that kept every copy's)."""
        assert self.base is not None
        base = self.base
        owners: list[np.ndarray] = [np.zeros(0, np.int64)]
        codes: list[np.ndarray] = [np.zeros((0, base.codes.shape[1]), np.int8)]
        scales: list[np.ndarray] = [np.zeros(0, np.float32)]
        for new, old in sorted(holders.items()):
            own, start, end = np.searchsorted(base.owners, [new, old, old + 1])
            if own < len(base) and base.owners[own] == new:
                continue
            owners.append(np.full(end - start, new, np.int64))
            codes.append(np.asarray(base.codes[start:end]))
            scales.append(base.scales[start:end])
        return np.concatenate(owners), np.concatenate(codes), np.concatenate(scales)

    def abandon(self) -> None:
        for writer in self.parts or ():
            writer.abandon()


def _only(block: Rows, firsts: np.ndarray | None) -> Rows:
    """The rows of a block whose owners hold their text's vectors (all of them without `firsts`)."""
    if firsts is None:
        return block
    keep = np.isin(block[0], firsts)
    return block[0][keep], block[1][keep], block[2][keep]


def _merged(block: Rows, more: Rows) -> Rows:
    """Two sets of rows as one, by owner, each owner's rows in their order."""
    order = np.argsort(np.concatenate([block[0], more[0]]), kind="stable")
    owners, codes, scales = (np.concatenate([a, b])[order] for a, b in zip(block, more))
    return owners, codes, scales


def _writers(folder: Path, dimension: int) -> tuple[NpyWriter, NpyWriter, NpyWriter]:
    """Owners, codes and scales, the files of `SentenceVectors.save`."""
    owners, codes, scales = SentenceVectors.FILES
    return (
        NpyWriter(folder / owners, np.int64),
        NpyWriter(folder / codes, np.int8, (dimension,)),
        NpyWriter(folder / scales, np.float32),
    )


@dataclass(frozen=True)
class Built:
    """A vector set's index as `DenseWriter.finish` wrote it."""

    factory: str
    params: str
    dimension: int
    count: int  # vectors in the index
    parts: int = 1  # files it is kept in (qa.vectorparts)


@dataclass(frozen=True)
class IndexChoice:
    """How the index of a vector set is chosen (qa.vectors.choose_factory)."""

    requested: str
    approximate_above: int
    compress_above: int | None
    graph_above: int | None = None


class DenseWriter:
    """One named set of chunk vectors: each slice's rows kept in a scratch .npy file; `finish` makes the FAISS
    index from the base version's (less the removed chunks) and those rows, a block at a time."""

    def __init__(self, scratch: Path, base: Any | None, base_exact: ExactVectors | None) -> None:
        self.scratch, self.base, self.base_exact = scratch, base, base_exact
        self.removed = np.zeros(0, np.int64)
        self.moved: dict[int, np.ndarray] = {}  # vectors of chunks that have come to hold their text's, by id
        self.holders: dict[int, int] = {}  # the base version's chunk that held them, by the same ids
        self.ids: list[np.ndarray] = []
        self.rows: NpyWriter | None = None
        self.dimension = int(base.d) if base is not None else 0

    def append(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        if self.rows is None:
            self.dimension = self.dimension or int(matrix.shape[1])
            self.rows = NpyWriter(self.scratch, np.float32, (self.dimension,))
        self.rows.append(matrix)
        self.ids.append(np.asarray(ids, np.int64))

    def abandon(self) -> None:
        if self.rows is not None:
            self.rows.abandon()

    def finish(
        self,
        removed: Sequence[int],
        choice: IndexChoice,
        exact: Path,
        write: Callable[[Path, bytes], None],
        write_part: Callable[[int, Any], None],
        firsts: np.ndarray | None = None,
        moved: Callable[[Sequence[int]], Sequence[int]] | None = None,
    ) -> Built:
        """Write the index of the version's vectors, without those of chunk ids `removed`, with `write_part`, a
        part of at most qa.vectorparts.PART vectors at a time; the exact vectors written to `exact` beside a
        compressed one. With `firsts` (the first chunk of each distinct text, ascending) only
        those chunks hold vectors, and a chunk that has come to hold its text's vectors takes them from the base
        version's chunk that `moved` names."""
        new_ids = np.concatenate(self.ids) if self.ids else np.zeros(0, np.int64)
        new = RowFile(self.rows.close()) if self.rows is not None else None
        base_ids = self._base_ids()
        self.removed = np.asarray(removed, np.int64)  # a new chunk may take a removed one's id
        orphans = np.zeros(0, np.int64)
        if firsts is not None:
            self.removed = np.union1d(self.removed, base_ids[~np.isin(base_ids, firsts)])
            new_ids, new = self._only(new_ids, new, np.isin(new_ids, firsts))
            held = base_ids[~np.isin(base_ids, self.removed)]
            orphans = np.setdiff1d(firsts, np.concatenate([held, new_ids]))
        if len(orphans):
            assert moved is not None, "a chunk that has come to hold its text's vectors needs their old holder"
            old = np.asarray(moved(orphans.tolist()), np.int64)
            self.moved = dict(zip(orphans.tolist(), self._base_vectors(old)))
            self.holders = dict(zip(orphans.tolist(), old.tolist()))
        kept = base_ids[~np.isin(base_ids, self.removed)]
        total = len(kept) + len(orphans) + len(new_ids)
        factory, params = vectors.choose_factory(
            choice.requested, total, choice.approximate_above, choice.compress_above, self.dimension, choice.graph_above
        )
        if self.base is not None and vectors.editable(self.base, factory):
            index = self.base
            if len(self.removed):
                index.remove_ids(self.removed)
            self._add(index, self._base_blocks(orphans), new_ids, new)
            kept = np.concatenate([kept, orphans])
            write_part(0, index)
            parts = 1
        else:
            kept = np.concatenate([kept, orphans])
            trained = vectors.new_index(self.dimension, factory)
            if not trained.is_trained and total:
                vectors.train(trained, self._sample(trained, kept, new))
            writer = PartWriter(total, vectorparts.copies(trained), write_part)
            del trained
            writer.add(self._base_blocks(kept))
            writer.add(self._new_blocks(new_ids, new))
            parts = writer.close()
        if vectors.compressed(factory):
            self._write_exact(exact, kept, new_ids, new, write)
        self.scratch.unlink(missing_ok=True)
        self._kept_scratch().unlink(missing_ok=True)
        return Built(factory, params, self.dimension, total, parts)

    def _base_ids(self) -> np.ndarray:
        """The base version's chunk ids that hold vectors, in the order a rebuild adds them."""
        if self.base is None:
            return np.zeros(0, np.int64)
        if self.base_exact is not None:
            return np.asarray(self.base_exact.ids, np.int64)
        if isinstance(self.base, vectorparts.IN_PARTS):
            return self.base.ids()
        import faiss

        return faiss.vector_to_array(self.base.id_map).astype(np.int64)

    def _kept_scratch(self) -> Path:
        return self.scratch.with_name(f"{self.scratch.stem}-kept.npy")

    def _only(self, ids: np.ndarray, rows: Any, keep: np.ndarray) -> tuple[np.ndarray, Any]:
        """The new rows where `keep` holds, copied a block at a time to a scratch file of their own."""
        if rows is None or keep.all():
            return ids, rows
        out = NpyWriter(self._kept_scratch(), np.float32, (self.dimension,))
        try:
            for first in range(0, len(ids), BLOCK):
                out.append(np.asarray(rows[first : first + BLOCK])[keep[first : first + BLOCK]])
            path = out.close()
        except BaseException:
            out.abandon()
            raise
        return ids[keep], RowFile(path)

    def _base_vectors(self, ids: np.ndarray) -> np.ndarray:
        chunk_ids = ids.tolist()
        if not chunk_ids:
            return np.zeros((0, self.dimension), np.float32)
        if any(i in self.moved for i in chunk_ids):
            return np.stack(
                [
                    self.moved[i] if i in self.moved else self._base_vectors(ids[n : n + 1])[0]
                    for n, i in enumerate(chunk_ids)
                ]
            )
        if self.base_exact is not None:
            return np.asarray(self.base_exact.get(chunk_ids), np.float32)
        return vectors.reconstruct(self.base, chunk_ids)

    def _base_blocks(self, kept: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for first in range(0, len(kept), BLOCK):
            ids = kept[first : first + BLOCK]
            yield ids, self._base_vectors(ids)

    def _add(self, index: Any, base: Iterator[tuple[np.ndarray, np.ndarray]], new_ids: np.ndarray, new: Any) -> None:
        for ids, rows in chain(base, self._new_blocks(new_ids, new)):
            index.add_with_ids(np.asarray(rows, np.float32), ids)

    @staticmethod
    def _new_blocks(new_ids: np.ndarray, new: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for first in range(0, len(new_ids), BLOCK):
            yield new_ids[first : first + BLOCK], np.asarray(new[first : first + BLOCK], np.float32)

    def _sample(self, index: Any, kept: np.ndarray, new: Any) -> np.ndarray:
        """The training vectors today's build would take from all vectors, base ones first."""
        rows = vectors.training_rows(index, len(kept) + (len(new) if new is not None else 0))
        sample = np.empty((len(rows), self.dimension), np.float32)  # filled in place: 96 MB for 1,024 lists,
        # where a list of blocks joined and then cast held three copies at once
        base = rows[rows < len(kept)]
        for first in range(0, len(base), BLOCK):
            block = base[first : first + BLOCK]
            sample[first : first + len(block)] = self._base_vectors(kept[block])
        wanted = rows[rows >= len(kept)] - len(kept)
        at = len(base)
        for first in range(0, len(wanted) and len(new), BLOCK):
            inside = wanted[(wanted >= first) & (wanted < first + BLOCK)]
            if len(inside):
                sample[at : at + len(inside)] = np.asarray(new[first : first + BLOCK], np.float32)[inside - first]
                at += len(inside)
        return sample

    def _write_exact(
        self, folder: Path, kept: np.ndarray, new_ids: np.ndarray, new: Any, write: Callable[[Path, bytes], None]
    ) -> None:
        """Every vector in float16 by ascending chunk id: the kept base ones (ascending), then the new ones."""
        order = np.argsort(kept, kind="stable")
        kept = kept[order]
        write_ids = np.concatenate([kept, new_ids])
        folder.mkdir(parents=True, exist_ok=True)
        write(folder / ExactVectors.FILES[0], vectors.npy_bytes(write_ids))
        rows = NpyWriter(folder / ExactVectors.FILES[1], np.float16, (self.dimension,))
        try:
            for _, block in self._base_blocks(kept):
                rows.append(block)
            for first in range(0, len(new_ids), BLOCK):
                rows.append(new[first : first + BLOCK])
            rows.close()
        except BaseException:
            rows.abandon()
            raise
