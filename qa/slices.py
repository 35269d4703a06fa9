"""The files a build must (re)index, read, parsed and chunked into slices of bounded memory, in corpus order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from qa.config import Settings
from qa.files import human_size
from qa.ingest import Loaded, load_file
from qa.loaders import SourceFile
from qa.types import BuildProgress, Skipped

# What a chunk costs while its slice is in flight, estimated: its terms as Python strings (about 12 KB for 200
# tokens), its sentences' vectors (float16 from the encoder, float32 while quantized: about 15 KB), its vector.
CHUNK_BYTES = 40_000
TEXT_COPIES = 4  # the file's bytes, its decoded text, the chunks' texts, the plain text in the catalog row


@dataclass(frozen=True)
class Slice:
    """Some of the files, read and chunked; `kept` are those whose previous version (if any) stays."""

    loaded: list[Loaded] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    files: int = 0  # files of the build read up to the end of this slice


def cost(item: Loaded | None, size: int) -> int:
    """Bytes a file's slice holds for it until the slice is written."""
    return TEXT_COPIES * size + (CHUNK_BYTES * len(item.chunks) if item is not None else 0)


def read_bounded(file: SourceFile, limit: int) -> bytes:
    """The file's bytes, never more than `limit` + 1 of them: a file that grew past the limit since it was
    listed is refused, not read whole."""
    with open(file.path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise OSError(
            0, f"grew past the {human_size(limit)} limit while it was read; split it or raise QA_MAX_FILE_BYTES"
        )
    return data


def cut(
    files: list[SourceFile],
    settings: Settings,
    splitter: object,
    budget: int,
    progress: Callable[[BuildProgress], None] | None = None,
) -> Iterator[Slice]:
    """The files read and chunked one at a time, handed on whenever what is held reaches `budget` bytes."""
    current, held = Slice(), 0
    for n, file in enumerate(files, start=1):
        pages = partial(_pages, progress, file.source) if progress else None
        try:
            data = read_bounded(file, settings.max_file_bytes)
        except OSError as exc:
            current.skipped.append(Skipped(file.source, exc.strerror or type(exc).__name__))
            current.kept.append(file.source)
            continue
        item, notes = load_file(file, data, settings, splitter, pages)
        current.skipped.extend(notes)
        if item is None:
            current.kept.append(file.source)
        else:
            current.loaded.append(item)
        held += cost(item, len(data))
        del data
        if held >= budget:
            yield Slice(current.loaded, current.skipped, current.kept, n)
            current, held = Slice(), 0
    if current.loaded or current.skipped or current.kept or not files:
        yield Slice(current.loaded, current.skipped, current.kept, len(files))


def _pages(progress: Callable[[BuildProgress], None], source: str, done: int, total: int) -> None:
    progress(BuildProgress("ocr", done, total, source))
