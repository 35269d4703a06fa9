"""`qa index`: bring the index in line with the corpus, embedding only what changed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from qa import store, vectors
from qa.chunking import chunk_document, make_splitter, split_sentences
from qa.config import Settings
from qa.embedding import Choice, get_embedder, load_tokenizer, model_path, resolve
from qa.errors import CorpusError, QAError
from qa.files import sha256_bytes, sha256_file
from qa.fingerprint import model_fingerprint
from qa.loaders import SourceFile, load, scan
from qa.sparse import Sparse, terms
from qa.types import BuildReport, Chunk, Region, Skipped

Progress = Callable[..., None]  # progress(done, total, stage): stage "ocr" counts pages of a scan, "embedding" chunks


@dataclass(frozen=True)
class Loaded:
    """A file read and chunked, ready for the writer."""

    row: store.DocumentRow
    chunks: list[Chunk]
    regions: tuple[Region, ...] = ()


Embedded = tuple[np.ndarray, np.ndarray]  # a chunk's vector and its sentences' vectors


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
    noted: list[Skipped] = field(default_factory=list)  # the base build's notes on files unchanged since

    @property
    def failed(self) -> list[str]:
        """Files the base build could not read, unchanged since: reported again, not retried."""
        return [] if self.full else [s.source for s in self.noted if not s.partial]


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
    manifest = None
    if base is not None:
        manifest = store.read_manifest(base)
        older = manifest.format < store.FORMAT_VERSION  # an older format is rebuilt, not refused
        store.check_compatible(
            replace(manifest, format=store.FORMAT_VERSION) if older else manifest, settings.model_name, settings.index
        )
        if not older and _same_settings(manifest, settings, resolve(settings).precision):
            known = _documents(base / store.CATALOG, settings.index)
        else:
            full = True
    hashes: dict[str, str] = {}
    added, changed, unchanged = [], [], []
    for file in files:
        try:
            hashes[file.source] = sha256_file(file.path)
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
    work = Plan(
        added,
        changed,
        removed,
        unchanged,
        hashes,
        skipped,
        base,
        full,
        _noted(manifest, hashes) if manifest is not None else [],
    )
    failed = set(work.failed)
    skipped += [s for s in work.noted if s.source in failed]
    return replace(
        work, added=[f for f in added if f.source not in failed], changed=[f for f in changed if f.source not in failed]
    )


def _noted(manifest: store.Manifest, hashes: dict[str, str]) -> list[Skipped]:
    """What the base version's build noted (failures, partial reads) about files whose content has not changed."""
    found = []
    for entry in manifest.skipped:
        if not isinstance(entry, dict) or not isinstance(entry.get("source"), str):
            continue
        if entry.get("sha256") and entry.get("sha256") == hashes.get(entry["source"]):
            found.append(Skipped(entry["source"], str(entry.get("reason", "")), bool(entry.get("partial", False))))
    return found


