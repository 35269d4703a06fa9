"""The catalog: documents, chunks and line boxes of a version in SQLite. The only code that holds its SQL."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import IndexCorruptError
from qa.storage.manifest import now_iso
from qa.storage.names import CATALOG, REBUILD
from qa.types import Box, Chunk, Region, Span

SCHEMA = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY, source TEXT UNIQUE NOT NULL, sha256 TEXT NOT NULL,
    size INTEGER NOT NULL, mtime REAL NOT NULL, plain INTEGER NOT NULL, indexed_at TEXT NOT NULL DEFAULT ''
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
# Chunks with the same text are found by the start of their text, so duplicates are cited once (qa.retrieval).
PREFIX = 64
TEXT_INDEX = f"CREATE INDEX IF NOT EXISTS chunks_text ON chunks(substr(text, 1, {PREFIX}))"
VACUUM_SHARE = 0.25  # compact the catalog once this share of its pages is free
MAX_PARAMETERS = 500  # SQLite caps the parameters of one statement
# SQLite reports its own result codes, not errno; these are the ones a failing disk produces.
SQLITE_ERRNO = {3: errno.EACCES, 8: errno.EROFS, 10: errno.EIO, 13: errno.ENOSPC, 14: errno.EACCES}


@dataclass(frozen=True)
class DocumentRow:
    source: str
    sha256: str
    size: int
    mtime: float
    plain: bool


@dataclass(frozen=True)
class Homes:
    """The chunks that hold one text: the first (the one that holds its vectors) and the sources, each once, in
    chunk order."""

    first: int
    sources: list[str]


@dataclass(frozen=True)
class DocumentStats:
    """What the catalog holds of one document: its chunks, its last page (0 without pages), when it was indexed."""

    source: str
    size: int
    chunks: int
    pages: int
    indexed_at: str  # "" in a catalog written before this was recorded


class Catalog:
    """A version's catalog opened read-only; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def chunks(self, ids: Sequence[int]) -> dict[int, Chunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f'SELECT c.id, d.source, c.start, c."end", c.line_start, c.line_end, c.page, c.text '
            f"FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id IN ({marks})",
            [int(i) for i in ids],
        )
        return {
            row["id"]: Chunk(
                Span(row["source"], row["start"], row["end"], row["line_start"], row["line_end"], row["page"]),
                row["text"],
            )
            for row in _named(rows)
        }

    def chunk_around(self, source: str, start: int, end: int) -> Chunk | None:
        """The first chunk of `source` that holds all of its text[start:end]."""
        rows = self.db.execute(
            'SELECT d.source, c.start, c."end", c.line_start, c.line_end, c.page, c.text FROM chunks c '
            'JOIN documents d ON d.id = c.document_id WHERE d.source = ? AND c.start <= ? AND c."end" >= ? '
            "ORDER BY c.start LIMIT 1",
            (source, start, end),
        )
        for r in _named(rows):
            return Chunk(Span(r["source"], r["start"], r["end"], r["line_start"], r["line_end"], r["page"]), r["text"])
        return None

    def regions(self, source: str, start: int, end: int) -> list[Region]:
        """The placed lines of `source` that overlap its text[start:end], in text order."""
        rows = self.db.execute(
            'SELECT b.start, b."end", b.page, b.x0, b.y0, b.x1, b.y1 FROM boxes b '
            'JOIN documents d ON d.id = b.document_id WHERE d.source = ? AND b."end" > ? AND b.start < ? '
            "ORDER BY b.start",
            (source, start, end),
        )
        return [Region(r["start"], r["end"], Box(r["page"], r["x0"], r["y0"], r["x1"], r["y1"])) for r in _named(rows)]

    def documents(self, source: str | None = None) -> dict[str, DocumentRow]:
        """Every document by source, or only `source` (an empty dict when it is not in the catalog)."""
        query = "SELECT source, sha256, size, mtime, plain FROM documents"
        rows = self.db.execute(query) if source is None else self.db.execute(query + " WHERE source = ?", (source,))
        return {r["source"]: DocumentRow(**{**r, "plain": bool(r["plain"])}) for r in _named(rows)}

    def document_stats(self) -> list[DocumentStats]:
        indexed = "d.indexed_at" if _has_column(self.db, "documents", "indexed_at") else "''"
        rows = self.db.execute(
            f"SELECT d.source, d.size, count(c.id) AS chunks, coalesce(max(c.page), 0) AS pages, {indexed} AS indexed_at "
            "FROM documents d LEFT JOIN chunks c ON c.document_id = d.id GROUP BY d.id ORDER BY d.source"
        )
        return [DocumentStats(**r) for r in _named(rows)]

    def sample_texts(self, limit: int) -> list[tuple[str, str]]:
        """(source, text) of up to `limit` chunks, taking each document's chunks in turn in file order."""
        rows = self.db.execute(
            "SELECT source, text FROM (SELECT d.source, c.text, "
            "row_number() OVER (PARTITION BY c.document_id ORDER BY c.start) AS n "
            "FROM chunks c JOIN documents d ON d.id = c.document_id) ORDER BY n, source LIMIT ?",
            (limit,),
        )
        return [(row[0], row[1]) for row in rows]

    def texts(self) -> list[str]:
        """The text of every chunk, by chunk id."""
        return [row[0] for row in self.db.execute("SELECT text FROM chunks ORDER BY id")]

    def homes(self, texts: Sequence[str]) -> dict[str, Homes]:
        """Where each of `texts` that some chunk holds is: its first chunk and the sources that hold it."""
        found: dict[str, Homes] = {}
        wanted = set(texts)
        query = (
            "SELECT c.id, c.text, d.source FROM chunks c JOIN documents d ON d.id = c.document_id "
            f"WHERE substr(c.text, 1, {PREFIX}) IN ({{heads}}) ORDER BY c.id"
        )
        for chunk_id, text, source in _by_heads(self.db, texts, query):
            if text in wanted:
                home = found.setdefault(text, Homes(chunk_id, []))
                if source not in home.sources:
                    home.sources.append(source)
        return found

    def firsts(self, texts: Sequence[str]) -> dict[str, int]:
        """The first chunk id (the one that holds the vectors) of each of `texts` found as a chunk."""
        return first_chunks(self.db, texts)

    def chunk_texts(self, sources: Sequence[str]) -> list[tuple[int, str]]:
        """(chunk id, text) of every chunk of `sources`."""
        found: list[tuple[int, str]] = []
        for begin in range(0, len(sources), MAX_PARAMETERS):
            part = sources[begin : begin + MAX_PARAMETERS]
            found += self.db.execute(
                "SELECT c.id, c.text FROM chunks c JOIN documents d ON d.id = c.document_id "
                f"WHERE d.source IN ({','.join('?' * len(part))})",
                part,
            ).fetchall()
        return found

    def close(self) -> None:
        self.db.close()


