"""The records that cross module boundaries: small, frozen, typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AnswerMode = Literal["extractive", "llm"]
IndexState = Literal["in_sync", "stale", "unusable"]
WatchKind = Literal["updating", "updated", "skipped", "error"]
SyncStateName = Literal["starting", "in_sync", "updating", "error", "stopped"]


@dataclass(frozen=True)
class Box:
    """Where text lies on a page: PDF points for PDFs, pixels for images; origin at the top left, y down."""

    page: int  # 1-based
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Region:
    """A line of a document's text, `text[start:end]`, and the box it occupies on its page."""

    start: int
    end: int
    box: Box


@dataclass(frozen=True)
class Document:
    """Text of one corpus file; `source` is relative to the corpus root, posix style."""

    source: str
    text: str
    pages: tuple[int, ...] = ()  # character offset where each page starts (PDF), else empty
    plain: bool = True  # text is the file's own decoded text, so offsets point into the file
    regions: tuple[Region, ...] = ()  # where each line lies on its page (PDFs and images), in text order
    ocr_pages: int = 0  # pages whose text came from OCR


@dataclass(frozen=True)
class Skipped:
    """A file the loader did not index, or only partly, and why."""

    source: str
    reason: str
    partial: bool = False


@dataclass(frozen=True)
class Span:
    """Where text lies in its corpus file: `file_text[start:end]` for plain files, 1-based lines, and the
    1-based page of a PDF or image (None for other files)."""

    source: str
    start: int
    end: int
    line_start: int
    line_end: int
    page: int | None = None


class _Spanned:
    """Attribute access to the span's fields: `chunk.source` for `chunk.span.source`."""

    span: Span

    @property
    def source(self) -> str:
        return self.span.source

    @property
    def start(self) -> int:
        return self.span.start

    @property
    def end(self) -> int:
        return self.span.end

    @property
    def line_start(self) -> int:
        return self.span.line_start

    @property
    def line_end(self) -> int:
        return self.span.line_end

    @property
    def page(self) -> int | None:
        return self.span.page


@dataclass(frozen=True)
class Chunk(_Spanned):
    span: Span
    text: str

    def part(self, start: int, end: int) -> tuple[Span, str]:
        """The span and text of `file_text[start:end]`, a part of this chunk."""
        local = self.text[start - self.start : end - self.start]
        line_start = self.line_start + self.text.count("\n", 0, start - self.start)
        return Span(self.source, start, end, line_start, line_start + local.count("\n"), self.page), local


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its score (higher is better)."""

    chunk_id: int
    chunk: Chunk
    score: float
    also_in: tuple[str, ...] = ()  # other files that hold the same text, cited through this one
    holder: int | None = None  # the chunk that holds this text's stored vectors, when another one

    @property
    def vectors_id(self) -> int:
        """The chunk id under which the index stores this text's sentence vectors."""
        return self.chunk_id if self.holder is None else self.holder


@dataclass(frozen=True)
class Citation(_Spanned):
    id: int
    span: Span
    text: str
    score: float
    boxes: tuple[Box, ...] = ()  # where the cited text lies on its page; empty for text files
    also_in: tuple[str, ...] = ()  # other files that hold the whole passage this citation comes from


@dataclass(frozen=True)
class ShortAnswer:
    """The token or phrase that answers, `citation.text[start:end]` of the citation numbered `citation`."""

    text: str
    citation: int
    start: int
    end: int


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    answered: bool
    citations: tuple[Citation, ...]
    mode: AnswerMode = "extractive"
    unsupported_sentences: tuple[str, ...] = ()
    notice: str = ""
    reason: str = ""  # when not answered: what the documents lack, in one line
    short: ShortAnswer | None = None  # the command, path or number itself, where one span of a citation is it


