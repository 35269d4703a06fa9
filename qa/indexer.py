"""`qa index`: bring the index in line with the corpus, embedding only what changed."""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa import ingest, language, multivectors, storage, vectors
from qa.chunking import make_splitter
from qa.config import Settings
from qa.embedding import Choice, get_embedder, load_tokenizer, model_path, resolve
from qa.errors import CorpusError, EncoderError, QAError
from qa.files import sha256_file
from qa.fingerprint import model_fingerprint
from qa.ingest import Embedded, Loaded
from qa.loaders import SourceFile, scan
from qa.sparse import Sparse, terms
from qa.translate import Vocabulary
from qa.types import BuildProgress, BuildReport, Skipped

if TYPE_CHECKING:
    from qa import distributed

Progress = Callable[[BuildProgress], None]


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
    multilingual: multivectors.Wanted = field(default_factory=lambda: multivectors.Wanted(""))  # asked for
    base_multilingual: str = ""  # the one whose vectors the base version holds

    @property
    def encoders_changed(self) -> bool:
        """The base version's multilingual vectors are not those the settings ask for: they are made (or dropped)
        even when no file changed; the English vectors stay."""
        return self.base is not None and self.multilingual.name != self.base_multilingual

    @property
    def failed(self) -> list[str]:
        """Files the base build could not read, unchanged since: reported again, not retried."""
        return [] if self.full else [s.source for s in self.noted if not s.partial]


def _same_settings(manifest: storage.Manifest, settings: Settings, precision: str) -> bool:
    return (manifest.chunk_tokens, manifest.chunk_overlap, manifest.precision) == (
        settings.chunk_tokens,
        settings.chunk_overlap,
        precision,
    )


def plan(settings: Settings, rebuild: bool = False) -> Plan:
    """Compare the corpus with the current index by content hash; reads files but embeds nothing."""
    files, skipped = scan(settings.corpus, settings)
    base = None if rebuild else storage.current_folder(settings.index)
    known: dict[str, storage.DocumentRow] = {}
    full = base is None
    manifest = None
    if base is not None:
        manifest = storage.read_manifest(base)
        older = manifest.format < storage.FORMAT_VERSION  # an older format is rebuilt, not refused
        storage.check_compatible(
            replace(manifest, format=storage.FORMAT_VERSION) if older else manifest, settings.model_name, settings.index
        )
        if not older and _same_settings(manifest, settings, resolve(settings).precision):
            known = storage.read_documents(base, settings.index)
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
        multivectors.wanted(settings),
        manifest.multilingual if manifest is not None else "",
    )
    failed = set(work.failed)
    skipped += [s for s in work.noted if s.source in failed]
    return replace(
        work, added=[f for f in added if f.source not in failed], changed=[f for f in changed if f.source not in failed]
    )


def _noted(manifest: storage.Manifest, hashes: dict[str, str]) -> list[Skipped]:
    """What the base version's build noted (failures, partial reads) about files whose content has not changed."""
    found = []
    for entry in manifest.skipped:
        if not isinstance(entry, dict) or not isinstance(entry.get("source"), str):
            continue
        if entry.get("sha256") and entry.get("sha256") == hashes.get(entry["source"]):
            found.append(Skipped(entry["source"], str(entry.get("reason", "")), bool(entry.get("partial", False))))
    return found


def build(settings: Settings, rebuild: bool = False, progress: Progress | None = None) -> BuildReport:
    """Index the corpus incrementally; a failure leaves the previous index in service.

    Nothing heavy is imported unless something changed. When something did, work overlaps: the model loads
    in a thread while files are read and chunked (chunking needs only the Rust tokenizer), and a writer
    thread fills the new version's catalog and BM25 index while the main thread embeds. A chunk text that
    already has a vector (a duplicate, an unchanged passage of an edited file, a renamed file) is not
    embedded again.
    """
    started = time.perf_counter()
    with storage.build_lock(settings.index):
        work = plan(settings, rebuild)
        to_load = work.added + work.changed
        if not work.full and not to_load and not work.removed and not work.encoders_changed:
            storage.discard_checkpoint(settings.index)  # what an interrupted build embedded is not needed now
            return _report(work, [], [], 0, started, False, settings)
        if work.full and not to_load:
            raise CorpusError(_empty_message(settings, work.skipped))
        if settings.ray_address:
            return _build_on_ray(settings, work, to_load, progress, started)
        model = _Background(get_embedder, settings) if to_load else None
        try:
            return _build(settings, work, to_load, model, progress, started)
        finally:
            if model is not None:
                model.wait()  # an import still running when the interpreter exits can crash it


