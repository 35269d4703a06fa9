"""The documents of an index as the app lists them, the files it skipped, and removing a document from the corpus."""

from __future__ import annotations

import os
from dataclasses import dataclass

from qa.api import Index
from qa.config import Settings
from qa.errors import CorpusError
from qa.types import Skipped


@dataclass(frozen=True)
class DocumentInfo:
    source: str  # relative to the corpus root
    kind: str  # the file type, as its extension in capitals: PDF, HTML, TXT
    pages: int  # 0 for a file without pages
    chunks: int
    indexed_at: str  # "" for an index built before this was recorded


def documents(index: Index) -> tuple[DocumentInfo, ...]:
    return tuple(
        DocumentInfo(s.source, _kind(s.source), s.pages, s.chunks, s.indexed_at)
        for s in index.snapshot.document_stats()
    )


def skipped_files(index: Index) -> tuple[Skipped, ...]:
    """The files the builds of this version could not read, or read in part, with the reason."""
    return tuple(
        Skipped(str(e["source"]), str(e.get("reason", "")), bool(e.get("partial", False)))
        for e in index.snapshot.manifest.skipped
        if isinstance(e, dict) and "source" in e
    )


def remove_document(settings: Settings, source: str) -> None:
    """Delete corpus file `source`; the next build drops it from the index. Refuses any path outside the corpus."""
    root = os.path.realpath(settings.corpus)
    path = os.path.join(root, source)
    folder = os.path.realpath(os.path.dirname(path))
    if os.path.isabs(source) or os.path.commonpath([root, folder]) != root or os.path.basename(path) in ("", ".", ".."):
        raise CorpusError(f"{source} is not in the corpus")
    if not (os.path.isfile(path) or os.path.islink(path)):
        raise CorpusError(f"{source} is no longer in the corpus")
    os.unlink(path)  # a link is removed, never the file it points to


def _kind(source: str) -> str:
    return os.path.splitext(source)[1].lstrip(".").upper() or "FILE"
