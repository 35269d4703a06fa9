"""Split documents into token-bounded chunks with exact offsets and line numbers."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from qa.config import Settings
from qa.furniture import DOT_LEADER
from qa.types import Chunk, Document, Span

COUNT_CACHE = 1 << 18
# Pre-tokenizers that split on white space first (and on punctuation within words).
WORD_PRE_TOKENIZERS = {"BertPreTokenizer", "WhitespaceSplit", "Whitespace"}
WORD_NORMALIZERS = {"BertNormalizer", "Lowercase", "NFD", "NFC", "NFKD", "NFKC", "StripAccents", None}
# Control characters Python's str.split() splits on but BERT's normaliser deletes (joining the words
# around them); a text with one is counted whole.
ODD_SPACE = re.compile("[\x0b\x0c\x1c-\x1f\x85]")
# A sentence ends at . ! ? (and closing quotes or brackets) before white space and a character that can
# start a sentence, at a CJK full stop, or at a line break. Lower-case continuations ("L.A. and Orange
# Counties", "U.S. history") and initials ("John B. Weller") do not end a sentence.
BOUNDARY = re.compile(r"[.!?](?:(?<=[a-z)][.!?])\d{1,2}(?=\s+[A-Z]))?[\"'”’)\]]*\s+|(?<=[。！？])\s*|\s*\n\s*")
ABBREVIATIONS = frozenset("mr mrs ms dr prof st jr sr vs etc mt ft gen col lt sgt rev fig approx ca".split())
BEFORE_NUMBER = frozenset("max min no nr vol ch chap sec sect eq ref ver art pp ed".split())  # "max. 50 waypoints"
INITIALS = re.compile(r"(?:[a-z]\.)*[a-z]")  # "B" of "John B. Weller", "u.s", "e.g"
WORD_BEFORE = re.compile(r"(\S+)$")
# A line break inside a paragraph of hard-wrapped text (most .rst, .md and .txt files, wrapped at 70-80
# characters) does not end a sentence; one after a short line, before a deeper or shallower indent, before a
# list item, heading underline, table row or directive does.
WRAPPED_LINE = 40
NEW_BLOCK = re.compile(r"(?:[-*+•‣◦]\s|\d{1,3}[.)]\s|[#>|]|\.\. |([=\-~^\"'`*+_])\1{2,}\s*$)")
OPEN_END = "/-_=([{\\"  # a line ending in one of these leaves a path, word, token or bracket open
TABLE_CELL = " | "  # how the loaders join the cells of a table row
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
                    Span(
                        document.source,
                        start,
                        end,
                        line_start=bisect_right(newlines, start - 1) + 1,
                        line_end=bisect_right(newlines, end - 2) + 1,
                        page=number if document.pages else None,
                    ),
                    piece,
                )
            )
    return chunks


def page_of(document: Document, offset: int) -> int | None:
    """1-based page holding `offset`, or None for documents without pages."""
    if not document.pages:
        return None
    return bisect_right(document.pages, offset)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, white space trimmed."""
    spans, begin = [], 0
    for match in BOUNDARY.finditer(text):
        mark = match.group()[:1]
        if mark and mark in ".!?":
            if not ends_sentence(text, match.start(), match.end()):
                continue
            cut = match.start() + len(match.group().rstrip())
        elif continues_line(text, match.start(), match.end()):
            continue
        else:
            cut = match.start()
        spans.append((begin, cut))
        begin = match.end()
    spans.append((begin, len(text)))
    out = []
    for start, end in spans:
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            out.append((start + lead, start + lead + len(stripped)))
    return out


def ends_sentence(text: str, mark: int, after: int) -> bool:
    """Whether the . ! or ? at `mark`, followed by white space up to `after`, ends a sentence."""
    if after >= len(text) or "\n\n" in text[mark:after]:
        return True  # a blank line after it: the paragraph ends there, whatever comes next
    if (
        text[after].islower()
        or text[after] in ".…"
        or (text[mark] == "." and text[max(0, mark - 2) : mark] in (". ", ".."))
    ):
        return False  # a lower-case continuation, or inside or at the end of a dot leader or an ellipsis
    if text[mark] == ".":
        before = WORD_BEFORE.search(text, 0, mark)
        word = before.group(1).lstrip("([{\"'“‘").lower() if before else ""
        if word in ABBREVIATIONS or INITIALS.fullmatch(word) or (word in BEFORE_NUMBER and text[after].isdigit()):
            return False
        if word.isdigit() and not text[text.rfind("\n", 0, mark) + 1 : mark - len(word)].strip():
            return False  # the number of a list item: "1. When ..."
    return True


def continues_line(text: str, cut: int, after: int) -> bool:
    """Whether the single line break in text[cut:after] only wraps a sentence onto the next line."""
    gap = text[cut:after]
    if gap.count("\n") != 1:
        return False
    line = text[text.rfind("\n", 0, cut) + 1 : cut]
    words = line.strip()
    end = text.find("\n", after)
    if TABLE_CELL in line or TABLE_CELL in text[after : len(text) if end < 0 else end]:
        return False  # a table row is a line of its own
    if words and words[-1] in OPEN_END and not words.endswith(words[-1] * 3):
        return after < len(text) and NEW_BLOCK.match(text, after, len(text) if end < 0 else end) is None
    if re.search(r"[a-z]{2}\d{1,2}$", words) and text[after : after + 1].islower():
        return True  # a short line ends at a footnote's mark ("an alternative personal file8") and goes on
    if len(words) < WRAPPED_LINE or words[-1] in ".!?:;。！？" or DOT_LEADER.search(words):
        return False
    indent = len(line) - len(line.lstrip())
    next_indent = len(gap) - gap.index("\n") - 1
    if next_indent < indent or (indent == 0 and next_indent > 0 and not text[after : after + 1].islower()):
        return False
    return NEW_BLOCK.match(text, after, len(text) if end < 0 else end) is None
