"""A version written a slice at a time: each slice's catalog rows, BM25 postings, sentence vectors and chunk
vectors appended as it comes, so a build holds one slice (and the one being read), never the whole corpus."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from qa import ingest, storage
from qa.config import Settings
from qa.errors import QAError
from qa.ingest import Embedded, Loaded
from qa.sparse import terms
from qa.storage.checkpoint import text_key
from qa.storage.textkeys import KeySet
from qa.types import BuildProgress
from qa.vectorsets import Built, DenseWriter, IndexChoice

if TYPE_CHECKING:
    from qa.indexer import Base

PRIMARY = "dense"  # the vector set of the model that also embeds the sentences
# A slice may hold this share of QA_BUILD_MEMORY by qa.slices.cost; the rest is for the model's batches, the index's
# state and the merge. A chunk in flight costs about 70 KB, not the 40 KB that estimate says: 7,054 generated chunks
# in one slice (a half) peaked at 0.93 GB, in slices of about 3,000 (an eighth) at 0.65 GB, and with a half the peak
# grew with the corpus until the slices stopped growing, at about 12,000 chunks.
SLICE_SHARE = 8
SENTENCES_AT_ONCE = 512  # chunks whose sentence rows are joined and quantized at once (a slice's all: 28 MB more)


def slice_budget(settings: Settings) -> int:
    return max(1 << 16, settings.build_memory // SLICE_SHARE)


def resident_bytes() -> int:
    """This process's resident memory now (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@dataclass(frozen=True)
class Totals:
    """What a streamed version holds once finished."""

    documents: int
    chunks: int
    sentences: int
    vectors: dict[str, Built]  # each named vector set's index


class StreamedVersion:
    """The next version, a slice at a time: `remove` the base version's documents that go, `add` each slice, then
    `finish`. Each named vector set is appended slice by slice; the first model's ("dense") also brings the
    sentence vectors."""

    def __init__(self, version: storage.VersionWriter, base: Base | None) -> None:
        self.version, self.base = version, base
        self.removed: list[int] = []
        self.postings = version.postings(storage.read_sparse(base.folder) if base else None)
        self.sentences = version.sentences(base.sentences if base else None)
        self.sets: dict[str, DenseWriter] = {}

    def remove(self, sources: Sequence[str]) -> None:
        if self.base is not None and sources:
            self.removed += self.version.remove_documents(sources)

    def add(self, loaded: Sequence[Loaded], found: Mapping[str, Embedded], more: Mapping[str, np.ndarray] = {}) -> None:
        """One slice's documents; `found` holds the vectors of their chunk texts, `more` each further vector set's
        rows for their chunks in order."""
        ids: list[int] = []
        chunk_terms: list[list[str]] = []
        for item in loaded:
            item_terms = [terms(c.text) for c in item.chunks]
            ids += self.version.add_document(item.row, item.chunks, [" ".join(t) for t in item_terms], item.regions)
            chunk_terms += item_terms
        if not ids:
            return
        self.postings.add(ids, chunk_terms)
        del chunk_terms
        texts = [c.text for item in loaded for c in item.chunks]
        chunk_ids = np.asarray(ids, np.int64)
        self._set(PRIMARY).append(chunk_ids, np.stack([found[t][0] for t in texts]).astype(np.float32, copy=False))
        for first in range(0, len(texts), SENTENCES_AT_ONCE):
            group = texts[first : first + SENTENCES_AT_ONCE]
            rows = np.concatenate([np.asarray(found[t][1], np.float16) for t in group])
            counts = [len(found[t][1]) for t in group]
            self.sentences.append(np.repeat(chunk_ids[first : first + len(group)], counts), rows)
        for name, matrix in more.items():
            self._set(name).append(chunk_ids, matrix)

    def _set(self, name: str) -> DenseWriter:
        if name not in self.sets:
            base = self.base if name == PRIMARY else None
            self.sets[name] = self.version.dense(name, base.vectors if base else None, base.exact if base else None)
        return self.sets[name]

    def finish(self, choice: IndexChoice) -> Totals:
        """Merge the postings, write the sentence vectors and build each vector set's index."""
        primary = self._set(PRIMARY)
        firsts = np.asarray(self.version.first_ids(), np.int64)
        built = {
            name: self.version.finish_dense(name, w, self.removed, choice, firsts) for name, w in self.sets.items()
        }
        self.version.save_postings(self.postings, self.removed)
        sentences = self.sentences.close(self.removed, built[PRIMARY].dimension, firsts, primary.holders)
        documents, chunks = self.version.counts()
        return Totals(documents, chunks, sentences, built)

    def abandon(self) -> None:
        """Close the open scratch files (the version writer's abort removes them)."""
        self.sentences.abandon()
        for writer in self.sets.values():
            writer.abandon()


