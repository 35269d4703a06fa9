"""`qa index`: bring the index in line with the corpus, embedding only what changed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa import heap, language, multivectors, slices, storage, streaming, vectors
from qa.chunking import make_splitter
from qa.config import Settings
from qa.embedding import get_embedder, load_tokenizer, model_path, resolve
from qa.errors import CorpusError, EncoderError
from qa.files import sha256_file
from qa.fingerprint import model_fingerprint
from qa.loaders import SourceFile, scan
from qa.storage.textkeys import KeySet
from qa.translate import Vocabulary
from qa.types import BuildProgress, BuildReport, Skipped
from qa.vectorsets import IndexChoice

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
    in a thread while the first slice of files is read and chunked (chunking needs only the Rust tokenizer). A chunk text that already has a vector (a
    duplicate, an unchanged passage of an edited file, a renamed file) is not embedded again.
    """
    started = time.perf_counter()
    with storage.build_lock(settings.index):
        work = plan(settings, rebuild)
        to_load = work.added + work.changed
        if not work.full and not to_load and not work.removed and not work.encoders_changed:
            storage.discard_checkpoint(settings.index)  # what an interrupted build embedded is not needed now
            return _report(work, set(), [], started, False, settings)
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


def _build(
    settings: Settings, work: Plan, to_load: list[SourceFile], model: Any, progress: Progress | None, started: float
) -> BuildReport:
    """Read, chunk, embed and write the changed files a slice at a time (qa.slices, qa.streaming): a slice's rows,
    postings and vectors are written before the next is read, so memory stays within QA_BUILD_MEMORY whatever the
    corpus. The first slice is read while the model loads; after that nothing runs beside the model, whose
    threads slow down by far more than they lose when another thread takes a core."""
    splitter = make_splitter(load_tokenizer(model_path(settings)), settings)
    version = _open_version(settings, work)
    stream: streaming.StreamedVersion | None = None
    changed = {f.source for f in work.changed}
    try:
        base = _open_base(None if work.full else work.base)
        stream = streaming.StreamedVersion(version, base)
        checkpoint = storage.Checkpoint(settings.index, _recipe(settings))
        found = streaming.Vectors(settings, base, sorted(changed) + work.removed, checkpoint, model)
        report = streaming.progress_of(progress, len(to_load)) if progress else None
        stream.remove(work.removed)
        done: set[str] = set()
        skipped: list[Skipped] = []
        notes: list[str] = []
        for part in slices.cut(to_load, settings, splitter, streaming.slice_budget(settings), progress):
            skipped += part.skipped
            stream.remove([item.row.source for item in part.loaded if item.row.source in changed])
            texts = [c.text for item in part.loaded for c in item.chunks]
            stream.add(part.loaded, found(texts, partial(report, part.files) if report else None))
            done.update(item.row.source for item in part.loaded)
            heap.release()
            if report:
                report(part.files, found.embedded)
        if work.full and not done:
            raise CorpusError(_empty_message(settings, work.skipped + skipped))
        folder = _write_rest(settings, work, version, stream, skipped, notes, progress)
    except BaseException as exc:
        _abort(version, stream)
        if isinstance(exc, OSError):
            raise storage.write_error(settings.index, exc) from exc
        raise
    notes = [*_commit(settings, work, folder, checkpoint), *notes]
    return _report(work, done, skipped, started, True, settings, found, tuple(notes))


def _open_version(settings: Settings, work: Plan) -> storage.VersionWriter:
    try:
        return storage.VersionWriter(settings.index, None if work.full else work.base)  # checks the base's files
    except OSError as exc:
        raise storage.write_error(settings.index, exc) from exc


def _abort(version: storage.VersionWriter, stream: streaming.StreamedVersion | None) -> None:
    if stream is not None:
        stream.abandon()
    version.abort()