@dataclass(frozen=True)
class BuildProgress:
    """How far a build is: pages of a scan read by OCR, chunks embedded, files back from a Ray job, or chunks
    given their multilingual vectors at the end."""

    stage: Literal["ocr", "embedding", "ray", "multilingual"]
    done: int
    total: int  # pages, chunks, or files for "ray"
    source: str = ""  # the scanned file, for "ocr"
    files_done: int = 0  # for "embedding": files whose chunks are all embedded
    files_total: int = 0
    chunks_done: int = 0  # chunks embedded so far
    memory: int = 0  # bytes the build holds in memory now (its resident set)


@dataclass(frozen=True)
class BuildReport:
    """What one `qa index` run did."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    skipped: tuple[Skipped, ...] = ()
    chunks_embedded: int = 0
    chunks_resumed: int = 0  # taken from the checkpoint of an interrupted build instead of embedded again
    chunks_new: int = 0  # chunks of the files added or changed; the rest of chunks_total are unchanged files'
    chunks_reused: int = 0  # of chunks_new: vectors kept from the earlier version of an edited or renamed file
    chunks_repeated: int = 0  # of chunks_new: the same text as another new chunk, embedded once
    chunks_duplicate: int = 0  # new chunks whose text an earlier one of this build has: embedded once
    chunks_total: int = 0
    documents_total: int = 0
    seconds: float = 0.0
    wrote: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def chunks_kept(self) -> int:
        """Chunks of unchanged files, carried over from the previous version."""
        return max(0, self.chunks_total - self.chunks_new)


@dataclass(frozen=True)
class IndexStatus:
    """What an index holds and how it differs from its corpus (`qa status`)."""

    state: IndexState
    index: str
    corpus: str
    error: str = ""  # why the index is unusable, or why the corpus could not be compared
    version: str = ""
    format: int | None = None
    model: str = ""
    model_sha256: str = ""  # fingerprint of the weights the index was built with; "" when not recorded
    installed_model_sha256: str = ""  # fingerprint of the weights this qa embeds questions with
    documents: int = 0
    chunks: int = 0
    built_at: str = ""
    size_bytes: int = 0  # the current version's files on disk
    serving_bytes: int = 0  # memory a process serving the version holds for it, besides the model
    new: tuple[str, ...] = ()  # files in the corpus the index lacks
    modified: tuple[str, ...] = ()  # files whose content differs from what was indexed
    deleted: tuple[str, ...] = ()  # indexed files no longer in the corpus
    settings_changed: bool = False  # chunking or precision differ from the build's: everything is re-embedded
    skipped: tuple[Skipped, ...] = ()  # files not indexed, or indexed in part, and why
    builder: str = ""  # "ray" when a Ray job embedded the version; "" for one process
    workers: int = 0  # the Ray job's encoder actors
    nodes: int = 0
    checkpoint_chunks: int = 0  # chunks an interrupted build embedded, which the next `qa index` takes back
    multilingual: str = ""  # the multilingual encoder whose vectors the index holds; "" for none
    multilingual_wanted: str = ""  # the one the settings ask for (`--model`, $QA_MODEL)
    languages: dict[str, float] = field(default_factory=dict)  # share of the chunks in each language

    @property
    def exit_code(self) -> int:
        return {"in_sync": 0, "stale": 1}.get(self.state, 2)


@dataclass(frozen=True)
class WatchEvent:
    """One thing the corpus watcher did."""

    kind: WatchKind
    files: tuple[str, ...] = ()  # updating: the files about to be re-indexed (added, changed, removed)
    report: BuildReport | None = None  # updated: what the build did
    skipped: tuple[Skipped, ...] = ()  # files newly skipped or failed; each one is reported once
    error: str = ""  # error: one line, the index in use stays as it was


@dataclass(frozen=True)
class SyncState:
    """Where the corpus watcher stands, for a status line."""

    state: SyncStateName
    files: int = 0  # files being re-indexed while updating
    error: str = ""  # the last error, until an update succeeds
    checked_at: str = ""  # when the index was last found or made in line with the corpus
