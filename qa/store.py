"""The on-disk index: immutable versions (manifest, FAISS vectors, SQLite catalog, BM25) behind a CURRENT pointer."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import (
    IndexCorruptError,
    IndexFormatError,
    IndexLockedError,
    IndexMissingError,
    IndexWriteError,
    first_line,
)
from qa.files import sha256_file
from qa.sparse import Sparse
from qa.types import Box, Chunk, Region
from qa.vectors import SentenceVectors

# 2: sentence vectors (sentences/) following the rules of qa.chunking.split_sentences, and BM25 as term
# frequencies (sparse/), scored at query time, so an update need not re-index every chunk.
# 3: the boxes table, where each line of a PDF or image lies on its page.
FORMAT_VERSION = 3
MANIFEST = "manifest.json"
CATALOG = "catalog.sqlite"
VECTORS = "vectors.faiss"
SPARSE = "sparse"
SENTENCES = "sentences"
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
CREATE TABLE boxes (
    document_id INTEGER NOT NULL REFERENCES documents(id), start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    page INTEGER NOT NULL, x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL
);
CREATE INDEX boxes_document ON boxes(document_id, start);
"""
REBUILD = "run `qa index --rebuild` to rebuild it"
# CURRENT holds the version's name and the SHA-256 of its manifest, so a damaged manifest is caught too;
# a pointer without the digest (written before it was added) is still read.
POINTER = re.compile(r"(v[0-9]{6,})(?: ([0-9a-f]{64}))?\n?")
VERSION = re.compile(r"v[0-9]{6,}")
OPEN_ATTEMPTS = 3
VACUUM_SHARE = 0.25  # compact the catalog once this share of its pages is free
# SQLite reports its own result codes, not errno; these are the ones a failing disk produces.
SQLITE_ERRNO = {3: errno.EACCES, 8: errno.EROFS, 10: errno.EIO, 13: errno.ENOSPC, 14: errno.EACCES}
REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EFBIG: "a file would exceed the file size limit (ulimit -f)",
}


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
    model_sha256: str = ""  # the model's fingerprint; "" in an index built before it was recorded
    skipped: list[dict[str, Any]] = field(default_factory=list)  # files the build could not read, or read in part
    sentences: int = 0  # rows of sentence vectors
    backend: str = ""  # what embedded the build (torch, onnx, sentence-transformers); "" before it was recorded
    device: str = ""  # cpu or cuda


@dataclass(frozen=True)
class DocumentRow:
    source: str
    sha256: str
    size: int
    mtime: float
    plain: bool