@dataclass(frozen=True)
class Base:
    """The version an update starts from: its folder, and its vectors read once for reuse and for the update."""

    folder: Path
    vectors: Any  # the FAISS index
    sentences: vectors.SentenceVectors
    exact: vectors.ExactVectors | None  # beside a compressed index

    def of(self, chunk_ids: list[int]) -> np.ndarray:
        """The exact vectors of base chunks: the stored copy beside a compressed index, else the index's own."""
        return self.exact.get(chunk_ids) if self.exact is not None else vectors.reconstruct(self.vectors, chunk_ids)

    def all_exact(self) -> vectors.ExactVectors:
        if self.exact is not None:
            return self.exact
        return vectors.ExactVectors.of(*vectors.contents(self.vectors))


@dataclass(frozen=True)
class Fresh:
    """What the embedding thread hands the writer: one vector per new chunk, and their sentences' vectors."""

    matrix: np.ndarray  # (chunks, dimension) float32
    sentences: np.ndarray  # (sentences, dimension), the chunks' sentences one after another
    counts: np.ndarray  # sentences per chunk
    dimension: int


def _build(
    settings: Settings, work: Plan, to_load: list[SourceFile], model: Any, progress: Progress | None, started: float
) -> BuildReport:
    """Load, open the next version, embed what is new while a writer thread fills the catalog and BM25, hand the
    vectors over, and wait for the commit."""
    splitter = make_splitter(load_tokenizer(model_path(settings)), settings)
    loaded, skipped, kept = ingest.load_all(to_load, settings, splitter, progress)
    if work.full and not loaded:
        raise CorpusError(_empty_message(settings, work.skipped + skipped))
    base_folder = None if work.full else work.base
    try:
        version = storage.VersionWriter(settings.index, base_folder)  # checks the base version's files first
    except OSError as exc:
        raise storage.write_error(settings.index, exc) from exc
    try:
        base = _open_base(base_folder)
        replaced = [f.source for f in work.changed if f.source not in kept] + work.removed
        known = _reusable(base, replaced) if base else {}
        writer = _Writer(version, _Job(settings, work, base, replaced, loaded, resolve(settings), skipped))
    except BaseException as exc:
        version.abort()
        if isinstance(exc, OSError):
            raise storage.write_error(settings.index, exc) from exc
        raise
    texts = [c.text for item in loaded for c in item.chunks]
    try:
        checkpoint = storage.Checkpoint(settings.index, _recipe(settings))
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        resumed = checkpoint.take(todo)
        todo = [t for t in todo if t not in resumed]
        ends = _file_ends(loaded, todo)
        found = {**known, **resumed, **_embed(todo, model, settings, writer, progress, checkpoint, ends)}
        writer.hand_over(_fresh(texts, found, _width(found, base)))
    except BaseException as exc:
        writer.hand_over_failure(exc)
        writer.wait()  # it removes its scratch folder before the failure goes up
        raise
    notes = _commit(settings, work, writer, checkpoint)
    return _report(work, loaded, skipped, len(todo), started, True, settings, len(resumed), notes, known)