def _write_rest(
    settings: Settings,
    work: Plan,
    version: storage.VersionWriter,
    stream: streaming.StreamedVersion,
    skipped: list[Skipped],
    notes: list[str],
    progress: Progress | None,
    builder: tuple[str, int, int] = ("", 0, 0),
) -> Path:
    """Finish the streamed version (postings merged, vector indexes built), add the multilingual vectors, write its
    manifest and commit; what could not be done goes into `notes`."""
    totals = stream.finish(
        IndexChoice(settings.index_factory, settings.approximate_above, settings.compress_above, settings.graph_above)
    )
    heap.release()  # the merge's scratch, before the multilingual model loads
    multilingual = _multilingual(version, work, notes, progress)  # after the English model: at once they took as long
    manifest = _manifest(settings, work, skipped, totals, builder)
    return version.commit(replace(manifest, multilingual=multilingual, languages=_languages(version)))


def _multilingual(
    version: storage.VersionWriter, work: Plan, notes: list[str], progress: Progress | None = None
) -> str:
    """Write the multilingual vectors the settings ask for, reusing the base version's; the encoder's name, or ""
    when there are none (not asked for, or its model cannot load: then the build's report says why)."""
    name = work.multilingual.name
    if work.multilingual.problem:
        notes.append(work.multilingual.problem)
    if not name:
        return ""
    base = None if work.full or work.base is None or work.base_multilingual != name else work.base
    words = storage.read_words(base, np.float16) if base is not None else None
    try:
        multivectors.write(storage.multilingual_parts(base), version, _multilingual_progress(progress))
        table = multivectors.vocabulary(Vocabulary(tuple(words[0]), words[1]) if words else None, version)
        version.write_words(table.words, table.vectors)
    except EncoderError as exc:
        notes.append(f"{exc}; questions in other languages than the documents are refused")
        return ""
    return name


def _multilingual_progress(progress: Progress | None) -> Callable[[int, int], None] | None:
    """The multilingual pass's (done, total) as the build's progress, with the memory it holds."""
    if progress is None:
        return None
    return lambda done, total: progress(BuildProgress("multilingual", done, total, memory=streaming.resident_bytes()))


