"""`qa index`: bring the index in line with the corpus, embedding only what changed."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from qa.chunking import chunk_document, make_splitter
from qa.config import Settings
from qa.embedding import get_embedder, model_path, resolve_precision
from qa.errors import CorpusError, QAError
from qa.loaders import SourceFile, load, scan
from qa.sparse import Sparse, terms
from qa import store, vectors
from qa.types import BuildReport, Chunk, Skipped

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Plan:
    """What differs between the corpus and the index."""

    added: list[SourceFile]
    changed: list[SourceFile]
    removed: list[str]
    unchanged: list[SourceFile]
    hashes: dict[str, str]
    skipped: list[Skipped]
    base: Path | None
    full: bool


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _same_settings(manifest: store.Manifest, settings: Settings, precision: str) -> bool:
    return (manifest.chunk_tokens, manifest.chunk_overlap, manifest.precision) == (
        settings.chunk_tokens,
        settings.chunk_overlap,
        precision,
    )


def plan(settings: Settings, rebuild: bool = False) -> Plan:
    """Compare the corpus with the current index by content hash; reads files but embeds nothing."""
    files, skipped = scan(settings.corpus, settings)
    base = None if rebuild else store.current_folder(settings.index)
    known: dict[str, store.DocumentRow] = {}
    full = base is None
    if base is not None:
        manifest = store.read_manifest(base)
        store.check_compatible(manifest, settings.model_name, settings.index)
        if _same_settings(manifest, settings, resolve_precision(settings.precision)):
            known = _documents(base / store.CATALOG, settings.index)
        else:
            full = True
    hashes: dict[str, str] = {}
    added, changed, unchanged = [], [], []
    for file in files:
        try:
            hashes[file.source] = store.sha256_file(file.path)
        except OSError as exc:
            skipped.append(Skipped(file.source, f"cannot read: {exc.strerror}; check its permissions"))
            continue
        row = known.get(file.source)
        if row is None:
            added.append(file)
        elif row.sha256 != hashes[file.source]:
            changed.append(file)
        else:
            unchanged.append(file)
    present = {f.source for f in files}
    removed = sorted(s for s in known if s not in present)
    return Plan(added, changed, removed, unchanged, hashes, skipped, base, full)


def _documents(catalog: Path, index: Path) -> dict[str, store.DocumentRow]:
    import sqlite3

    try:
        db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT source, sha256, size, mtime, plain FROM documents").fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise store.IndexCorruptError(f"catalog of the index at {index} is unreadable ({exc}); {store.REBUILD}") from exc
    return {r[0]: store.DocumentRow(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows}


def build(settings: Settings, rebuild: bool = False, progress: Progress | None = None) -> BuildReport:
    """Index the corpus incrementally; a failure leaves the previous index in service."""
    started = time.perf_counter()
    with store.build_lock(settings.index):
        work = plan(settings, rebuild)
        to_load = work.added + work.changed
        if not work.full and not to_load and not work.removed:
            return _report(work, [], [], 0, started, wrote=False, settings=settings)
        if work.full and not to_load:
            raise CorpusError(_empty_message(settings, work.skipped))
        embedder = get_embedder(settings)
        splitter = make_splitter(embedder.tokenizer, settings)
        loaded, skipped, kept = _load_all(to_load, settings, splitter)
        if work.full and not loaded:
            raise CorpusError(_empty_message(settings, work.skipped + skipped))
        texts = [c.text for _, chunks in loaded for c in chunks]
        matrix = embedder.encode(texts, batch_size=settings.batch_size, progress=progress)
        try:
            folder = _write(settings, work, loaded, kept, matrix, embedder.dimension, embedder.precision)
        except OSError as exc:
            raise store.write_error(settings.index, exc) from exc
        store.prune(settings.index, keep=[folder.name] + ([work.base.name] if work.base else []))
        return _report(work, loaded, skipped, len(texts), started, wrote=True, settings=settings)


def _empty_message(settings: Settings, skipped: list[Skipped]) -> str:
    reason = f" ({len(skipped)} file(s) skipped: {skipped[0].source}: {skipped[0].reason})" if skipped else ""
    return (
        f"corpus {settings.corpus} has no documents to index{reason}; "
        "add .txt, .md, .rst, .html, .pdf or .docx files"
    )


def _load_all(
    files: list[SourceFile], settings: Settings, splitter: object
) -> tuple[list[tuple[store.DocumentRow, list[Chunk]]], list[Skipped], set[str]]:
    """Parsed and chunked documents, files skipped, and sources whose previous version is kept."""
    loaded, skipped, kept = [], [], set()
    for file in files:
        try:
            data = file.path.read_bytes()
            document, note = load(file, data, settings)
        except (QAError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            skipped.append(Skipped(file.source, reason or type(exc).__name__))
            kept.add(file.source)
            continue
        if note is not None:
            skipped.append(note)
        chunks = chunk_document(document, splitter)
        if not chunks:
            skipped.append(Skipped(file.source, "no text to index"))
            kept.add(file.source)
            continue
        row = store.DocumentRow(file.source, sha256_bytes(data), file.size, file.mtime, document.plain)
        loaded.append((row, chunks))
    return loaded, skipped, kept


def _write(
    settings: Settings,
    work: Plan,
    loaded: list[tuple[store.DocumentRow, list[Chunk]]],
    kept: set[str],
    matrix: np.ndarray,
    dimension: int,
    precision: str,
) -> Path:
    import faiss

    base = None if work.full else work.base
    writer = store.VersionWriter(settings.index, base)
    try:
        replaced = [s for s in [f.source for f in work.changed] if s not in kept] + work.removed
        removed_ids = writer.remove_documents(replaced) if base else []
        new_ids: list[int] = []
        for row, chunks in loaded:
            new_ids += writer.add_document(row, chunks, [" ".join(terms(c.text)) for c in chunks])
        documents, total = writer.counts()
        factory, params = vectors.choose_factory(settings.index_factory, total, settings.approximate_above)
        base_vectors = faiss.read_index(str(base / store.VECTORS)) if base else None
        index = vectors.updated(base_vectors, dimension, factory, removed_ids, new_ids, matrix)
        writer.write_vectors(index)
        writer.write_sparse(Sparse.build(*writer.all_terms()))
        manifest = store.Manifest(
            format=store.FORMAT_VERSION,
            model=settings.model_name,
            dimension=dimension,
            precision=precision,
            chunk_tokens=settings.chunk_tokens,
            chunk_overlap=settings.chunk_overlap,
            factory=factory,
            search_params=params,
            documents=documents,
            chunks=total,
            built_at=store.now_iso(),
            corpus=str(settings.corpus.resolve()),
        )
        return writer.commit(manifest)
    except BaseException:
        writer.abort()
        raise


def _report(
    work: Plan,
    loaded: list[tuple[store.DocumentRow, list[Chunk]]],
    skipped: list[Skipped],
    embedded: int,
    started: float,
    wrote: bool,
    settings: Settings,
) -> BuildReport:
    done = {row.source for row, _ in loaded}
    added = tuple(f.source for f in work.added if f.source in done or not wrote)
    changed = tuple(f.source for f in work.changed if f.source in done or not wrote)
    documents, chunks = 0, 0
    folder = store.current_folder(settings.index)
    if folder is not None:
        manifest = store.read_manifest(folder)
        documents, chunks = manifest.documents, manifest.chunks
    return BuildReport(
        added=added,
        changed=changed,
        removed=tuple(work.removed),
        unchanged=len(work.unchanged),
        skipped=tuple(work.skipped + skipped),
        chunks_embedded=embedded,
        chunks_total=chunks,
        documents_total=documents,
        seconds=time.perf_counter() - started,
        wrote=wrote,
    )