def _build_on_ray(
    settings: Settings, work: Plan, to_load: list[SourceFile], progress: Progress | None, started: float
) -> BuildReport:
    """The files read, chunked and embedded by a Ray job, streamed into the checkpoint as they arrive; then the one
    writer here writes the version as after a local build."""
    from qa import distributed

    cluster = distributed.connect(settings)
    workers = distributed.workers_for(settings, cluster)
    base_folder = None if work.full else work.base
    try:
        version = storage.VersionWriter(settings.index, base_folder)
    except OSError as exc:
        raise storage.write_error(settings.index, exc) from exc
    try:
        base = _open_base(base_folder)
        known = _reusable(base, [f.source for f in work.changed] + work.removed) if base else {}
        checkpoint = storage.Checkpoint(settings.index, _recipe(settings))
        skip = {storage.text_key(t) for t in known} | checkpoint.keys()
        tally = _RayTally(progress, len(to_load), checkpoint)
        results = sorted(map(tally, distributed.run(settings, to_load, skip, workers)), key=lambda r: r.index)
        loaded = [r.loaded for r in results if r.loaded is not None]
        skipped = [note for r in results for note in r.notes]
        if work.full and not loaded:
            raise CorpusError(_empty_message(settings, work.skipped + skipped))
        kept = {to_load[r.index].source for r in results if r.loaded is None}
        texts = [c.text for item in loaded for c in item.chunks]
        found = {**known, **tally.embedded}
        resumed = checkpoint.take(t for t in dict.fromkeys(texts) if t not in found)
        found.update(resumed)
        if any(t not in found for t in texts):
            raise QAError("a checkpoint part was damaged while the Ray job ran; run qa index again to embed the rest")
        replaced = [f.source for f in work.changed if f.source not in kept] + work.removed
        job = _Job(settings, work, base, replaced, loaded, resolve(settings), skipped, "ray", workers, cluster.nodes)
        writer = _Writer(version, job)
        writer.hand_over(_fresh(texts, found, _width(found, base)))
    except BaseException as exc:
        version.abort()
        if isinstance(exc, OSError):
            raise storage.write_error(settings.index, exc) from exc
        raise
    notes = _commit(settings, work, writer, checkpoint)
    return _report(work, loaded, skipped, len(tally.embedded), started, True, settings, len(resumed), notes, known)


def _commit(settings: Settings, work: Plan, writer: _Writer, checkpoint: storage.Checkpoint) -> tuple[str, ...]:
    """Wait for the writer's commit, then drop the checkpoint and the superseded versions; the build's notes."""
    folder = writer.join()
    checkpoint.discard()
    storage.prune(settings.index, keep=[folder.name] + ([work.base.name] if work.base else []))
    return ((checkpoint.note,) if checkpoint.note else ()) + tuple(writer.job.notes)


class _RayTally:
    """Takes each file's result from the Ray job: keeps its vectors in the checkpoint, and reports progress."""

    def __init__(self, progress: Progress | None, files: int, checkpoint: storage.Checkpoint) -> None:
        self.progress, self.files, self.checkpoint = progress, files, checkpoint
        self.embedded: dict[str, Embedded] = {}
        self.done = 0

    def __call__(self, result: distributed.Result) -> distributed.Result:
        fresh = {t: e for t, e in result.embedded.items() if t not in self.embedded}
        if fresh:
            texts = list(fresh)
            self.checkpoint.save(texts, np.stack([fresh[t][0] for t in texts]), [fresh[t][1] for t in texts])
            self.embedded.update(fresh)
        self.done += 1
        if self.progress is not None:
            self.progress(BuildProgress("ray", self.done, self.files, chunks_done=len(self.embedded)))
        return result


def _recipe(settings: Settings) -> storage.Recipe:
    choice = resolve(settings)
    return storage.Recipe(
        settings.model_name,
        model_fingerprint(model_path(settings)),
        choice.precision,
        choice.backend,
        settings.chunk_tokens,
        settings.chunk_overlap,
    )


def _open_base(folder: Path | None) -> Base | None:
    if folder is None:
        return None
    return Base(folder, storage.read_vectors(folder), storage.read_sentences(folder), storage.read_exact(folder))


def _dimension(base: Base | None) -> int:
    return int(base.vectors.d) if base is not None else 0


def _width(found: dict[str, Embedded], base: Base | None) -> int:
    """The vectors' dimension, from those at hand or else from the base version."""
    return len(next(iter(found.values()))[0]) if found else _dimension(base)