def data_files(folder: Path) -> list[Path]:
    """Every file of a version but the manifest, in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


class Snapshot:
    """One immutable index version opened for reading; safe to share between threads.

    The vectors are read into memory; the catalog, the BM25 postings and the sentence vectors stay open
    (mapped or read on demand), so the version keeps answering after a later `qa index` has removed its folder.
    """

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        import faiss

        self.folder = folder
        self.manifest = manifest
        try:
            self.vectors = faiss.read_index(str(folder / VECTORS))
            if manifest.search_params:
                faiss.ParameterSpace().set_index_parameters(self.vectors, manifest.search_params)  # type: ignore[arg-type]  # the stub says int; FAISS takes "nprobe=8"
            self.sparse = Sparse.load(folder / SPARSE)
            self.sentences = SentenceVectors.load(folder / SENTENCES)
            uri = f"file:{folder / CATALOG}?mode=ro&immutable=1"
            self.db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            rows = self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        except Exception as exc:  # a parser meeting bytes it does not expect may raise anything
            raise IndexCorruptError(f"index at {folder.parent} is unreadable ({first_line(exc)}); {REBUILD}") from exc
        if not (self.vectors.ntotal == rows == manifest.chunks == len(self.sparse.ids)) or (
            len(self.sentences) != manifest.sentences
        ):
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

    def regions(self, source: str, start: int, end: int) -> list[Region]:
        """The placed lines of `source` that overlap its text[start:end], in text order."""
        rows = self.db.execute(
            'SELECT b.start, b."end", b.page, b.x0, b.y0, b.x1, b.y1 FROM boxes b '
            'JOIN documents d ON d.id = b.document_id WHERE d.source = ? AND b."end" > ? AND b.start < ? '
            "ORDER BY b.start",
            (source, start, end),
        ).fetchall()
        return [Region(r[0], r[1], Box(*r[2:])) for r in rows]

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


def read_pointer(index: Path) -> tuple[Path, str | None] | None:
    """(folder of the current version, SHA-256 its manifest must have), or None when there is no index."""
    try:
        raw = (index / CURRENT).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {index / CURRENT} ({exc.strerror or exc}); {REBUILD}") from exc
    match = POINTER.fullmatch(raw.decode("ascii", errors="replace"))
    if match is None:
        raise IndexCorruptError(f"{index / CURRENT} is damaged; {REBUILD}")
    folder = index / match.group(1)
    if not folder.is_dir():
        raise IndexCorruptError(f"{index / CURRENT} names a missing version {match.group(1)!r}; {REBUILD}")
    return folder, match.group(2)


def current_folder(index: Path) -> Path | None:
    pointer = read_pointer(index)
    return None if pointer is None else pointer[0]


def read_manifest(folder: Path) -> Manifest:
    try:
        raw = json.loads((folder / MANIFEST).read_bytes())
        manifest = Manifest(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorruptError(f"manifest of index at {folder.parent} is unreadable ({exc}); {REBUILD}") from exc
    checksums = manifest.checksums
    if not isinstance(checksums, dict) or not all(isinstance(v, str) for v in checksums.values()):
        raise IndexCorruptError(f"manifest of index at {folder.parent} is damaged; {REBUILD}")
    return manifest


def check_compatible(manifest: Manifest, model: str, where: Path) -> None:
    if manifest.format != FORMAT_VERSION:
        raise IndexFormatError(
            f"index at {where} has format {manifest.format}, this qa reads format {FORMAT_VERSION}; {REBUILD}"
        )
    if manifest.model != model:
        raise IndexFormatError(f"index at {where} was built with model {manifest.model}, not {model}; {REBUILD}")


def verify(folder: Path, manifest: Manifest, manifest_sha256: str | None = None) -> None:
    """Refuse a version whose files differ from what CURRENT and its manifest promise.

    Runs before any parser (FAISS, SQLite, numpy) sees a file, so damaged bytes are never parsed.
    """
    try:
        if manifest_sha256 is not None and sha256_file(folder / MANIFEST) != manifest_sha256:
            raise IndexCorruptError(f"manifest of index at {folder.parent} is damaged (checksum mismatch); {REBUILD}")
        present = {str(p.relative_to(folder)) for p in data_files(folder)}
        if present != set(manifest.checksums):
            raise IndexCorruptError(f"index at {folder.parent} is missing or has extra files; {REBUILD}")
        for name, digest in sorted(manifest.checksums.items()):
            if sha256_file(folder / name) != digest:
                raise IndexCorruptError(
                    f"index file {name} at {folder.parent} is damaged (checksum mismatch); {REBUILD}"
                )
    except OSError as exc:
        raise IndexCorruptError(f"index at {folder.parent} is unreadable ({exc.strerror or exc}); {REBUILD}") from exc


def verify_current(index: Path, folder: Path) -> Manifest:
    """Check a version's files before copying or reading them into a new version."""
    pointer = read_pointer(index)
    digest = pointer[1] if pointer is not None and pointer[0] == folder else None
    manifest = read_manifest(folder)
    verify(folder, manifest, digest)
    return manifest


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
                verify(folder, manifest, digest)
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


def _reason(exc: OSError) -> str:
    return REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