def _documents(catalog: Path, index: Path) -> dict[str, store.DocumentRow]:
    import sqlite3

    try:
        db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT source, sha256, size, mtime, plain FROM documents").fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise store.IndexCorruptError(
            f"catalog of the index at {index} is unreadable ({exc}); {store.REBUILD}"
        ) from exc
    return {r[0]: store.DocumentRow(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows}


def build(settings: Settings, rebuild: bool = False, progress: Progress | None = None) -> BuildReport:
    """Index the corpus incrementally; a failure leaves the previous index in service.

    Nothing heavy is imported unless something changed. When something did, work overlaps: the model loads
    in a thread while files are read and chunked (chunking needs only the Rust tokenizer), and a writer
    thread fills the new version's catalog and BM25 index while the main thread embeds. A chunk text that
    already has a vector (a duplicate, an unchanged passage of an edited file, a renamed file) is not
    embedded again.
    """
    started = time.perf_counter()
    with store.build_lock(settings.index):
        work = plan(settings, rebuild)
        to_load = work.added + work.changed
        if not work.full and not to_load and not work.removed:
            return _report(work, [], [], 0, started, wrote=False, settings=settings)
        if work.full and not to_load:
            raise CorpusError(_empty_message(settings, work.skipped))
        model = _Background(get_embedder, settings) if to_load else None
        try:
            return _build(settings, work, to_load, model, progress, started)
        finally:
            if model is not None:
                model.wait()  # an import still running when the interpreter exits can crash it


def _build(
    settings: Settings, work: Plan, to_load: list[SourceFile], model: Any, progress: Progress | None, started: float
) -> BuildReport:
    splitter = make_splitter(load_tokenizer(model_path(settings)), settings)
    loaded, skipped, kept = _load_all(to_load, settings, splitter, progress)
    if work.full and not loaded:
        raise CorpusError(_empty_message(settings, work.skipped + skipped))
    texts = [c.text for item in loaded for c in item.chunks]
    writer = _Writer(settings, work, loaded, kept, resolve(settings), skipped)
    try:
        known = writer.reusable.result()
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        found = dict(known)
        if todo:
            embedder = model.result()
            spans = [split_sentences(t) for t in todo]
            matrix, rows = embedder.encode_passages(
                todo, spans, batch_size=settings.batch_size, progress=writer.watch(progress)
            )
            ends = np.cumsum([len(s) for s in spans])
            found.update((t, (v, rows[e - len(s) : e])) for t, v, s, e in zip(todo, matrix, spans, ends))
            writer.dimension = embedder.dimension
        writer.vectors.set_result(_in_order(texts, found))
    except BaseException as exc:
        writer.vectors.set_exception(exc)
        failure = writer.wait()
        if isinstance(exc, _WriterFailed) and failure is not None:
            raise failure from None
        raise
    folder = writer.join()
    store.prune(settings.index, keep=[folder.name] + ([work.base.name] if work.base else []))
    return _report(work, loaded, skipped, len(todo), started, wrote=True, settings=settings)


def _in_order(texts: list[str], found: dict[str, Embedded]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The chunk vectors, their sentence vectors one after another, and each chunk's count of sentences."""
    if not texts:
        return None
    matrix = np.stack([found[t][0] for t in texts]).astype(np.float32, copy=False)
    sentences = np.concatenate([found[t][1] for t in texts])
    return matrix, sentences, np.array([len(found[t][1]) for t in texts], dtype=np.int64)


class _Background:
    """Runs `fn(*args)` in a thread from now on; `result()` waits for it and re-raises what it raised."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._future: Future[Any] = Future()
        thread = threading.Thread(target=self._run, args=(fn, args), name=f"qa-{fn.__name__}", daemon=True)
        thread.start()

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            self._future.set_result(fn(*args))
        except BaseException as exc:
            self._future.set_exception(exc)

    def result(self) -> Any:
        return self._future.result()

    def wait(self) -> None:
        self._future.exception()


class _WriterFailed(Exception):
    """Raised inside the embedding loop to stop it once the writer thread has failed."""


class _Writer:
    """Writes the next version in a thread of its own (a SQLite connection belongs to its thread).

    It first offers the base version's vectors that may be reused (`reusable`), then fills the catalog and
    the BM25 index while the caller embeds, then waits for `vectors` (one row per new chunk) and commits.
    """

    def __init__(
        self,
        settings: Settings,
        work: Plan,
        loaded: list[Loaded],
        kept: set[str],
        choice: Choice,
        skipped: list[Skipped],
    ) -> None:
        self.settings, self.work, self.loaded, self.kept, self.choice = settings, work, loaded, kept, choice
        self.skipped = skipped
        self.reusable: Future[dict[str, Embedded]] = Future()
        self.vectors: Future[tuple[np.ndarray, np.ndarray, np.ndarray] | None] = Future()
        self.dimension: int | None = None
        self._done: Future[Path] = Future()
        self._thread = threading.Thread(target=self._run, name="qa-index-writer", daemon=True)
        self._thread.start()

    def watch(self, progress: Progress | None) -> Progress:
        """A progress callback that also stops the embedding as soon as the writer has failed."""

        def report(done: int, total: int) -> None:
            if self._done.done():
                raise _WriterFailed()
            if progress:
                progress(done, total, stage="embedding")

        return report

    def join(self) -> Path:
        """The committed version's folder; raises what made the writer fail."""
        self._thread.join()
        return self._done.result()

    def wait(self) -> BaseException | None:
        """Wait for the thread to end; what made it fail, if anything."""
        self._thread.join()
        return self._done.exception()

    def _run(self) -> None:
        try:
            self._done.set_result(self._write())
        except OSError as exc:
            self._fail(store.write_error(self.settings.index, exc))
        except BaseException as exc:
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        if not self.reusable.done():
            self.reusable.set_exception(exc)
        self._done.set_exception(exc)

    def _write(self) -> Path:
        import faiss

        settings, work = self.settings, self.work
        base = None if work.full else work.base
        writer = store.VersionWriter(settings.index, base)  # checks the base version's files first
        try:
            replaced = [f.source for f in work.changed if f.source not in self.kept] + work.removed
            base_vectors = faiss.read_index(str(base / store.VECTORS)) if base else None
            base_sentences = vectors.SentenceVectors.load(base / store.SENTENCES) if base else None
            self.reusable.set_result(
                _reusable(base, base_vectors, base_sentences, replaced) if base and base_sentences else {}
            )
            removed_ids = writer.remove_documents(replaced) if base else []
            new_ids: list[int] = []
            new_terms: list[list[str]] = []
            for item in self.loaded:
                chunk_terms = [terms(c.text) for c in item.chunks]
                new_ids += writer.add_document(item.row, item.chunks, [" ".join(t) for t in chunk_terms], item.regions)
                new_terms += chunk_terms
            documents, total = writer.counts()
            lexical = Sparse.load(base / store.SPARSE) if base else Sparse.empty()
            writer.write_sparse(lexical.updated(removed_ids, new_ids, new_terms))
            embedded = self.vectors.result()
            dimension = self.dimension or (base_vectors.d if base_vectors is not None else 0)
            if embedded is None:
                embedded = (
                    np.zeros((0, dimension), np.float32),
                    np.zeros((0, dimension), np.float32),
                    np.zeros(0, np.int64),
                )
            matrix, sentence_rows, counts = embedded
            fresh = vectors.SentenceVectors.quantize(np.repeat(np.asarray(new_ids, np.int64), counts), sentence_rows)
            kept = base_sentences.without(removed_ids) if base_sentences is not None else None
            sentences = kept.plus(fresh) if kept is not None else fresh
            writer.write_sentences(sentences)
            factory, params = vectors.choose_factory(settings.index_factory, total, settings.approximate_above)
            index = vectors.updated(base_vectors, dimension, factory, removed_ids, new_ids, matrix)
            writer.write_vectors(index)
            manifest = store.Manifest(
                format=store.FORMAT_VERSION,
                model=settings.model_name,
                dimension=dimension,
                precision=self.choice.precision,
                backend=self.choice.backend,
                device=self.choice.device,
                chunk_tokens=settings.chunk_tokens,
                chunk_overlap=settings.chunk_overlap,
                factory=factory,
                search_params=params,
                documents=documents,
                chunks=total,
                built_at=store.now_iso(),
                corpus=str(settings.corpus.resolve()),
                model_sha256=model_fingerprint(model_path(settings)),
                skipped=_recorded_skips(base, work, self.skipped),
                sentences=len(sentences),
            )
            return writer.commit(manifest)
        except BaseException:
            writer.abort()
            raise


def _recorded_skips(base: Path | None, work: Plan, skipped: list[Skipped]) -> list[dict[str, Any]]:
    """The files this build could not read, or read in part, and what the base version noted about unchanged files."""
    unchanged = {f.source for f in work.unchanged} | set(work.failed)
    earlier = store.read_manifest(base).skipped if base else []
    carried = [e for e in earlier if isinstance(e, dict) and e.get("source") in unchanged]
    fresh = [
        {"source": s.source, "reason": s.reason, "partial": s.partial, "sha256": work.hashes.get(s.source, "")}
        for s in skipped
    ]
    return sorted(carried + fresh, key=lambda e: str(e["source"]))


def _reusable(base: Path, index: Any, sentences: vectors.SentenceVectors, sources: list[str]) -> dict[str, Embedded]:
    """Vectors of the base version's chunks of `sources` and of their sentences, by text: an edited file
    keeps those of its unchanged passages, a renamed one all of them."""
    import sqlite3

    if not sources:
        return {}
    rows: list[tuple[int, str]] = []
    db = sqlite3.connect(f"file:{base / store.CATALOG}?mode=ro", uri=True)
    try:
        for begin in range(0, len(sources), 500):  # SQLite caps the parameters of one statement
            part = sources[begin : begin + 500]
            rows += db.execute(
                "SELECT c.id, c.text FROM chunks c JOIN documents d ON d.id = c.document_id "
                f"WHERE d.source IN ({','.join('?' * len(part))})",
                part,
            ).fetchall()
    finally:
        db.close()
    found = vectors.reconstruct(index, [r[0] for r in rows])
    return {text: (vector, sentences.of(chunk_id).astype(np.float16)) for (chunk_id, text), vector in zip(rows, found)}


def _empty_message(settings: Settings, skipped: list[Skipped]) -> str:
    reason = f" ({len(skipped)} file(s) skipped: {skipped[0].source}: {skipped[0].reason})" if skipped else ""
    return (
        f"corpus {settings.corpus} has no documents to index{reason}; add .txt, .md, .rst, .html, .pdf or .docx files"
    )


def _load_all(
    files: list[SourceFile], settings: Settings, splitter: object, progress: Progress | None = None
) -> tuple[list[Loaded], list[Skipped], set[str]]:
    """Parsed and chunked documents, files skipped, and sources whose previous version is kept."""
    loaded, skipped, kept = [], [], set()
    for file in files:
        pages = partial(progress, stage="ocr", source=file.source) if progress else None
        try:
            data = file.path.read_bytes()
            document, note = load(file, data, settings, pages)
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
        loaded.append(Loaded(row, chunks, document.regions))
    return loaded, skipped, kept


def _report(
    work: Plan,
    loaded: list[Loaded],
    skipped: list[Skipped],
    embedded: int,
    started: float,
    wrote: bool,
    settings: Settings,
) -> BuildReport:
    done = {item.row.source for item in loaded}
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