def _embed(
    todo: list[str],
    model: Any,
    settings: Settings,
    writer: _Writer,
    progress: Progress | None,
    checkpoint: storage.Checkpoint,
    file_ends: list[int],
) -> dict[str, Embedded]:
    """Vectors of `todo` and their sentences, a slice at a time, each slice kept in the checkpoint; stops as soon
    as the writer has failed."""
    found: dict[str, Embedded] = {}
    if not todo:
        return found
    embedder = model.result()
    step = max(1, settings.checkpoint_every)
    for begin in range(0, len(todo), step):
        writer.raise_if_failed()
        part = todo[begin : begin + step]
        report = partial(_embedding_progress, progress, begin, len(todo), file_ends) if progress else None
        matrix, embedded = ingest.embed(embedder, part, settings.batch_size, report)
        checkpoint.save(part, matrix, embedded)
        found.update((t, (v, r)) for t, v, r in zip(part, matrix, embedded))
    return found


def _embedding_progress(progress: Progress, offset: int, total: int, file_ends: list[int], done: int, _: int) -> None:
    files = bisect.bisect_right(file_ends, offset + done)
    progress(BuildProgress("embedding", offset + done, total, files_done=files, files_total=len(file_ends)))


def _file_ends(loaded: list[Loaded], todo: list[str]) -> list[int]:
    """For each file, how many of `todo` must be embedded before all of its chunks are: sorted, for bisect."""
    position = {t: i for i, t in enumerate(todo)}
    return sorted(max((position[c.text] + 1 for c in item.chunks if c.text in position), default=0) for item in loaded)


def _fresh(texts: list[str], found: dict[str, Embedded], dimension: int) -> Fresh:
    """The vectors of the new chunks in their order, from what was embedded now or reused."""
    if not texts:
        empty = np.zeros((0, dimension), np.float32)
        return Fresh(empty, empty, np.zeros(0, np.int64), dimension)
    matrix = np.stack([found[t][0] for t in texts]).astype(np.float32, copy=False)
    sentences = np.concatenate([found[t][1] for t in texts])
    counts = np.array([len(found[t][1]) for t in texts], dtype=np.int64)
    return Fresh(matrix, sentences, counts, dimension)


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


@dataclass(frozen=True)
class _Job:
    """Everything the writer needs besides the vectors."""

    settings: Settings
    work: Plan
    base: Base | None
    replaced: list[str]  # sources whose rows in the base version go
    loaded: list[Loaded]
    choice: Choice
    skipped: list[Skipped]
    builder: str = ""  # "ray" when a Ray job read and embedded the files
    workers: int = 0
    nodes: int = 0
    notes: list[str] = field(default_factory=list)  # what the writer could not do, for the build's report


class _Writer:
    """Writes the next version in a thread of its own, so the catalog and BM25 fill while the caller embeds.

    The one hand-off: the caller passes the new vectors (`hand_over`) or its failure (`hand_over_failure`);
    the writer then writes the vectors and the manifest and commits. `join` returns the committed folder.
    """

    def __init__(self, version: storage.VersionWriter, job: _Job) -> None:
        self.version, self.job = version, job
        self._fresh: Future[Fresh] = Future()
        self._done: Future[Path] = Future()
        self._thread = threading.Thread(target=self._run, name="qa-index-writer", daemon=True)
        self._thread.start()

    def hand_over(self, fresh: Fresh) -> None:
        self._fresh.set_result(fresh)

    def hand_over_failure(self, exc: BaseException) -> None:
        self._fresh.set_exception(exc)

    def raise_if_failed(self) -> None:
        """Stop the caller early: the writer's failure, once it has failed."""
        failure = self._done.exception() if self._done.done() else None
        if failure is not None:
            raise failure

    def wait(self) -> None:
        self._thread.join()

    def join(self) -> Path:
        """The committed version's folder; raises what made the writer fail."""
        self._thread.join()
        return self._done.result()

    def _run(self) -> None:
        try:
            self._done.set_result(_write(self.version, self.job, self._fresh))
        except OSError as exc:
            self._done.set_exception(storage.write_error(self.job.settings.index, exc))
        except BaseException as exc:
            self._done.set_exception(exc)


