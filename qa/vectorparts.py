"""A vector set kept as FAISS indexes of at most PART vectors each: a build writes one part at a time, so it never
holds the whole set's index (about 1 KB a chunk for each of the two models), and a reader searches them as one."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

# Vectors a part holds. The set's index is chosen for its whole count (qa.vectors.choose_factory); each part is
# that index over a share of the vectors: flat parts return what one flat index would, IVF parts share the
# trained lists and so scan the same codes, and graph parts are each searched to the same efSearch.
PART = 1 << 16


def part_name(first: str, number: int) -> str:
    """The file of part `number` of the set whose first part is `first`: vectors.faiss, vectors.1.faiss, ..."""
    if number == 0:
        return first
    stem, suffix = first.rsplit(".", 1)
    return f"{stem}.{number}.{suffix}"


def numbered(first: str, names: Iterable[str]) -> list[str]:
    """The part files of the set whose first part is `first` among `names`, in order: none without the first,
    then those numbered from 1 up to the first gap (a version's count of vectors tells a part missing)."""
    names = set(names)
    found: list[str] = []
    while part_name(first, len(found)) in names:
        found.append(part_name(first, len(found)))
    return found


def files_of(folder: Path, first: str) -> list[Path]:
    """The part files of a set in a version's folder, in order."""
    names = [p.name for p in folder.glob(f"{first.rsplit('.', 1)[0]}*") if p.is_file()]
    return [folder / name for name in numbered(first, names)]


def share(total: int, part: int | None = None) -> int:
    """Vectors per part for a set of `total`: at most `part` (PART), and the parts about equal."""
    part = part or PART
    return max(1, math.ceil(total / max(1, math.ceil(total / part))))


def joined(parts: list[Any]) -> Any:
    """One index for the reader: the part itself when there is one."""
    return parts[0] if len(parts) == 1 else Parts(parts)


class Parts:
    """Indexes keyed by chunk id, each holding a share of a set's vectors, searched and read as one index."""

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts
        self.d = int(parts[0].d)

    @property
    def ntotal(self) -> int:
        return sum(int(p.ntotal) for p in self.parts)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best (scores, ids) of every part, merged per query as one index returns them."""
        found = [p.search(queries, min(k, int(p.ntotal))) for p in self.parts if p.ntotal]
        if not found:
            return np.zeros((len(queries), k), np.float32), np.full((len(queries), k), -1, np.int64)
        scores = np.concatenate([s for s, _ in found], axis=1)
        ids = np.concatenate([i for _, i in found], axis=1)
        scores = np.where(ids >= 0, scores, -np.inf)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        best_scores = np.take_along_axis(scores, order, axis=1)
        best_ids = np.take_along_axis(ids, order, axis=1)
        if best_ids.shape[1] < k:
            pad = k - best_ids.shape[1]
            best_scores = np.pad(best_scores, ((0, 0), (0, pad)), constant_values=-np.inf)
            best_ids = np.pad(best_ids, ((0, 0), (0, pad)), constant_values=-1)
        return np.where(best_ids >= 0, best_scores, -np.inf).astype(np.float32), best_ids

    def ids(self) -> np.ndarray:
        import faiss

        return np.concatenate([faiss.vector_to_array(p.id_map).astype(np.int64) for p in self.parts])

    def reconstruct(self, ids: np.ndarray, one: Callable[[Any, np.ndarray], np.ndarray]) -> np.ndarray:
        """The vectors of `ids`, each read by `one` from the part that holds it."""
        import faiss

        held = ((faiss.vector_to_array(p.id_map), lambda p=p: p) for p in self.parts)
        return _gathered(ids, self.d, held, one)

    def set_parameters(self, params: str) -> None:
        import faiss

        for part in self.parts:
            faiss.ParameterSpace().set_index_parameters(part, params)  # type: ignore[arg-type]  # "nprobe=8"


class PartFiles:
    """The parts of a base version's vector set, read from their files one at a time as an update needs them: an
    update reads a part's vectors, then the next part's, and never holds the whole set (0.8 KB a chunk in float16
    at 250k chunks). Each part's ids are read once and kept (8 bytes a vector)."""

    def __init__(self, paths: list[Path], read: Callable[[Path], Any]) -> None:
        self.paths, self.read = paths, read
        self._held: tuple[int, Any] | None = None
        self.reads = 0
        self._ids = [self._ids_of(number) for number in range(len(paths))]
        self.d = int(self._part(0).d)

    @property
    def ntotal(self) -> int:
        return sum(len(ids) for ids in self._ids)

    def ids(self) -> np.ndarray:
        return np.concatenate(self._ids)

    def reconstruct(self, ids: np.ndarray, one: Callable[[Any, np.ndarray], np.ndarray]) -> np.ndarray:
        """The vectors of `ids`, each read by `one` from the part that holds it; the parts in order, each read at
        most once (the one read last is kept for the next call)."""
        order = sorted(range(len(self.paths)), key=lambda n: n != (self._held[0] if self._held else -1))
        return _gathered(ids, self.d, ((self._ids[n], partial(self._part, n)) for n in order), one)

    def _part(self, number: int) -> Any:
        if self._held is None or self._held[0] != number:
            self._held = None  # the part held before goes before the next is read
            self._held = (number, self.read(self.paths[number]))
            self.reads += 1
        return self._held[1]

    def _ids_of(self, number: int) -> np.ndarray:
        import faiss

        return faiss.vector_to_array(self._part(number).id_map).astype(np.int64)


IN_PARTS = (Parts, PartFiles)  # a vector set read as its parts, not as one FAISS index


def _gathered(
    ids: np.ndarray,
    dimension: int,
    parts: Iterable[tuple[np.ndarray, Callable[[], Any]]],
    one: Callable[[Any, np.ndarray], np.ndarray],
) -> np.ndarray:
    """The vectors of `ids` from `parts`, each (its ids, a getter of its index): a part is got only when it holds
    some of them, and `one` reads them from it."""
    rows = np.zeros((len(ids), dimension), np.float32)
    placed = np.zeros(len(ids), bool)
    for held, part in parts:
        inside = np.isin(ids, held) & ~placed
        if inside.any():
            rows[inside] = one(part(), ids[inside])
            placed |= inside
    if not placed.all():
        raise KeyError(f"chunk {int(ids[~placed][0])} has no vector")
    return rows


class PartWriter:
    """Vectors added a block at a time into parts of `share(total, part)` vectors, each written by `write(number,
    index)` as it fills; `empty()` makes a part's index (trained where its factory needs it)."""

    def __init__(
        self, total: int, empty: Callable[[], Any], write: Callable[[int, Any], None], part: int | None = None
    ) -> None:
        self.size, self.empty, self.write = share(total, part), empty, write
        self.current: Any = None
        self.written = 0
        self.count = 0

    def add(self, blocks: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
        for ids, rows in blocks:
            for first, end in _cuts(self, len(ids)):
                if self.current is None:
                    self.current = self.empty()
                self.current.add_with_ids(np.asarray(rows[first:end], np.float32), ids[first:end])
                self.count += end - first
                if self.current.ntotal >= self.size:
                    self._flush()

    def close(self) -> int:
        """Write the last part (an empty one for an empty set); returns the parts written."""
        if self.current is not None or self.written == 0:
            if self.current is None:
                self.current = self.empty()
            self._flush()
        return self.written

    def _flush(self) -> None:
        self.write(self.written, self.current)
        self.written += 1
        self.current = None


def _cuts(writer: PartWriter, rows: int) -> Iterator[tuple[int, int]]:
    """The (first, end) runs of a block that fill the open part and then whole parts."""
    first = 0
    while first < rows:
        room = writer.size - (int(writer.current.ntotal) if writer.current is not None else 0)
        end = min(rows, first + room)
        yield first, end
        first = end


def copies(trained: Any) -> Callable[[], Any]:
    """Empty copies of a (trained) empty index, one for each part."""
    import faiss

    blank = faiss.serialize_index(trained)
    return lambda: faiss.deserialize_index(blank)
