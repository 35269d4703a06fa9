"""Question answering over a folder of documents, with exact citations."""

from qa.api import Index, IndexInfo, build_index, corpus_changed, open_index
from qa.config import Settings
from qa.errors import (
    CorpusError,
    IndexCorruptError,
    IndexFormatError,
    IndexLockedError,
    IndexMissingError,
    IndexWriteError,
    LLMError,
    QAError,
)
from qa.types import Answer, BuildReport, Chunk, Citation, Document, Hit, Skipped

__all__ = [
    "Answer", "BuildReport", "Chunk", "Citation", "CorpusError", "Document", "Hit", "Index", "IndexCorruptError",
    "IndexFormatError", "IndexInfo", "IndexLockedError", "IndexMissingError", "IndexWriteError", "LLMError",
    "QAError", "Settings", "Skipped", "build_index", "corpus_changed", "open_index",
]
