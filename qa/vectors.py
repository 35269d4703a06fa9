"""FAISS vector indexes keyed by chunk id: flat below a size threshold, approximate above it, and compressed
(product quantization, with the exact vectors on disk for a re-rank) above a second one."""

from __future__ import annotations

import io
import math
import os
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.vectorparts import IN_PARTS, Parts

# IVF lists searched per query: a third of them, at least 16. On 1M synthetic vectors calibrated on the
# PEP index's real ones (benchmarks/scale.py), an eighth kept recall@10 at 0.907 and a quarter at 0.952;
# on the PEP index's own vectors an eighth already gave 0.986.
NPROBE_SHARE = 3
NPROBE_MIN = 16
# Vectors k-means trains on per IVF list: FAISS asks for 39 at least and uses 256 at most.
TRAIN_PER_LIST = 64
# Bytes of product-quantization code per vector: with the 8-byte id in its inverted list, 56 bytes in memory.
PQ_BYTES = 48
# Candidates a compressed index returns for the exact re-rank: this many times k, and at least RERANK_MIN.
# On 2M synthetic vectors (benchmarks/scale.py --compressed), probing half the lists, re-ranking 100 candidates
# gave recall@10 0.923, 400 gave 0.949 and 800 0.957 (at a third of the lists, 800 gave only 0.945).
RERANK_FACTOR = 80
RERANK_MIN = 800
NPROBE_SHARE_COMPRESSED = 2
# A graph index between the flat and the IVF sizes. On the Debian handbook's 50,451 distinct MiniLM vectors, 300
# of them held out as queries (one thread): flat 15.7 ms a query; HNSW32 recall@10 0.989 / 0.992 / 0.993 at
# efSearch 64 / 128 / 256 in 0.4 / 0.8 / 1.3 ms (HNSW16: 0.975 / 0.983 / 0.988), built in 19 s on 2 cores.
# FAISS cannot remove from it, so an update rebuilds it from its stored vectors; hence only above a size. Its
# vectors are kept in float16: on those vectors recall@10 0.997 as with float32 (efSearch 128), a query as fast,
# and the index 53 MB against 91 MB, which a serving process holds whole.
GRAPH = "HNSW32,SQfp16"
HALF = "SQfp16"  # float16 codes: the vectors to within rounding, not the lossy codes of `compressed`
EF_SEARCH = 128


def choose_factory(
    requested: str,
    count: int,
    threshold: int,
    compress_above: int | None = None,
    dimension: int = 384,
    graph_above: int | None = None,
) -> tuple[str, str]:
    """(FAISS factory string, search parameters) for `count` vectors: flat up to `graph_above`, a graph (HNSW)
    up to `threshold`, IVF above it, both with the vectors in float16, and IVF with product quantization above
    `compress_above`."""
    if requested not in ("auto", ""):
        return requested, default_params(requested, count)
    if count <= threshold:
        return (GRAPH, f"efSearch={EF_SEARCH}") if graph_above is not None and count > graph_above else ("Flat", "")
    codes = HALF if compress_above is None or count <= compress_above else f"PQ{pq_bytes(dimension)}"
    factory = f"IVF{nlist_for(count)},{codes}"
    return factory, default_params(factory, count)


def pq_bytes(dimension: int) -> int:
    """The largest count of sub-quantizers up to PQ_BYTES that divides the dimension."""
    return next(m for m in range(min(PQ_BYTES, dimension), 0, -1) if dimension % m == 0)


def compressed(factory: str) -> bool:
    """Whether the index keeps lossy codes instead of the vectors (product or scalar quantization to 8 bits or
    fewer)."""
    return any(part.startswith(("PQ", "SQ")) and part != HALF for part in factory.split(","))


def nlist_for(count: int) -> int:
    """About 2 sqrt(n) inverted lists, a power of two, with at least 39 training vectors per list (fewer
    make FAISS's k-means unstable). 4 sqrt(n) would search a little faster but train 4 times longer:
    k-means costs lists x training vectors, and on 2 cores 4096 lists took over 15 minutes for 1M vectors."""
    nlist = 1 << max(0, round(math.log2(2 * math.sqrt(max(count, 1)))))
    while nlist > 1 and nlist * 39 > count:
        nlist //= 2
    return nlist


