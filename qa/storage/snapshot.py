"""Reading a version: the snapshot a reader answers from, and each of its parts on its own for a writer."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import IndexCorruptError, IndexMissingError, first_line
from qa.files import sha256_bytes
from qa.sparse import Sparse
from qa.storage.catalog import Catalog, DocumentRow, DocumentStats, Homes
from qa.storage.manifest import Manifest, check_compatible, read_manifest, read_pointer, verify
from qa.storage.names import CATALOG, EXACT, MULTILINGUAL, REBUILD, SENTENCES, SPARSE, VECTORS, WORDS
from qa.types import Chunk, Region
from qa.vectorparts import PartFiles, files_of, joined, numbered
from qa.vectors import ExactVectors, SentenceVectors, candidates, one_search_thread

OPEN_ATTEMPTS = 3
WORD_FILES = (f"{WORDS}/words.json", f"{WORDS}/vectors.npy")


def multilingual_files(names: Iterable[str]) -> frozenset[str]:
    """The files among a manifest's `names` read, checked and parsed on the first question searched across
    languages: on the Debian handbook they are 140 MB in memory that an English question never needs."""
    names = list(names)
    return frozenset({*numbered(MULTILINGUAL, names), *(n for n in WORD_FILES if n in names)})


def read_vectors(folder: Path, search_params: str = "") -> Any:
    import faiss

    parts = [faiss.read_index(str(path)) for path in files_of(folder, VECTORS)]
    if not parts:
        raise FileNotFoundError(f"{VECTORS} is missing")
    index = joined(parts)
    if search_params:
        for part in parts:
            faiss.ParameterSpace().set_index_parameters(part, search_params)  # type: ignore[arg-type]  # the stub says int; FAISS takes "nprobe=8"
    return index


def base_vectors(folder: Path) -> Any:
    """The English vector set of the version an update starts from: its index when it is one file, else its parts
    read one at a time as the update needs them (qa.vectorparts.PartFiles)."""
    import faiss

    paths = files_of(folder, VECTORS)
    if len(paths) < 2:
        return read_vectors(folder)
    return PartFiles(paths, lambda path: faiss.read_index(str(path)))


def multilingual_parts(folder: Path | None) -> Iterator[Any]:
    """The parts of the multilingual chunk vectors, each read when the one before is done with (none without)."""
    import faiss

    for path in files_of(folder, MULTILINGUAL) if folder is not None else []:
        yield faiss.read_index(str(path))


def read_words(folder: Path, dtype: type = np.float32) -> tuple[list[str], np.ndarray] | None:
    """The corpus's words and their multilingual vectors (float32, as questions are matched against them; an update
    asks for them as stored, float16), or None in a version built without them."""
    if not (folder / WORDS).is_dir():
        return None
    listed, stored = ((folder / name).read_bytes() for name in WORD_FILES)
    return words_of(listed, stored, dtype=dtype)


def words_of(listed: bytes, stored: bytes, *, dtype: type = np.float32) -> tuple[list[str], np.ndarray]:
    """The word list and its vectors from the bytes of their two files."""
    words = json.loads(listed.decode("utf-8"))
    vectors = np.load(io.BytesIO(stored), allow_pickle=False).astype(dtype, copy=False)
    if not isinstance(words, list) or len(words) != len(vectors):
        raise ValueError("the word list and its vectors differ in length")
    return words, vectors


def read_sparse(folder: Path) -> Sparse:
    return Sparse.load(folder / SPARSE)


def read_sentences(folder: Path) -> SentenceVectors:
    return SentenceVectors.load(folder / SENTENCES)


def read_exact(folder: Path) -> ExactVectors | None:
    """The exact vectors kept beside a compressed index, or None for an index that holds its vectors."""
    return ExactVectors.load(folder / EXACT) if (folder / EXACT).is_dir() else None


VOCAB_EXPANSION = 6  # a term in vocab.json takes about this many times its bytes as a Python dict entry


def serving_bytes(folder: Path) -> int:
    """About what a Snapshot of the version holds in memory: the FAISS indexes (the multilingual one too), read
    whole; BM25's row tables and vocabulary, the sentence vectors' owners and scales, and the corpus words'
    multilingual vectors (float16 on disk, float32 in memory). Postings, codes, exact vectors and the catalog
    stay on disk, read a query's rows at a time."""
    whole = [*folder.glob("vectors*.faiss"), *(folder / SPARSE / f"{n}.npy" for n in ("ids", "lengths", "indptr"))]
    whole += [*(folder / SENTENCES / n for n in ("owners.npy", "scales.npy")), *folder.glob("multilingual*.faiss")]
    words = folder / WORDS / "vectors.npy"
    try:
        return (
            sum(p.stat().st_size for p in whole if p.exists())
            + VOCAB_EXPANSION * (folder / SPARSE / "vocab.json").stat().st_size
            + (2 * words.stat().st_size if words.exists() else 0)
        )
    except OSError:
        return 0


