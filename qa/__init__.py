"""Question answering over a folder of documents, with exact citations.

Names are imported on first use, so `qa --help` and `qa status` start without numpy, FAISS or torch.
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "qa.api": ("Index", "IndexInfo", "build_index", "corpus_changed", "open_index"),
    "qa.config": ("Settings",),
    "qa.errors": (
        "CorpusError",
        "EncoderError",
        "IndexCorruptError",
        "IndexFormatError",
        "IndexLockedError",
        "IndexMissingError",
        "IndexWriteError",
        "LLMError",
        "QAError",
    ),
    "qa.status": ("index_status",),
    "qa.types": (
        "Answer",
        "Box",
        "BuildReport",
        "Chunk",
        "Citation",
        "Document",
        "Hit",
        "IndexStatus",
        "Region",
        "Skipped",
        "SyncState",
        "WatchEvent",
    ),
    "qa.watch": ("Watcher",),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_HOME_OF)


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