def _write(version: storage.VersionWriter, job: _Job, fresh: Future[Fresh]) -> Path:
    """Catalog, BM25, then (once the vectors arrive) sentence vectors, FAISS and the manifest; then commit."""
    try:
        removed, added, added_terms = _write_catalog(version, job)
        documents, total = version.counts()
        version.write_sparse(_sparse(job.base, removed, added, added_terms))
        vectors_in = fresh.result()
        multilingual = _multilingual(version, job, removed)  # after the English model: at once they took as long
        sentences = _sentences(job.base, removed, added, vectors_in)
        version.write_sentences(sentences)
        dimension = vectors_in.dimension or _dimension(job.base)
        factory, params = vectors.choose_factory(
            job.settings.index_factory, total, job.settings.approximate_above, job.settings.compress_above, dimension
        )
        base_index = job.base.vectors if job.base else None
        keeps_exact = vectors.compressed(factory)
        exact = _exact(job.base, removed, added, vectors_in) if keeps_exact or (job.base and job.base.exact) else None
        index = vectors.updated(base_index, dimension, factory, removed, added, vectors_in.matrix, exact)
        version.write_vectors(index)
        if keeps_exact and exact is not None:
            version.write_exact(exact)
        manifest = _manifest(job, dimension, factory, params, documents, total, len(sentences))
        return version.commit(replace(manifest, multilingual=multilingual, languages=_languages(version)))
    except BaseException:
        version.abort()
        raise


def _multilingual(version: storage.VersionWriter, job: _Job, removed: list[int]) -> str:
    """Write the multilingual vectors the settings ask for, reusing the base version's; the encoder's name, or ""
    when there are none (not asked for, or its model cannot load: then the build's report says why)."""
    name = job.work.multilingual.name
    if job.work.multilingual.problem:
        job.notes.append(job.work.multilingual.problem)
    if not name:
        return ""
    reusable = job.base is not None and job.work.base_multilingual == name
    base = storage.read_multilingual(job.base.folder) if job.base is not None and reusable else None
    words = storage.read_words(job.base.folder) if job.base is not None and reusable else None
    try:
        version.write_multilingual(multivectors.updated(base, removed, version))
        table = multivectors.vocabulary(Vocabulary(tuple(words[0]), words[1]) if words else None, version)
        version.write_words(table.words, table.vectors)
    except EncoderError as exc:
        job.notes.append(f"{exc}; questions in other languages than the documents are refused")
        return ""
    return name


