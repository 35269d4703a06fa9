"""Writing a version: a scratch folder filled part by part, then made current atomically."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import IndexCorruptError
from qa.postings import PostingsWriter
from qa.sparse import Sparse
from qa.storage.atomic import fsync_dir, fsync_tree, write_file
from qa.storage.catalog import Catalog, CatalogWriter, DocumentRow
from qa.storage.manifest import Manifest, current_folder, point_to, verify_current, write_manifest
from qa.storage.names import (
    CATALOG,
    CURRENT,
    PARTS,
    SENTENCES,
    SPARSE,
    VERSION,
    WORDS,
    vector_files,
)
from qa.types import Chunk, Region
from qa.vectorparts import part_name
from qa.vectors import ExactVectors, SentenceVectors, npy_bytes
from qa.vectorsets import Built, DenseWriter, IndexChoice, SentenceWriter


class VersionWriter:
    """Builds the next version in a scratch folder from a copy of the base version's catalog; `commit` makes it
    current atomically, `abort` removes it."""

    def __init__(self, index: Path, base: Path | None) -> None:
        self.index, self.base = index, base
        self.catalog: CatalogWriter | None = None
        if base is not None:
            verify_current(index, base)  # never carry damaged bytes into the next version
        number = 1 + max((int(p.name[1:]) for p in index.glob("v[0-9]*") if VERSION.fullmatch(p.name)), default=0)
        self.name = f"v{number:06d}"
        self.folder = index / f".{self.name}.tmp"
        self.final = index / self.name
        shutil.rmtree(self.folder, ignore_errors=True)
        try:
            self.folder.mkdir(parents=True)
            if base is not None:
                shutil.copyfile(base / CATALOG, self.folder / CATALOG)
            self.catalog = CatalogWriter(self.folder / CATALOG, new=base is None)
        except BaseException:
            self.abort()
            raise

    def _catalog(self) -> CatalogWriter:
        assert self.catalog is not None, "the writer is closed"
        return self.catalog

    def remove_documents(self, sources: Sequence[str]) -> list[int]:
        """Delete documents and their chunks; returns the chunk ids removed."""
        return self._catalog().remove_documents(sources)

    def add_document(
        self, doc: DocumentRow, chunks: Sequence[Chunk], chunk_terms: Sequence[str], regions: Sequence[Region] = ()
    ) -> list[int]:
        return self._catalog().add_document(doc, chunks, chunk_terms, regions)

    def touch_document(self, doc: DocumentRow) -> None:
        self._catalog().touch_document(doc)

    def counts(self) -> tuple[int, int]:
        return self._catalog().counts()

    def postings(self, base: Sparse | None) -> PostingsWriter:
        """BM25 postings appended a slice at a time (`save_postings` merges them)."""
        return PostingsWriter(self.folder / PARTS / SPARSE, base)

    def save_postings(self, postings: PostingsWriter, removed: Sequence[int]) -> int:
        return postings.save(self.folder / SPARSE, removed, write_file)

    def sentences(self, base: SentenceVectors | None) -> SentenceWriter:
        """Sentence vectors appended a slice at a time; `close` it before the commit."""
        return SentenceWriter(self.folder / SENTENCES, self.folder / PARTS / SENTENCES, base)

    def dense(self, name: str, base: Any | None, base_exact: ExactVectors | None) -> DenseWriter:
        """A named set of chunk vectors appended a slice at a time (`finish_dense` makes its index)."""
        return DenseWriter(self.folder / PARTS / f"{name}.npy", base, base_exact)

    def finish_dense(
        self, name: str, dense: DenseWriter, removed: Sequence[int], choice: IndexChoice, firsts: np.ndarray
    ) -> Built:
        """Make and write the set's index a part at a time, holding the vector of each distinct chunk text once,
        under its first chunk's id (`firsts`, from `first_ids`)."""
        first, exact = vector_files(name)
        return dense.finish(
            removed, choice, self.folder / exact, write_file, self.part_writer(first), firsts, self.moved
        )

    def part_writer(self, first: str) -> Callable[[int, Any], None]:
        """Writes part n of the vector set whose first file is `first` (qa.vectorparts)."""
        return lambda number, index: _write_index(self.folder / part_name(first, number), index)

    def write_words(self, words: Sequence[str], vectors: np.ndarray) -> None:
        (self.folder / WORDS).mkdir(exist_ok=True)
        write_file(self.folder / WORDS / "words.json", json.dumps(list(words), ensure_ascii=False).encode())
        write_file(self.folder / WORDS / "vectors.npy", npy_bytes(vectors.astype(np.float16)))

    def chunk_ids(self) -> list[int]:
        return self._catalog().chunk_ids()

    def first_ids(self) -> list[int]:
        """The chunk ids that hold the vectors: the first of each distinct text."""
        return self._catalog().first_ids()

    def moved(self, ids: Sequence[int]) -> list[int]:
        """For chunks that now hold their text's vectors, the base version's chunk that held them."""
        if not len(ids):
            return []
        assert self.base is not None, "a chunk of a first version holds its vectors from the start"
        texts = self.texts_of(ids)
        base = Catalog(self.base / CATALOG)
        try:
            firsts = base.firsts(texts)
        finally:
            base.close()
        return [firsts[t] for t in texts]

    def texts_of(self, ids: Sequence[int]) -> list[str]:
        return self._catalog().texts_of(ids)

    def commit(self, manifest: Manifest) -> Path:
        self._catalog().finish()
        self.catalog = None
        shutil.rmtree(self.folder / PARTS, ignore_errors=True)
        manifest_bytes = write_manifest(self.folder, manifest)
        fsync_tree(self.folder)
        os.replace(self.folder, self.final)
        fsync_dir(self.index)
        point_to(self.index, self.name, manifest_bytes)
        return self.final

    def abort(self) -> None:
        """Remove what this writer wrote, unless CURRENT already names it."""
        if self.catalog is not None:
            self.catalog.close()
            self.catalog = None
        shutil.rmtree(self.folder, ignore_errors=True)
        try:
            current = current_folder(self.index)
        except IndexCorruptError:
            current = None
        if current != self.final:
            shutil.rmtree(self.final, ignore_errors=True)
        try:
            (self.index / f".{CURRENT}.tmp").unlink()
        except OSError:
            pass


def _write_index(path: Path, index: Any) -> None:
    """Write a FAISS index as it serializes, never whole in one buffer (a copy of it: 1 KB a chunk, multilingual)."""
    import faiss

    # faiss.write_index to a path does not check that its buffered writes reached the disk; Python's writes do.
    with open(path, "wb") as f:
        faiss.write_index(index, faiss.PyCallbackIOWriter(f.write))  # type: ignore[attr-defined]  # not in the stub
        f.flush()
        os.fsync(f.fileno())


def prune(index: Path, keep: Sequence[str]) -> None:
    """Remove scratch folders and every version not named in `keep` (the new one and the one readers may hold)."""
    for scratch in index.glob(".v*.tmp"):
        shutil.rmtree(scratch, ignore_errors=True)
    for old in index.glob("v[0-9]*"):
        if old.is_dir() and VERSION.fullmatch(old.name) and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