def _languages(version: storage.VersionWriter) -> dict[str, float]:
    ids = version.chunk_ids()
    sample = ids[:: max(1, len(ids) // language.SAMPLE)]
    return language.languages(version.texts_of(sample))


def _build_on_ray(
    settings: Settings, work: Plan, to_load: list[SourceFile], progress: Progress | None, started: float
) -> BuildReport:
    """The files read, chunked and embedded by a Ray job; each file's vectors kept in the checkpoint as its result
    arrives, and the results written a slice at a time by the one writer here, as after a local build (in the
    order the results come, so the chunk ids differ from a local build's, not the chunks)."""
    from qa import distributed

    cluster = distributed.connect(settings)
    workers = distributed.workers_for(settings, cluster)
    version = _open_version(settings, work)
    stream: streaming.StreamedVersion | None = None
    changed = {f.source for f in work.changed}
    try:
        base = _open_base(None if work.full else work.base)
        checkpoint = storage.Checkpoint(settings.index, _recipe(settings))
        found = streaming.Vectors(settings, base, sorted(changed) + work.removed, checkpoint, None)
        tally = _RayTally(progress, len(to_load), checkpoint)
        found.fresh = tally.keys
        stream = streaming.StreamedVersion(version, base)
        stream.remove(work.removed)
        done: set[str] = set()
        skipped: list[Skipped] = []
        notes: list[str] = []
        skip = checkpoint.keys()
        skip.add(list(found.known))
        for part in _slices_of(map(tally, distributed.run(settings, to_load, skip, workers)), settings):
            skipped += [note for result in part for note in result.notes]
            loaded = [r.loaded for r in part if r.loaded is not None]
            stream.remove([item.row.source for item in loaded if item.row.source in changed])
            stream.add(loaded, found([c.text for item in loaded for c in item.chunks]))
            done.update(item.row.source for item in loaded)
        if work.full and not done:
            raise CorpusError(_empty_message(settings, work.skipped + skipped))
        folder = _write_rest(settings, work, version, stream, skipped, notes, progress, ("ray", workers, cluster.nodes))
    except BaseException as exc:
        _abort(version, stream)
        if isinstance(exc, OSError):
            raise storage.write_error(settings.index, exc) from exc
        raise
    notes = [*_commit(settings, work, folder, checkpoint), *notes]
    return _report(work, done, skipped, started, True, settings, found, tuple(notes), embedded=len(tally.keys))


def _slices_of(results: Iterator[distributed.Result], settings: Settings) -> Iterator[list[distributed.Result]]:
    """Results as they come, in runs that fit a slice (qa.slices.cost)."""
    budget = streaming.slice_budget(settings)
    run: list[distributed.Result] = []
    held = 0
    for result in results:
        run.append(result)
        held += slices.cost(result.loaded, result.loaded.row.size if result.loaded else 0)
        if held >= budget:
            yield run
            run, held = [], 0
    if run:
        yield run


def _commit(settings: Settings, work: Plan, folder: Path, checkpoint: storage.Checkpoint) -> tuple[str, ...]:
    """Drop the checkpoint and the versions the committed one supersedes; the build's notes."""
    checkpoint.discard()
    storage.prune(settings.index, keep=[folder.name] + ([work.base.name] if work.base else []))
    return (checkpoint.note,) if checkpoint.note else ()


class _RayTally:
    """Takes each file's result from the Ray job: keeps its vectors in the checkpoint, and reports progress."""

    def __init__(self, progress: Progress | None, files: int, checkpoint: storage.Checkpoint) -> None:
        self.progress, self.files, self.checkpoint = progress, files, checkpoint
        self.keys = KeySet()  # of the texts the job embedded
        self.done = 0

    def __call__(self, result: distributed.Result) -> distributed.Result:
        keys = {t: storage.text_key(t) for t in result.embedded}
        held = self.keys.holds(list(keys.values())).tolist()
        texts = [t for t, known in zip(keys, held) if not known]
        if texts:
            embedded = result.embedded
            self.checkpoint.save(texts, np.stack([embedded[t][0] for t in texts]), [embedded[t][1] for t in texts])
            self.keys.add([keys[t] for t in texts])
        self.done += 1
        if self.progress is not None:
            self.progress(BuildProgress("ray", self.done, self.files, chunks_done=len(self.keys)))
        return replace(result, embedded={})  # its vectors are in the checkpoint now


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
    return Base(folder, storage.base_vectors(folder), storage.read_sentences(folder), storage.read_exact(folder))


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


def _manifest(
    settings: Settings, work: Plan, skipped: list[Skipped], totals: streaming.Totals, builder: tuple[str, int, int]
) -> storage.Manifest:
    choice = resolve(settings)
    dense = totals.vectors[streaming.PRIMARY]
    return storage.Manifest(
        format=storage.FORMAT_VERSION,
        model=settings.model_name,
        dimension=dense.dimension,
        precision=choice.precision,
        backend=choice.backend,
        device=choice.device,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        factory=dense.factory,
        search_params=dense.params,
        documents=totals.documents,
        chunks=totals.chunks,
        built_at=storage.now_iso(),
        corpus=str(settings.corpus.resolve()),
        model_sha256=model_fingerprint(model_path(settings)),
        skipped=_recorded_skips(None if work.full else work.base, work, skipped),
        sentences=totals.sentences,
        passages=dense.count,
        builder=builder[0],
        workers=builder[1],
        nodes=builder[2],
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


def _empty_message(settings: Settings, skipped: list[Skipped]) -> str:
    reason = f" ({len(skipped)} file(s) skipped: {skipped[0].source}: {skipped[0].reason})" if skipped else ""
    return (
        f"corpus {settings.corpus} has no documents to index{reason}; add .txt, .md, .rst, .html, .pdf or .docx files"
    )


def _report(
    work: Plan,
    done: set[str],
    skipped: list[Skipped],
    started: float,
    wrote: bool,
    settings: Settings,
    found: streaming.Vectors | None = None,
    warnings: tuple[str, ...] = (),
    embedded: int | None = None,
) -> BuildReport:
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
        chunks_embedded=embedded if embedded is not None else found.embedded if found else 0,
        chunks_resumed=found.resumed if found else 0,
        chunks_duplicate=found.duplicates if found else 0,
        chunks_new=found.new if found else 0,
        chunks_reused=found.reused if found else 0,
        chunks_repeated=found.duplicates if found else 0,
        chunks_total=chunks,
        documents_total=documents,
        seconds=time.perf_counter() - started,
        wrote=wrote,
        warnings=warnings,
    )
