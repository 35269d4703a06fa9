"""A version's manifest (what it holds, how it was built, the checksum of every file) and the CURRENT pointer."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import IndexCorruptError, IndexFormatError
from qa.files import sha256_file
from qa.storage.atomic import data_files, fsync_dir, write_file
from qa.storage.names import CURRENT, FORMAT_VERSION, MANIFEST, POINTER, REBUILD


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
    passages: int = 0  # distinct chunk texts: the vectors of each FAISS index, one under each text's first chunk
    backend: str = ""  # what embedded the build (torch, onnx, sentence-transformers); "" before it was recorded
    device: str = ""  # cpu or cuda
    builder: str = ""  # "ray" when a Ray job read and embedded the files; "" for a build in one process
    workers: int = 0  # the Ray job's encoder actors
    nodes: int = 0  # the Ray cluster's nodes
    multilingual: str = ""  # the multilingual encoder of multilingual.faiss (name and package version); "": none
    languages: dict[str, float] = field(default_factory=dict)  # share of the chunks in each language (qa.language)


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


def verify(
    folder: Path, manifest: Manifest, manifest_sha256: str | None = None, later: frozenset[str] = frozenset()
) -> None:
    """Refuse a version whose files differ from what CURRENT and its manifest promise; the files named in `later`
    must be there, and their bytes are checked when they are read (qa.storage.snapshot.Deferred).

    Runs before any parser (FAISS, SQLite, numpy) sees a file, so damaged bytes are never parsed.
    """
    try:
        if manifest_sha256 is not None and sha256_file(folder / MANIFEST) != manifest_sha256:
            raise IndexCorruptError(f"manifest of index at {folder.parent} is damaged (checksum mismatch); {REBUILD}")
        present = {str(p.relative_to(folder)) for p in data_files(folder)}
        if present != set(manifest.checksums):
            raise IndexCorruptError(f"index at {folder.parent} is missing or has extra files; {REBUILD}")
        for name, digest in sorted(manifest.checksums.items()):
            if name not in later and sha256_file(folder / name) != digest:
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


def write_manifest(folder: Path, manifest: Manifest) -> bytes:
    """The manifest with the checksum of every file in `folder`, written there; returns its bytes."""
    checksums = {str(p.relative_to(folder)): sha256_file(p) for p in data_files(folder)}
    data = json.dumps(asdict(Manifest(**{**asdict(manifest), "checksums": checksums})), indent=2).encode()
    write_file(folder / MANIFEST, data)
    return data


def point_to(index: Path, name: str, manifest_bytes: bytes) -> None:
    """Make version `name` current, atomically: readers see the old pointer or the new one."""
    pointer = index / f".{CURRENT}.tmp"
    write_file(pointer, f"{name} {hashlib.sha256(manifest_bytes).hexdigest()}\n".encode())
    os.replace(pointer, index / CURRENT)
    fsync_dir(index)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
