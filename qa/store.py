"""The on-disk index: immutable versions (manifest, FAISS vectors, SQLite catalog, BM25) behind a CURRENT pointer."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from qa.errors import IndexCorruptError, IndexFormatError, IndexLockedError, IndexMissingError, IndexWriteError
from qa.sparse import Sparse
from qa.types import Chunk

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CATALOG = "catalog.sqlite"
VECTORS = "vectors.faiss"
SPARSE = "sparse"
CURRENT = "CURRENT"
LOCK = "lock"

SCHEMA = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY, source TEXT UNIQUE NOT NULL, sha256 TEXT NOT NULL,
    size INTEGER NOT NULL, mtime REAL NOT NULL, plain INTEGER NOT NULL
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES documents(id),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, line_start INTEGER NOT NULL,
    line_end INTEGER NOT NULL, page INTEGER, text TEXT NOT NULL, terms TEXT NOT NULL
);
CREATE INDEX chunks_document ON chunks(document_id);
"""
REBUILD = "run `qa index --rebuild` to rebuild it"


@dataclass(frozen=True)
class Manifest:
    format: int
    model: str
    dimension: int
    precision: str
    chunk_tokens: int
    chunk_overlap: int
    factory: str
    search_params: str
    documents: int
    chunks: int
    built_at: str
    corpus: str
    checksums: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentRow:
    source: str
    sha256: str
    size: int
    mtime: float
    plain: bool


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_files(folder: Path) -> list[Path]:
    """Every file of a version but the manifest, in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


class Snapshot:
    """One immutable index version opened for reading; safe to share between threads."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        import faiss

        self.folder = folder
        self.manifest = manifest
        try:
            self.vectors = faiss.read_index(str(folder / VECTORS))
            if manifest.search_params:
                faiss.ParameterSpace().set_index_parameters(self.vectors, manifest.search_params)
            self.sparse = Sparse.load(folder / SPARSE)
            uri = f"file:{folder / CATALOG}?mode=ro&immutable=1"
            self.db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            rows = self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        except (RuntimeError, OSError, ValueError, sqlite3.Error) as exc:
            raise IndexCorruptError(f"index at {folder.parent} is unreadable ({exc}); {REBUILD}") from exc
        if not (self.vectors.ntotal == rows == manifest.chunks == len(self.sparse.ids)):
            raise IndexCorruptError(
                f"index at {folder.parent} is inconsistent ({self.vectors.ntotal} vectors, {rows} chunks); {REBUILD}"
            )

    @property
    def version(self) -> str:
        return self.folder.name

    def chunks(self, ids: Sequence[int]) -> dict[int, Chunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f'SELECT c.id, d.source, c.start, c."end", c.line_start, c.line_end, c.text, c.page '
            f"FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id IN ({marks})",
            [int(i) for i in ids],
        ).fetchall()
        return {row[0]: Chunk(*row[1:]) for row in rows}

    def documents(self) -> dict[str, DocumentRow]:
        rows = self.db.execute("SELECT source, sha256, size, mtime, plain FROM documents").fetchall()
        return {r[0]: DocumentRow(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows}

    def dense(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self.vectors.ntotal == 0:
            return []
        scores, ids = self.vectors.search(query.reshape(1, -1).astype(np.float32), min(k, self.vectors.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def close(self) -> None:
        self.db.close()


def current_folder(index: Path) -> Path | None:
    try:
        name = (index / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {index / CURRENT} ({exc}); {REBUILD}") from exc
    if not name or "/" in name or not (index / name).is_dir():
        raise IndexCorruptError(f"{index / CURRENT} names a missing version {name!r}; {REBUILD}")
    return index / name


def read_manifest(folder: Path) -> Manifest:
    try:
        raw = json.loads((folder / MANIFEST).read_text())
        return Manifest(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorruptError(f"manifest of index at {folder.parent} is unreadable ({exc}); {REBUILD}") from exc


def check_compatible(manifest: Manifest, model: str, where: Path) -> None:
    if manifest.format != FORMAT_VERSION:
        raise IndexFormatError(
            f"index at {where} has format {manifest.format}, this qa reads format {FORMAT_VERSION}; {REBUILD}"
        )
    if manifest.model != model:
        raise IndexFormatError(f"index at {where} was built with model {manifest.model}, not {model}; {REBUILD}")


def verify(folder: Path, manifest: Manifest) -> None:
    """Refuse a version whose files differ from the checksums its manifest promises."""
    present = {str(p.relative_to(folder)) for p in data_files(folder)}
    if present != set(manifest.checksums):
        raise IndexCorruptError(f"index at {folder.parent} is missing or has extra files; {REBUILD}")
    for name, digest in manifest.checksums.items():
        if sha256_file(folder / name) != digest:
            raise IndexCorruptError(f"index file {name} at {folder.parent} is damaged (checksum mismatch); {REBUILD}")


def open_snapshot(index: Path, model: str, check: bool = True) -> Snapshot:
    folder = current_folder(index)
    if folder is None:
        raise IndexMissingError(f"no index at {index}: run `qa index` to build it")
    manifest = read_manifest(folder)
    check_compatible(manifest, model, index)
    if check:
        verify(folder, manifest)
    return Snapshot(folder, manifest)


@contextmanager
def build_lock(index: Path) -> Iterator[None]:
    """Hold the index's writer lock; the kernel drops it if the holder dies, so stale locks recover."""
    try:
        index.mkdir(parents=True, exist_ok=True)
        fd = os.open(index / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise IndexWriteError(f"cannot write to index folder {index} ({exc.strerror}); check its permissions") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise IndexLockedError(
                f"another `qa index` (pid {holder}) is building {index}; wait for it to finish and run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in data_files(folder) + [folder / MANIFEST]:
        with open(path, "rb+") as f:
            os.fsync(f.fileno())
    for sub in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        _fsync_dir(sub)


class VersionWriter:
    """Builds the next version in a scratch folder; `commit` makes it current atomically."""

    def __init__(self, index: Path, base: Path | None) -> None:
        self.index = index
        number = 1 + max((int(p.name[1:]) for p in index.glob("v[0-9]*") if p.name[1:].isdigit()), default=0)
        self.name = f"v{number:06d}"
        self.folder = index / f".{self.name}.tmp"
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        if base is not None:
            shutil.copyfile(base / CATALOG, self.folder / CATALOG)
            self.db = sqlite3.connect(self.folder / CATALOG)
        else:
            self.db = sqlite3.connect(self.folder / CATALOG)
            self.db.executescript(SCHEMA)
        self.db.execute("PRAGMA journal_mode=DELETE")
        self.db.execute("PRAGMA synchronous=FULL")

    def remove_documents(self, sources: Sequence[str]) -> list[int]:
        """Delete documents and their chunks; returns the chunk ids removed."""
        removed: list[int] = []
        for source in sources:
            row = self.db.execute("SELECT id FROM documents WHERE source = ?", (source,)).fetchone()
            if row is None:
                continue
            removed += [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE document_id = ?", row)]
            self.db.execute("DELETE FROM chunks WHERE document_id = ?", row)
            self.db.execute("DELETE FROM documents WHERE id = ?", row)
        return removed

    def add_document(self, doc: DocumentRow, chunks: Sequence[Chunk], chunk_terms: Sequence[str]) -> list[int]:
        cur = self.db.execute(
            "INSERT INTO documents (source, sha256, size, mtime, plain) VALUES (?, ?, ?, ?, ?)",
            (doc.source, doc.sha256, doc.size, doc.mtime, int(doc.plain)),
        )
        document_id = cur.lastrowid
        ids = []
        for chunk, chunk_term in zip(chunks, chunk_terms):
            cur = self.db.execute(
                'INSERT INTO chunks (document_id, start, "end", line_start, line_end, page, text, terms) '
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (document_id, chunk.start, chunk.end, chunk.line_start, chunk.line_end, chunk.page, chunk.text,
                 chunk_term),
            )
            ids.append(int(cur.lastrowid))  # type: ignore[arg-type]
        return ids

    def touch_document(self, doc: DocumentRow) -> None:
        """Record a new mtime for a file whose content did not change."""
        self.db.execute("UPDATE documents SET mtime = ?, size = ? WHERE source = ?", (doc.mtime, doc.size, doc.source))

    def all_terms(self) -> tuple[list[int], list[list[str]]]:
        rows = self.db.execute("SELECT id, terms FROM chunks ORDER BY id").fetchall()
        return [r[0] for r in rows], [r[1].split() for r in rows]

    def counts(self) -> tuple[int, int]:
        docs = self.db.execute("SELECT count(*) FROM documents").fetchone()[0]
        chunks = self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return docs, chunks

    def write_vectors(self, vectors: object) -> None:
        import faiss

        faiss.write_index(vectors, str(self.folder / VECTORS))

    def write_sparse(self, sparse: Sparse) -> None:
        sparse.save(self.folder / SPARSE)

    def commit(self, manifest: Manifest) -> Path:
        self.db.commit()
        self.db.execute("VACUUM")
        self.db.close()
        checksums = {str(p.relative_to(self.folder)): sha256_file(p) for p in data_files(self.folder)}
        manifest = Manifest(**{**asdict(manifest), "checksums": checksums})
        (self.folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2))
        _fsync_tree(self.folder)
        final = self.index / self.name
        os.replace(self.folder, final)
        _fsync_dir(self.index)
        pointer = self.index / f".{CURRENT}.tmp"
        with open(pointer, "w") as f:
            f.write(self.name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(pointer, self.index / CURRENT)
        _fsync_dir(self.index)
        return final

    def abort(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def prune(index: Path, keep: Sequence[str]) -> None:
    """Remove scratch folders and every version not named in `keep` (the new one and the one readers may hold)."""
    for scratch in index.glob(".v*.tmp"):
        shutil.rmtree(scratch, ignore_errors=True)
    for old in index.glob("v[0-9]*"):
        if old.is_dir() and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def write_error(index: Path, exc: OSError) -> IndexWriteError:
    reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return IndexWriteError(f"could not write the index at {index}: {reason}; the previous index is still in use")


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