def _has_column(db: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in db.execute(f"PRAGMA table_info({table})"))


def read_documents(folder: Path, index: Path) -> dict[str, DocumentRow]:
    """The documents the version in `folder` records, by source."""
    try:
        catalog = Catalog(folder / CATALOG)
        try:
            return catalog.documents()
        finally:
            catalog.close()
    except sqlite3.Error as exc:
        raise IndexCorruptError(f"catalog of the index at {index} is unreadable ({exc}); {REBUILD}") from exc


class CatalogWriter:
    """The catalog of a version being built: a copy of the base version's, or a new one."""

    def __init__(self, path: Path, new: bool) -> None:
        with catalog_writes():
            # Opened by the build's thread and written by its writer thread, one at a time.
            self.db = sqlite3.connect(path, check_same_thread=False)
            if new:
                self.db.executescript(SCHEMA)
            elif not _has_column(self.db, "documents", "indexed_at"):
                self.db.execute("ALTER TABLE documents ADD COLUMN indexed_at TEXT NOT NULL DEFAULT ''")
            self.db.execute(TEXT_INDEX)  # also in a catalog copied from a version built before it
            self.db.execute("PRAGMA journal_mode=DELETE")
            self.db.execute("PRAGMA synchronous=FULL")

    def remove_documents(self, sources: Sequence[str]) -> list[int]:
        """Delete documents, their chunks and boxes; returns the chunk ids removed."""
        removed: list[int] = []
        with catalog_writes():
            for source in sources:
                row = self.db.execute("SELECT id FROM documents WHERE source = ?", (source,)).fetchone()
                if row is None:
                    continue
                removed += [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE document_id = ?", row)]
                for table, key in (("chunks", "document_id"), ("boxes", "document_id"), ("documents", "id")):
                    self.db.execute(f"DELETE FROM {table} WHERE {key} = ?", row)
        return removed

    def add_document(
        self, doc: DocumentRow, chunks: Sequence[Chunk], chunk_terms: Sequence[str], regions: Sequence[Region] = ()
    ) -> list[int]:
        """Insert a document with its chunks (and their terms for BM25) and line boxes; returns the chunk ids."""
        ids = []
        with catalog_writes():
            cur = self.db.execute(
                "INSERT INTO documents (source, sha256, size, mtime, plain, indexed_at) VALUES (?, ?, ?, ?, ?, ?)",
                (doc.source, doc.sha256, doc.size, doc.mtime, int(doc.plain), now_iso()),
            )
            document_id = cur.lastrowid
            for chunk, chunk_term in zip(chunks, chunk_terms):
                s = chunk.span
                cur = self.db.execute(
                    'INSERT INTO chunks (document_id, start, "end", line_start, line_end, page, text, terms) '
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (document_id, s.start, s.end, s.line_start, s.line_end, s.page, chunk.text, chunk_term),
                )
                ids.append(int(cur.lastrowid))  # type: ignore[arg-type]
            self.db.executemany(
                'INSERT INTO boxes (document_id, start, "end", page, x0, y0, x1, y1) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                [(document_id, r.start, r.end, r.box.page, r.box.x0, r.box.y0, r.box.x1, r.box.y1) for r in regions],
            )
        return ids

    def touch_document(self, doc: DocumentRow) -> None:
        """Record a new mtime for a file whose content did not change."""
        with catalog_writes():
            self.db.execute(
                "UPDATE documents SET mtime = ?, size = ? WHERE source = ?", (doc.mtime, doc.size, doc.source)
            )

    def counts(self) -> tuple[int, int]:
        """Documents and chunks."""
        with catalog_writes():
            docs = self.db.execute("SELECT count(*) FROM documents").fetchone()[0]
            chunks = self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return docs, chunks

    def chunk_ids(self) -> list[int]:
        with catalog_writes():
            return [row[0] for row in self.db.execute("SELECT id FROM chunks ORDER BY id")]

    def first_ids(self) -> list[int]:
        """The lowest chunk id of each distinct chunk text, ascending: the ids the vector indexes hold."""
        with catalog_writes():
            return sorted(row[0] for row in self.db.execute("SELECT min(id) FROM chunks GROUP BY text"))

    def texts_of(self, ids: Sequence[int]) -> list[str]:
        """The texts of chunks `ids`, in that order."""
        found: dict[int, str] = {}
        with catalog_writes():
            for begin in range(0, len(ids), MAX_PARAMETERS):
                part = list(ids[begin : begin + MAX_PARAMETERS])
                found.update(
                    self.db.execute(f"SELECT id, text FROM chunks WHERE id IN ({','.join('?' * len(part))})", part)
                )
        return [found[i] for i in ids]

    def finish(self) -> None:
        """Commit, compact when an update freed enough pages, and close."""
        with catalog_writes():
            self.db.commit()
            free = self.db.execute("PRAGMA freelist_count").fetchone()[0]
            if free > VACUUM_SHARE * self.db.execute("PRAGMA page_count").fetchone()[0]:
                self.db.execute("VACUUM")
            self.db.close()

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass


@contextmanager
def catalog_writes() -> Iterator[None]:
    """Report SQLite's write failures as OSError with an errno, like every other write of a build."""
    try:
        yield
    except sqlite3.Error as exc:
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        raise OSError(SQLITE_ERRNO.get(code, errno.EIO), f"cannot write the catalog ({exc})") from exc


def first_chunks(db: sqlite3.Connection, texts: Sequence[str]) -> dict[str, int]:
    """The lowest chunk id holding each of `texts`, for those some chunk holds."""
    wanted = set(texts)
    query = f"SELECT text, min(id) FROM chunks WHERE substr(text, 1, {PREFIX}) IN ({{heads}}) GROUP BY text"
    return {text: chunk_id for text, chunk_id in _by_heads(db, texts, query) if text in wanted}


def _by_heads(db: sqlite3.Connection, texts: Sequence[str], query: str) -> Iterator[tuple[Any, ...]]:
    """The rows of `query` for the chunks whose text begins as one of `texts` does ("{heads}" in it: the
    placeholders of their first PREFIX characters), a batch of them at a time; all the chunks of one text come
    in the same batch."""
    heads = sorted({t[:PREFIX] for t in texts})
    for begin in range(0, len(heads), MAX_PARAMETERS):
        part = heads[begin : begin + MAX_PARAMETERS]
        yield from db.execute(query.format(heads=",".join("?" * len(part))), part)


def _named(cursor: sqlite3.Cursor) -> Iterator[dict[str, Any]]:
    """The rows of a query as dicts by column name."""
    names = [column[0] for column in cursor.description]
    for row in cursor:
        yield dict(zip(names, row))