@contextmanager
def build_lock(index: Path) -> Iterator[None]:
    """Hold the index's writer lock; the kernel drops it if the holder dies, so stale locks recover."""
    if index.exists() and not index.is_dir():
        raise IndexWriteError(f"index path {index} is a file, not a folder; remove it or pass --index DIR")
    try:
        index.mkdir(parents=True, exist_ok=True)
        fd = os.open(index / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise IndexWriteError(f"cannot write to index folder {index} ({_reason(exc)}); check its permissions") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLockedError(
                f"another `qa index` (pid {_holder(fd)}) is building {index}; wait for it to finish and run again"
            ) from None
        try:
            pid = f"{os.getpid()}\n".encode()
            os.pwrite(fd, pid, 0)
            os.ftruncate(fd, len(pid))  # after the write, so a waiting process never reads an empty file
        except OSError as exc:
            raise write_error(index, exc) from exc
        yield
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        first = os.pread(fd, 32, 0).decode("ascii", errors="replace").split("\n")[0].strip()
    except OSError:
        first = ""
    return first if first.isdigit() else "unknown"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in data_files(folder) + [folder / MANIFEST]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for sub in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        _fsync_dir(sub)


def _write_file(path: Path, data: bytes | memoryview) -> None:
    """Write and fsync, so a full disk surfaces here as an OSError instead of as a short file later."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def _catalog_writes() -> Iterator[None]:
    """Report SQLite's write failures as OSError with an errno, like every other write of a build."""
    try:
        yield
    except sqlite3.Error as exc:
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        raise OSError(SQLITE_ERRNO.get(code, errno.EIO), f"cannot write the catalog ({exc})") from exc


class VersionWriter:
    """Builds the next version in a scratch folder; `commit` makes it current atomically."""

    def __init__(self, index: Path, base: Path | None) -> None:
        self.index = index
        self.db: sqlite3.Connection | None = None
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
            with _catalog_writes():
                self.db = sqlite3.connect(self.folder / CATALOG)
                if base is None:
                    self.db.executescript(SCHEMA)
                self.db.execute("PRAGMA journal_mode=DELETE")
                self.db.execute("PRAGMA synchronous=FULL")
        except BaseException:
            self.abort()
            raise

    def _db(self) -> sqlite3.Connection:
        assert self.db is not None, "the writer is closed"
        return self.db

    def remove_documents(self, sources: Sequence[str]) -> list[int]:
        """Delete documents and their chunks; returns the chunk ids removed."""
        db = self._db()
        removed: list[int] = []
        with _catalog_writes():
            for source in sources:
                row = db.execute("SELECT id FROM documents WHERE source = ?", (source,)).fetchone()
                if row is None:
                    continue
                removed += [r[0] for r in db.execute("SELECT id FROM chunks WHERE document_id = ?", row)]
                db.execute("DELETE FROM chunks WHERE document_id = ?", row)
                db.execute("DELETE FROM boxes WHERE document_id = ?", row)
                db.execute("DELETE FROM documents WHERE id = ?", row)
        return removed

    def add_document(
        self, doc: DocumentRow, chunks: Sequence[Chunk], chunk_terms: Sequence[str], regions: Sequence[Region] = ()
    ) -> list[int]:
        db = self._db()
        ids = []
        with _catalog_writes():
            cur = db.execute(
                "INSERT INTO documents (source, sha256, size, mtime, plain) VALUES (?, ?, ?, ?, ?)",
                (doc.source, doc.sha256, doc.size, doc.mtime, int(doc.plain)),
            )
            document_id = cur.lastrowid
            for chunk, chunk_term in zip(chunks, chunk_terms):
                cur = db.execute(
                    'INSERT INTO chunks (document_id, start, "end", line_start, line_end, page, text, terms) '
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        document_id,
                        chunk.start,
                        chunk.end,
                        chunk.line_start,
                        chunk.line_end,
                        chunk.page,
                        chunk.text,
                        chunk_term,
                    ),
                )
                ids.append(int(cur.lastrowid))  # type: ignore[arg-type]
            db.executemany(
                'INSERT INTO boxes (document_id, start, "end", page, x0, y0, x1, y1) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                [(document_id, r.start, r.end, r.box.page, r.box.x0, r.box.y0, r.box.x1, r.box.y1) for r in regions],
            )
        return ids

    def touch_document(self, doc: DocumentRow) -> None:
        """Record a new mtime for a file whose content did not change."""
        with _catalog_writes():
            self._db().execute(
                "UPDATE documents SET mtime = ?, size = ? WHERE source = ?", (doc.mtime, doc.size, doc.source)
            )

    def counts(self) -> tuple[int, int]:
        with _catalog_writes():
            docs = self._db().execute("SELECT count(*) FROM documents").fetchone()[0]
            chunks = self._db().execute("SELECT count(*) FROM chunks").fetchone()[0]
        return docs, chunks

    def write_vectors(self, vectors: Any) -> None:
        import faiss

        # faiss.write_index does not check that its buffered writes reached the disk; Python's writes do.
        _write_file(self.folder / VECTORS, faiss.serialize_index(vectors).data)

    def write_sparse(self, sparse: Sparse) -> None:
        sparse.save(self.folder / SPARSE, _write_file)

    def write_sentences(self, sentences: SentenceVectors) -> None:
        sentences.save(self.folder / SENTENCES, _write_file)

    def commit(self, manifest: Manifest) -> Path:
        db = self._db()
        with _catalog_writes():
            db.commit()
            free = db.execute("PRAGMA freelist_count").fetchone()[0]
            if free > VACUUM_SHARE * db.execute("PRAGMA page_count").fetchone()[0]:  # an update frees few pages
                db.execute("VACUUM")
            db.close()
        self.db = None
        checksums = {str(p.relative_to(self.folder)): sha256_file(p) for p in data_files(self.folder)}
        manifest = Manifest(**{**asdict(manifest), "checksums": checksums})
        manifest_bytes = json.dumps(asdict(manifest), indent=2).encode()
        _write_file(self.folder / MANIFEST, manifest_bytes)
        _fsync_tree(self.folder)
        os.replace(self.folder, self.final)
        _fsync_dir(self.index)
        pointer = self.index / f".{CURRENT}.tmp"
        _write_file(pointer, f"{self.name} {hashlib.sha256(manifest_bytes).hexdigest()}\n".encode())
        os.replace(pointer, self.index / CURRENT)
        _fsync_dir(self.index)
        return self.final

    def abort(self) -> None:
        """Remove what this writer wrote, unless CURRENT already names it."""
        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.Error:
                pass
            self.db = None
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


def prune(index: Path, keep: Sequence[str]) -> None:
    """Remove scratch folders and every version not named in `keep` (the new one and the one readers may hold)."""
    for scratch in index.glob(".v*.tmp"):
        shutil.rmtree(scratch, ignore_errors=True)
    for old in index.glob("v[0-9]*"):
        if old.is_dir() and VERSION.fullmatch(old.name) and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def write_error(index: Path, exc: OSError) -> IndexWriteError:
    return IndexWriteError(f"could not write the index at {index}: {_reason(exc)}; the previous index is still in use")


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