def default_params(factory: str, count: int) -> str:
    """Search parameters that keep recall@10 at 0.95 or more; see benchmarks/scale.py."""
    if factory.startswith("IVF"):
        nlist = int(factory[3:].split(",")[0].split("_")[0])
        share = NPROBE_SHARE_COMPRESSED if compressed(factory) else NPROBE_SHARE
        return f"nprobe={min(nlist, max(NPROBE_MIN, nlist // share))}"
    if factory.startswith("HNSW"):
        return f"efSearch={EF_SEARCH}"
    return ""


def build_index(dimension: int, factory: str, ids: np.ndarray, vectors: np.ndarray) -> Any:
    """A trained index holding `vectors` under `ids`. A compressed one keeps ids in its inverted lists (8 bytes
    each) instead of an ID map, whose reverse table alone would cost more than the codes."""
    index = new_index(dimension, factory)
    if not index.is_trained and len(vectors):
        train(index, _training_sample(index, vectors))
    if len(vectors):
        index.add_with_ids(vectors, ids)
    return index


def new_index(dimension: int, factory: str) -> Any:
    """An empty index of `factory` keyed by chunk id, untrained where the factory needs training."""
    import faiss

    spec = factory if compressed(factory) else f"IDMap2,{factory}"
    return faiss.index_factory(dimension, spec, faiss.METRIC_INNER_PRODUCT)


def train(index: Any, sample: np.ndarray) -> None:
    """Train `index` on `sample`. An IVF index with float16 codes trains only its lists: FAISS would otherwise
    hold every sample vector's residual to its list (100 MB for 65,536 English vectors) to train codes that
    learn nothing; the index is the same either way (tests/test_vectors.py)."""
    import faiss

    try:
        ivf: Any = faiss.downcast_index(faiss.extract_index_ivf(index))
    except RuntimeError:
        ivf = None
    lists_alone = (
        isinstance(ivf, faiss.IndexIVFScalarQuantizer)
        and ivf.sq.qtype == faiss.ScalarQuantizer.QT_fp16
        and ivf.by_residual
    )
    if not lists_alone:
        index.train(sample)
        return
    ivf.by_residual = False
    try:
        index.train(sample)
    finally:
        ivf.by_residual = True


def _training_sample(index: Any, vectors: np.ndarray) -> np.ndarray:
    """A random subset of at most TRAIN_PER_LIST vectors per IVF list (256k for other trained indexes)."""
    if len(vectors) <= training_limit(index):
        return vectors
    return vectors[training_rows(index, len(vectors))]


def training_limit(index: Any) -> int:
    import faiss

    try:
        return TRAIN_PER_LIST * faiss.extract_index_ivf(index).nlist
    except RuntimeError:
        return TRAIN_PER_LIST * 1024


def training_rows(index: Any, count: int) -> np.ndarray:
    """The positions, ascending, of the vectors of `count` that `index` is trained on."""
    limit = training_limit(index)
    if count <= limit:
        return np.arange(count)
    return np.sort(np.random.default_rng(0).choice(count, limit, replace=False))


def contents(index: Any) -> tuple[np.ndarray, np.ndarray]:
    """All (ids, vectors) stored in an IDMap2 index, or in each of its parts (qa.vectorparts.Parts)."""
    import faiss

    if isinstance(index, Parts):
        held = [contents(part) for part in index.parts]
        return np.concatenate([i for i, _ in held]), np.concatenate([v for _, v in held])

    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    inner = faiss.downcast_index(index.index)
    if isinstance(inner, faiss.IndexIVF):
        inner.make_direct_map()
    vectors = inner.reconstruct_n(0, inner.ntotal) if inner.ntotal else np.zeros((0, index.d), np.float32)
    return ids, vectors


def reconstruct(index: Any, ids: Sequence[int] | np.ndarray) -> np.ndarray:
    """The stored vectors of `ids` (chunk ids present in an IDMap2 index or in its parts), one row each."""
    import faiss

    if not len(ids):
        return np.zeros((0, index.d), dtype=np.float32)
    if isinstance(index, IN_PARTS):
        return index.reconstruct(np.asarray(ids, dtype=np.int64), reconstruct)
    inner = faiss.downcast_index(index.index)
    if isinstance(inner, faiss.IndexIVF):
        inner.make_direct_map()
    return index.reconstruct_batch(np.asarray(ids, dtype=np.int64))


