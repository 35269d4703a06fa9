"""Split documents into token-bounded chunks with exact offsets and line numbers."""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

from qa.config import Settings
from qa.types import Chunk, Document

SEPARATORS = ["\n\n", "\n", "。", ". ", "? ", "! ", "; ", ", ", " ", ""]


def make_splitter(tokenizer: Any, settings: Settings) -> Any:
    """A recursive splitter that measures length in the embedding model's word pieces."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter.from_huggingface_tokenizer(
        tokenizer,
        chunk_size=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )


def chunk_document(document: Document, splitter: Any) -> list[Chunk]:
    """Chunks in document order; a chunk never crosses a page boundary, so it cites one page."""
    text = document.text
    newlines = [m.start() for m in re.finditer("\n", text)]
    bounds = list(document.pages or (0,)) + [len(text)]
    chunks: list[Chunk] = []
    for number, (begin, stop) in enumerate(zip(bounds, bounds[1:]), start=1):
        segment = text[begin:stop]
        cursor = 0
        for piece in splitter.split_text(segment):
            local = segment.find(piece, cursor)
            if local < 0:
                raise ValueError(f"splitter produced text not found in {document.source}")
            cursor = local + 1
            start, end = begin + local, begin + local + len(piece)
            chunks.append(
                Chunk(
                    source=document.source,
                    start=start,
                    end=end,
                    line_start=bisect_right(newlines, start - 1) + 1,
                    line_end=bisect_right(newlines, end - 2) + 1,
                    text=piece,
                    page=number if document.pages else None,
                )
            )
    return chunks


def page_of(document: Document, offset: int) -> int | None:
    """1-based page holding `offset`, or None for documents without pages."""
    if not document.pages:
        return None
    return bisect_right(document.pages, offset)
