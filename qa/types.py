"""The records that cross module boundaries: small, frozen, typed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """Text of one corpus file; `source` is relative to the corpus root, posix style."""

    source: str
    text: str
    pages: tuple[int, ...] = ()  # character offset where each page starts (PDF), else empty
    plain: bool = True  # text is the file's own decoded text, so offsets point into the file


@dataclass(frozen=True)
class Skipped:
    """A file the loader did not index, or only partly, and why."""

    source: str
    reason: str
    partial: bool = False


@dataclass(frozen=True)
class Chunk:
    source: str
    start: int
    end: int
    line_start: int
    line_end: int
    text: str
    page: int | None = None


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its score (higher is better)."""

    chunk_id: int
    chunk: Chunk
    score: float


@dataclass(frozen=True)
class Citation:
    id: int
    source: str
    start: int
    end: int
    line_start: int
    line_end: int
    page: int | None
    text: str
    score: float


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    answered: bool
    citations: tuple[Citation, ...]
    mode: str = "extractive"
    unsupported_sentences: tuple[str, ...] = ()
    notice: str = ""


@dataclass(frozen=True)
class BuildReport:
    """What one `qa index` run did."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    skipped: tuple[Skipped, ...] = ()
    chunks_embedded: int = 0
    chunks_total: int = 0
    documents_total: int = 0
    seconds: float = 0.0
    wrote: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)