def editable(base: Any, factory: str) -> bool:
    """Whether an update edits `base` in place for `factory` instead of building anew: a flat index, or a
    compressed one of the same factory (its quantizers stay trained)."""
    if isinstance(base, IN_PARTS):
        return False
    if compressed(factory):
        return _compressed_alike(base, factory)
    return factory == "Flat" and hasattr(base, "id_map") and _factory_of(base) == "Flat"


def _compressed_alike(index: Any, factory: str) -> bool:
    """Whether `index` is an IVF index with the codes and list count that `factory` asks for."""
    import faiss

    try:
        ivf = faiss.extract_index_ivf(index)
    except RuntimeError:
        return False
    lists = factory.split(",")[0]
    return f"IVF{ivf.nlist}" == lists and compressed(factory) and not isinstance(ivf, faiss.IndexIVFFlat)


@contextmanager
def one_search_thread() -> Iterator[None]:
    """FAISS kept to one OpenMP thread in this thread for a single question's search: on 2 busy CPUs a flat
    search of the handbook's 77k vectors took 54 ms with two threads and 12 ms with one."""
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)


def candidates(k: int) -> int:
    """How many neighbours to ask a compressed index for, to re-rank exactly down to k."""
    return max(RERANK_MIN, RERANK_FACTOR * k)


def _factory_of(index: Any) -> str:
    import faiss

    return "Flat" if isinstance(faiss.downcast_index(index.index), faiss.IndexFlat) else "other"


