"""Split documents into token-bounded chunks with exact offsets and line numbers."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from typing import Any, Callable

from qa.config import Settings
from qa.types import Chunk, Document

COUNT_CACHE = 1 << 18
# Pre-tokenizers that split on white space first (and on punctuation within words).
WORD_PRE_TOKENIZERS = {"BertPreTokenizer", "WhitespaceSplit", "Whitespace"}
WORD_NORMALIZERS = {"BertNormalizer", "Lowercase", "NFD", "NFC", "NFKD", "NFKC", "StripAccents", None}
# Control characters Python's str.split() splits on but BERT's normaliser deletes (joining the words
# around them); a text with one is counted whole.
ODD_SPACE = re.compile("[\x0b\x0c\x1c-\x1f\x85]")
SEPARATORS = ["\n\n", "\n", "。", ". ", "? ", "! ", "; ", ", ", " ", ""]


def make_splitter(tokenizer: Any, settings: Settings) -> Any:
    """A recursive splitter that measures length in the embedding model's word pieces."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        length_function=token_counter(tokenizer),
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )


def token_counter(tokenizer: Any) -> Callable[[str], int]:
    """Word pieces in a text, without special tokens.

    `tokenizer` is a `tokenizers.Tokenizer` or a Hugging Face tokenizer. A fast (Rust) BERT-style one is
    counted word by word with a cache: its pre-tokenizer never joins across white space, so a text's count
    is the sum of its words' counts, and words repeat. That is exact and many times faster than encoding
    every piece the splitter measures (each piece is measured two or three times).
    """
    backend = getattr(tokenizer, "backend_tokenizer", tokenizer)
    if not (hasattr(backend, "encode_batch") and hasattr(backend, "to_str")):
        return lambda text: len(tokenizer.tokenize(text))
    from tokenizers import Tokenizer

    fast = Tokenizer.from_str(backend.to_str())
    fast.no_truncation()  # the bundled tokenizer.json truncates at 128, which would under-count
    fast.no_padding()
    normalizer = type(fast.normalizer).__name__ if fast.normalizer is not None else None
    if type(fast.pre_tokenizer).__name__ not in WORD_PRE_TOKENIZERS or normalizer not in WORD_NORMALIZERS:
        return lru_cache(maxsize=COUNT_CACHE)(lambda text: len(fast.encode(text, add_special_tokens=False)))
    words: dict[str, int] = {}

    def count(text: str) -> int:
        if ODD_SPACE.search(text):
            return len(fast.encode(text, add_special_tokens=False))
        split = text.split()
        try:
            return sum(map(words.__getitem__, split))
        except KeyError:
            if len(words) > COUNT_CACHE:
                words.clear()
            for word in dict.fromkeys(split):
                if word not in words:
                    words[word] = len(fast.encode(word, add_special_tokens=False))
            return sum(map(words.__getitem__, split))

    return lru_cache(maxsize=4096)(count)


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