def _languages(version: storage.VersionWriter) -> dict[str, float]:
    ids = version.chunk_ids()
    sample = ids[:: max(1, len(ids) // language.SAMPLE)]
    return language.languages(version.texts_of(sample))


def _write_catalog(version: storage.VersionWriter, job: _Job) -> tuple[list[int], list[int], list[list[str]]]:
    """Drop the replaced documents and add the loaded ones: the chunk ids removed, added, and the added terms."""
    removed = version.remove_documents(job.replaced) if job.base else []
    added: list[int] = []
    added_terms: list[list[str]] = []
    for item in job.loaded:
        chunk_terms = [terms(c.text) for c in item.chunks]
        added += version.add_document(item.row, item.chunks, [" ".join(t) for t in chunk_terms], item.regions)
        added_terms += chunk_terms
    return removed, added, added_terms


def _exact(base: Base | None, removed: list[int], added: list[int], fresh: Fresh) -> vectors.ExactVectors:
    """The exact vectors of the new version, kept beside its compressed index."""
    if base is None:
        return vectors.ExactVectors.of(np.asarray(added, np.int64), fresh.matrix)
    return base.all_exact().updated(removed, added, fresh.matrix)


def _sparse(base: Base | None, removed: list[int], added: list[int], added_terms: list[list[str]]) -> Sparse:
    lexical = storage.read_sparse(base.folder) if base else Sparse.empty()
    return lexical.updated(removed, added, added_terms)


def _sentences(base: Base | None, removed: list[int], added: list[int], fresh: Fresh) -> vectors.SentenceVectors:
    owners = np.repeat(np.asarray(added, np.int64), fresh.counts)
    new = vectors.SentenceVectors.quantize(owners, fresh.sentences)
    return base.sentences.without(removed).plus(new) if base else new


def _manifest(
    job: _Job, dimension: int, factory: str, params: str, documents: int, total: int, sentences: int
) -> storage.Manifest:
    settings = job.settings
    return storage.Manifest(
        format=storage.FORMAT_VERSION,
        model=settings.model_name,
        dimension=dimension,
        precision=job.choice.precision,
        backend=job.choice.backend,
        device=job.choice.device,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        factory=factory,
        search_params=params,
        documents=documents,
        chunks=total,
        built_at=storage.now_iso(),
        corpus=str(settings.corpus.resolve()),
        model_sha256=model_fingerprint(model_path(settings)),
        skipped=_recorded_skips(job.base.folder if job.base else None, job.work, job.skipped),
        sentences=sentences,
        builder=job.builder,
        workers=job.workers,
        nodes=job.nodes,
    )


def _recorded_skips(base: Path | None, work: Plan, skipped: list[Skipped]) -> list[dict[str, Any]]:
    """The files this build could not read, or read in part, and what the base version noted about unchanged files."""
    unchanged = {f.source for f in work.unchanged} | set(work.failed)
    earlier = storage.read_manifest(base).skipped if base else []
    carried = [e for e in earlier if isinstance(e, dict) and e.get("source") in unchanged]
    fresh = [
        {"source": s.source, "reason": s.reason, "partial": s.partial, "sha256": work.hashes.get(s.source, "")}
        for s in skipped
    ]
    return sorted(carried + fresh, key=lambda e: str(e["source"]))


def _reusable(base: Base, sources: list[str]) -> dict[str, Embedded]:
    """Vectors of the base version's chunks of `sources` and of their sentences, by text: an edited file
    keeps those of its unchanged passages, a renamed one all of them."""
    if not sources:
        return {}
    catalog = storage.catalog_of(base.folder)
    try:
        rows = catalog.chunk_texts(sources)
    finally:
        catalog.close()
    found = base.of([r[0] for r in rows])
    return {
        text: (vector, base.sentences.of(chunk_id).astype(np.float16)) for (chunk_id, text), vector in zip(rows, found)
    }


def _empty_message(settings: Settings, skipped: list[Skipped]) -> str:
    reason = f" ({len(skipped)} file(s) skipped: {skipped[0].source}: {skipped[0].reason})" if skipped else ""
    return (
        f"corpus {settings.corpus} has no documents to index{reason}; add .txt, .md, .rst, .html, .pdf or .docx files"
    )


def _report(
    work: Plan,
    loaded: list[Loaded],
    skipped: list[Skipped],
    embedded: int,
    started: float,
    wrote: bool,
    settings: Settings,
    resumed: int = 0,
    warnings: tuple[str, ...] = (),
    known: Collection[str] = (),
) -> BuildReport:
    """What the build did; `known` are the texts whose vectors came from the base version."""
    done = {item.row.source for item in loaded}
    texts = [c.text for item in loaded for c in item.chunks]
    reused = sum(t in known for t in texts)
    added = tuple(f.source for f in work.added if f.source in done or not wrote)
    changed = tuple(f.source for f in work.changed if f.source in done or not wrote)
    documents, chunks = 0, 0
    folder = storage.current_folder(settings.index)
    if folder is not None:
        manifest = storage.read_manifest(folder)
        documents, chunks = manifest.documents, manifest.chunks
    return BuildReport(
        added=added,
        changed=changed,
        removed=tuple(work.removed),
        unchanged=len(work.unchanged),
        skipped=tuple(work.skipped + skipped),
        chunks_embedded=embedded,
        chunks_resumed=resumed,
        chunks_new=len(texts),
        chunks_reused=reused,
        chunks_repeated=max(0, len(texts) - reused - embedded - resumed),
        chunks_total=chunks,
        documents_total=documents,
        seconds=time.perf_counter() - started,
        wrote=wrote,
        warnings=warnings,
    )