class Vectors:
    """The vectors of each slice's chunk texts, from wherever they already are, else from the model: the base
    version (unchanged passages of edited or renamed files), the checkpoint (what an interrupted build or an
    earlier slice embedded), then the model, a checkpoint's worth at a time. Counts what it did."""

    def __init__(
        self,
        settings: Settings,
        base: Base | None,
        sources: Sequence[str],
        checkpoint: storage.Checkpoint,
        model: Any,
    ) -> None:
        self.settings, self.base, self.checkpoint, self.model = settings, base, checkpoint, model
        self.known = _known(base, sources)
        self.seen = KeySet()  # the texts of the slices so far
        self.fresh = KeySet()  # of the texts this build embedded elsewhere (a Ray job): not resumed
        self.embedded = self.resumed = self.duplicates = 0
        self.new = self.reused = 0  # chunks of the loaded files; of them, vectors kept from the base version

    def __call__(self, texts: Sequence[str], report: Callable[[int], None] | None = None) -> dict[str, Embedded]:
        """`texts` are a slice's chunk texts in order; `report` hears how many chunks this build has embedded."""
        unique = {t: text_key(t) for t in texts}
        keys = list(unique.values())
        seen = dict(zip(unique, self.seen.holds(keys).tolist()))
        fresh = dict(zip(unique, self.fresh.holds(keys).tolist()))
        self.duplicates += len(texts) - len(unique) + sum(seen.values())
        found = self._from_base([t for t, k in unique.items() if k in self.known])
        self.new += len(texts)
        self.reused += sum(1 for t in texts if t in found)
        rest = [t for t in unique if t not in found]
        taken = self.checkpoint.take(rest)
        self.resumed += sum(1 for t in taken if not seen[t] and not fresh[t])
        found.update(taken)
        todo = [t for t in rest if t not in taken]
        if todo and self.model is None:
            raise QAError("a checkpoint part was damaged while the Ray job ran; run qa index again to embed the rest")
        step = max(1, self.settings.checkpoint_every)
        for begin in range(0, len(todo), step):
            part = todo[begin : begin + step]
            tick = partial(_embedded, report, self.embedded + begin) if report else None
            matrix, sentences = ingest.embed(self.model.result(), part, self.settings.batch_size, tick)
            self.checkpoint.save(part, matrix, sentences)
            found.update((t, (v, s)) for t, v, s in zip(part, matrix, sentences))
        self.embedded += len(todo)
        self.seen.add(keys)
        return found

    def _from_base(self, texts: list[str]) -> dict[str, Embedded]:
        if not texts or self.base is None:
            return {}
        base = self.base
        ids = [self.known[text_key(t)] for t in texts]
        return {
            t: (v, base.sentences.of(i).astype(np.float16)) for t, i, v in zip(texts, ids, base.of(ids), strict=True)
        }


def _embedded(report: Callable[[int], None], offset: int, done: int, _: int) -> None:
    report(offset + done)


def _known(base: Base | None, sources: Sequence[str]) -> dict[bytes, int]:
    """The chunk id that holds the vectors, by text key, of each chunk text of `sources` in the base version."""
    if base is None or not sources:
        return {}
    catalog = storage.catalog_of(base.folder)
    try:
        firsts = catalog.firsts([text for _, text in catalog.chunk_texts(list(sources))])
    finally:
        catalog.close()
    return {text_key(text): chunk_id for text, chunk_id in firsts.items()}


def progress_of(progress: Callable[[BuildProgress], None], files: int) -> Callable[[int, int], None]:
    """A reporter of (files read, chunks embedded) as the build's progress, with the memory it holds."""

    def report(done: int, chunks: int) -> None:
        progress(BuildProgress("embedding", done, files, chunks_done=chunks, memory=resident_bytes()))

    return report
