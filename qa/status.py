"""`qa status`: what the index holds and what changed in the corpus since it was built, without embedding anything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa import indexer, storage
from qa.config import Settings
from qa.embedding import model_path
from qa.errors import CorpusError, IndexFormatError, QAError
from qa.fingerprint import model_fingerprint
from qa.types import IndexState, IndexStatus, Skipped


@dataclass(frozen=True)
class Changes:
    """How the corpus differs from the current version; files the last build could not read and that have not
    changed since are not counted (`indexer.plan` does not retry them)."""

    new: tuple[str, ...]
    modified: tuple[str, ...]
    deleted: tuple[str, ...]
    noted: tuple[Skipped, ...]  # what the last build noted about files unchanged since: failures, partial reads

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(sorted({*self.new, *self.modified, *self.deleted}))


def changes(work: indexer.Plan) -> Changes:
    reported = {s.source for s in work.skipped}  # the plan already lists failures it does not retry
    return Changes(
        new=tuple(f.source for f in work.added),
        modified=tuple(f.source for f in work.changed),
        deleted=tuple(work.removed),
        noted=tuple(s for s in work.noted if s.source not in reported),
    )


def index_status(settings: Settings) -> IndexStatus:
    """Check the current version's files against its manifest, then compare the corpus with it by content hash."""
    index = settings.index
    base: dict[str, Any] = {
        "index": str(index),
        "corpus": str(settings.corpus),
        "installed_model_sha256": model_fingerprint(model_path(settings)),
        "checkpoint_chunks": storage.checkpoint_chunks(index),
    }
    try:
        pointer = storage.read_pointer(index)
        if pointer is None:
            return IndexStatus("unusable", error=f"no index at {index}: run `qa index` to build it", **base)
        folder, digest = pointer
        manifest = storage.read_manifest(folder)
    except QAError as exc:
        return IndexStatus("unusable", error=str(exc), **base)
    base.update(
        version=folder.name,
        format=manifest.format,
        model=manifest.model,
        model_sha256=manifest.model_sha256,
        documents=manifest.documents,
        chunks=manifest.chunks,
        built_at=manifest.built_at,
        size_bytes=_size(folder),
        serving_bytes=storage.serving_bytes(folder),
        builder=manifest.builder,
        workers=manifest.workers,
        nodes=manifest.nodes,
        multilingual=manifest.multilingual,
        languages=manifest.languages,
    )
    try:
        storage.check_compatible(manifest, settings.model_name, index)
        _check_weights(manifest, base["installed_model_sha256"], index)
        storage.verify(folder, manifest, digest)
        work = indexer.plan(settings)
    except CorpusError as exc:
        return IndexStatus("stale", error=str(exc), **base)
    except QAError as exc:
        return IndexStatus("unusable", error=str(exc), **base)
    base["multilingual_wanted"] = work.multilingual.name
    found = changes(work)
    skipped = tuple(sorted(work.skipped + list(found.noted), key=lambda s: s.source))
    if work.full:
        return IndexStatus("stale", settings_changed=True, skipped=skipped, **base)
    state: IndexState = "stale" if found.files or work.encoders_changed else "in_sync"
    return IndexStatus(state, new=found.new, modified=found.modified, deleted=found.deleted, skipped=skipped, **base)


def _check_weights(manifest: storage.Manifest, installed: str, index: Path) -> None:
    if manifest.model_sha256 and installed and manifest.model_sha256 != installed:
        raise IndexFormatError(
            f"index at {index} was built with other weights of {manifest.model} (fingerprint "
            f"{manifest.model_sha256[:12]}, installed {installed[:12]}); {storage.REBUILD}"
        )


def _size(folder: Path) -> int:
    try:
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    except OSError:
        return 0