def catalog_of(folder: Path) -> Catalog:
    return Catalog(folder / CATALOG)


class Deferred:
    """A file of a version opened now and read, checked against its manifest digest, on first use: the open file
    keeps it readable after a later build removes the version's folder."""

    def __init__(self, folder: Path, name: str, digest: str) -> None:
        self.name, self.where, self.digest = name, folder.parent, digest
        self.file = open(folder / name, "rb")  # noqa: SIM115  # held for the snapshot's life

    def read(self) -> bytes:
        self.file.seek(0)
        data = self.file.read()
        if sha256_bytes(data) != self.digest:
            raise IndexCorruptError(f"index file {self.name} at {self.where} is damaged (checksum mismatch); {REBUILD}")
        return data


class Snapshot:
    """One immutable index version opened for reading; safe to share between threads.

    The vectors are read into memory; the catalog, the BM25 postings and the sentence vectors stay open
    (mapped or read on demand), and so do the multilingual files, read on the first question that needs them,
    so the version keeps answering after a later `qa index` has removed its folder.
    """

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        self.manifest = manifest
        try:
            self.vectors = read_vectors(folder, manifest.search_params)
            self.sparse = read_sparse(folder)
            self.sentences = read_sentences(folder)
            self.exact = read_exact(folder)
            later = multilingual_files(manifest.checksums) if manifest.multilingual else frozenset()
            self.deferred = {name: Deferred(folder, name, manifest.checksums[name]) for name in later}
            self.catalog = catalog_of(folder)
            rows = self.catalog.count()
        except Exception as exc:  # a parser meeting bytes it does not expect may raise anything
            raise IndexCorruptError(f"index at {folder.parent} is unreadable ({first_line(exc)}); {REBUILD}") from exc
        self._lock = threading.Lock()
        self._across: tuple[Any, tuple[list[str], np.ndarray] | None] | None = None
        exact = len(self.exact) if self.exact is not None else self.vectors.ntotal
        if (
            not (rows == manifest.chunks == len(self.sparse.ids))
            or not (self.vectors.ntotal == exact == manifest.passages <= rows)
            or len(self.sentences) != manifest.sentences
        ):
            raise IndexCorruptError(
                f"index at {folder.parent} is inconsistent ({self.vectors.ntotal} vectors, {rows} chunks); {REBUILD}"
            )

    @property
    def version(self) -> str:
        return self.folder.name

    @property
    def has_multilingual(self) -> bool:
        return MULTILINGUAL in self.deferred

    @property
    def multilingual(self) -> Any:
        """The multilingual chunk vectors, or None in a version without them."""
        return self._multilingual_parts()[0]

    @property
    def words(self) -> tuple[list[str], np.ndarray] | None:
        """The corpus's words and their multilingual vectors, or None in a version without them."""
        return self._multilingual_parts()[1]

    def _multilingual_parts(self) -> tuple[Any, tuple[list[str], np.ndarray] | None]:
        with self._lock:
            if self._across is None:
                self._across = self._read_multilingual()
            return self._across

    def _read_multilingual(self) -> tuple[Any, tuple[list[str], np.ndarray] | None]:
        if not self.has_multilingual:
            return None, None
        import faiss

        try:
            names = numbered(MULTILINGUAL, self.deferred)
            index = joined([faiss.deserialize_index(np.frombuffer(self.deferred[n].read(), np.uint8)) for n in names])
            words = words_of(*(self.deferred[n].read() for n in WORD_FILES)) if WORD_FILES[0] in self.deferred else None
        except IndexCorruptError:
            raise
        except Exception as exc:  # a parser meeting bytes it does not expect may raise anything
            where = self.folder.parent
            raise IndexCorruptError(f"index at {where} is unreadable ({first_line(exc)}); {REBUILD}") from exc
        if index.ntotal != self.manifest.passages:
            raise IndexCorruptError(
                f"index at {self.folder.parent} is inconsistent ({index.ntotal} multilingual vectors, "
                f"{self.manifest.passages} passages); {REBUILD}"
            )
        return index, words

    def chunks(self, ids: Sequence[int]) -> dict[int, Chunk]:
        return self.catalog.chunks(ids)

    def chunk_around(self, source: str, start: int, end: int) -> Chunk | None:
        return self.catalog.chunk_around(source, start, end)

    def homes(self, texts: Sequence[str]) -> dict[str, Homes]:
        return self.catalog.homes(texts)

    def regions(self, source: str, start: int, end: int) -> list[Region]:
        return self.catalog.regions(source, start, end)

    def documents(self, source: str | None = None) -> dict[str, DocumentRow]:
        return self.catalog.documents(source)

    def document_stats(self) -> list[DocumentStats]:
        return self.catalog.document_stats()

    def sample_texts(self, limit: int) -> list[tuple[str, str]]:
        return self.catalog.sample_texts(limit)

    def dense(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k nearest chunks by cosine; a compressed index's candidates re-ranked by their exact vectors."""
        if self.vectors.ntotal == 0:
            return []
        wanted = k if self.exact is None else candidates(k)
        with one_search_thread():
            scores, ids = self.vectors.search(query.reshape(1, -1).astype(np.float32), min(wanted, self.vectors.ntotal))
        found = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        if self.exact is None or not found:
            return found
        chunk_ids = [i for i, _ in found]
        exact = self.exact.get(chunk_ids) @ query.astype(np.float32)
        order = np.argsort(-exact, kind="stable")[:k]
        return [(chunk_ids[n], float(exact[n])) for n in order]

    def dense_multilingual(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k nearest chunks by the multilingual encoder's cosine; none in a version without its vectors."""
        if self.multilingual is None or self.multilingual.ntotal == 0:
            return []
        with one_search_thread():
            scores, ids = self.multilingual.search(
                query.reshape(1, -1).astype(np.float32), min(k, self.multilingual.ntotal)
            )
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def close(self) -> None:
        self.catalog.close()
        for part in self.deferred.values():
            part.file.close()


def open_snapshot(index: Path, model: str, check: bool = True) -> Snapshot:
    attempt = 1
    while True:
        pointer = read_pointer(index)
        if pointer is None:
            raise IndexMissingError(f"no index at {index}: run `qa index` to build it")
        folder, digest = pointer
        try:
            manifest = read_manifest(folder)
            check_compatible(manifest, model, index)
            if check:
                verify(folder, manifest, digest, later=multilingual_files(manifest.checksums))
            return Snapshot(folder, manifest)
        except IndexCorruptError:
            # A writer may have made a newer version current and removed this one while we read it.
            if attempt < OPEN_ATTEMPTS and _moved_on(index, folder):
                attempt += 1
                continue
            raise


def _moved_on(index: Path, folder: Path) -> bool:
    try:
        pointer = read_pointer(index)
    except IndexCorruptError:
        return False
    return pointer is not None and pointer[0] != folder