@dataclass(frozen=True)
class SentenceVectors:
    """The vectors of every chunk's sentences, stored as int8 with a scale per row (a quarter of float32's
    size; cosines within 0.01 of float32), rows grouped by chunk id in sentence order."""

    owners: np.ndarray  # chunk id of each row, ascending
    codes: np.ndarray | RowFile  # int8, (rows, dimension)
    scales: np.ndarray  # float32, one per row

    FILES = ("owners.npy", "codes.npy", "scales.npy")

    @classmethod
    def empty(cls, dimension: int) -> SentenceVectors:
        return cls(np.zeros(0, np.int64), np.zeros((0, dimension), np.int8), np.zeros(0, np.float32))

    @classmethod
    def quantize(cls, owners: np.ndarray, rows: np.ndarray, block: int = 1 << 12) -> SentenceVectors:
        """Rows (float16 or float32) to int8 codes and a scale each, a block at a time in place: a build's slice has
        about 35,000 sentences, and blocks of 65,536 rows held four float32 copies of them at once (190 MB)."""
        codes = np.empty(rows.shape, np.int8)
        scales = np.empty(len(rows), np.float32)
        for first in range(0, len(rows), block):
            part = np.array(rows[first : first + block], dtype=np.float32)
            peak = np.maximum(part.max(axis=1), -part.min(axis=1)) if part.size else np.zeros(len(part), np.float32)
            scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
            np.divide(part, scale[:, None], out=part)
            codes[first : first + block] = np.rint(part, out=part)
            scales[first : first + block] = scale
        return cls(np.asarray(owners, np.int64), codes, scales)

    def __len__(self) -> int:
        return len(self.owners)

    def of(self, chunk_id: int) -> np.ndarray:
        """The float32 vectors of one chunk's sentences, in order."""
        first, end = np.searchsorted(self.owners, [chunk_id, chunk_id + 1])
        return self.codes[first:end].astype(np.float32) * self.scales[first:end, None]

    def without(self, chunk_ids: Sequence[int]) -> SentenceVectors:
        keep = ~np.isin(self.owners, np.asarray(chunk_ids, np.int64))
        return SentenceVectors(self.owners[keep], np.asarray(self.codes)[keep], self.scales[keep])

    def plus(self, other: SentenceVectors) -> SentenceVectors:
        owners = np.concatenate([self.owners, other.owners])
        codes = np.concatenate([np.asarray(self.codes), other.codes])
        scales = np.concatenate([self.scales, other.scales])
        if np.all(owners[1:] >= owners[:-1]):  # new chunks have the highest ids: nothing to reorder
            return SentenceVectors(owners, codes, scales)
        order = np.argsort(owners, kind="stable")
        return SentenceVectors(owners[order], codes[order], scales[order])

    def save(self, folder: Path, write: Callable[[Path, bytes], None]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in zip(self.FILES, (self.owners, self.codes, self.scales)):
            write(folder / name, npy_bytes(np.asarray(array)))

    @classmethod
    def load(cls, folder: Path) -> SentenceVectors:
        """Owners and scales are read; the codes stay on disk and a query reads the rows it needs."""
        owners = np.load(folder / "owners.npy", allow_pickle=False)
        scales = np.load(folder / "scales.npy", allow_pickle=False)
        codes = RowFile(folder / "codes.npy")
        if not (owners.ndim == 1 and len(owners) == len(codes) == len(scales)):
            raise ValueError("sentence vector files disagree in length")
        return cls(owners, codes, scales)


@dataclass(frozen=True)
class ExactVectors:
    """Every chunk's vector in float16, by ascending chunk id, kept on disk beside a compressed index: the
    index's candidates are re-ranked by their exact cosine, and an update starts from these, not from codes."""

    ids: np.ndarray  # chunk ids, ascending
    rows: np.ndarray | RowFile  # float16, (chunks, dimension)

    FILES = ("ids.npy", "vectors.npy")

    @classmethod
    def of(cls, ids: np.ndarray, vectors: np.ndarray) -> ExactVectors:
        order = np.argsort(ids, kind="stable")
        return cls(np.asarray(ids, np.int64)[order], np.asarray(vectors, np.float16)[order])

    def __len__(self) -> int:
        return len(self.ids)

    def get(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """The float32 vectors of `chunk_ids`, all present, one row each."""
        positions = np.searchsorted(self.ids, np.asarray(chunk_ids, np.int64))
        if not isinstance(self.rows, RowFile):
            return np.asarray(self.rows[positions], np.float32)
        found = [self.rows[int(p) : int(p) + 1] for p in positions]
        return np.concatenate(found).astype(np.float32) if found else np.zeros((0, self.rows.shape[1]), np.float32)

    def updated(self, removed: Sequence[int], new_ids: Sequence[int], new_vectors: np.ndarray) -> ExactVectors:
        keep = ~np.isin(self.ids, np.asarray(removed, np.int64))
        ids = np.concatenate([self.ids[keep], np.asarray(new_ids, np.int64)])
        return ExactVectors.of(ids, np.concatenate([np.asarray(self.rows)[keep], new_vectors.astype(np.float16)]))

    def save(self, folder: Path, write: Callable[[Path, bytes], None]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in zip(self.FILES, (self.ids, self.rows)):
            write(folder / name, npy_bytes(np.asarray(array)))

    @classmethod
    def load(cls, folder: Path) -> ExactVectors:
        """The ids are mapped, the rows read on demand: neither counts against memory until a query needs it."""
        ids = np.load(folder / "ids.npy", mmap_mode="r", allow_pickle=False)
        rows = RowFile(folder / "vectors.npy")
        if not (ids.ndim == 1 and len(ids) == len(rows)):
            raise ValueError("exact vector files disagree in length")
        return cls(ids, rows)


def npy_bytes(array: np.ndarray) -> bytes:
    """`array` in .npy format, for a writer that reports a full disk as such (numpy's own file writes do not)."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


class RowFile:
    """The rows of a 2-d .npy matrix, read on demand with pread: a query needs a few rows of a file ten times
    the size of the chunk vectors, and mapping it let the kernel count whole folios around them against the
    process. The open file keeps the rows readable after a newer version removes the folder."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            with os.fdopen(os.dup(fd), "rb") as f:
                version = np.lib.format.read_magic(f)
                header = (
                    np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                )
                self.shape, fortran, self.dtype = header(f)
                self.offset = f.tell()
            if fortran or self.dtype.hasobject or len(self.shape) != 2:
                raise ValueError(f"{path.name} is not a plain matrix")
            self.row_bytes = int(self.shape[1]) * self.dtype.itemsize
            if self.offset + self.shape[0] * self.row_bytes > os.fstat(fd).st_size:
                raise ValueError(f"{path.name} is shorter than its header says")
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        weakref.finalize(self, os.close, fd)

    def __len__(self) -> int:
        return int(self.shape[0])

    def __getitem__(self, rows: slice) -> np.ndarray:
        first, end, _ = rows.indices(len(self))
        count = max(0, end - first)
        data = os.pread(self.fd, count * self.row_bytes, self.offset + first * self.row_bytes)
        return np.frombuffer(data, dtype=self.dtype).reshape(count, self.shape[1])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[0 : len(self)]
        return whole if dtype is None else whole.astype(dtype)
