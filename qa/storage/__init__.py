"""The on-disk index: immutable versions (manifest, FAISS vectors, SQLite catalog, BM25, sentence vectors)
behind a CURRENT pointer. The only code that knows the index's file names, checksums and SQL.

    names      the format version and the file names
    atomic     writes that reach the disk or fail with a reason
    manifest   what a version holds, its checksums, the CURRENT pointer
    catalog    documents, chunks and line boxes in SQLite
    lock       one build at a time
    snapshot   reading a version
    writer     writing the next version
    checkpoint vectors an interrupted build embedded, for the next one
"""

from qa.storage.atomic import data_files, write_error
from qa.storage.catalog import DocumentRow, DocumentStats, read_documents
from qa.storage.checkpoint import Checkpoint, Recipe, checkpoint_chunks, discard_checkpoint, text_key
from qa.storage.lock import build_lock
from qa.storage.manifest import (
    Manifest,
    check_compatible,
    current_folder,
    now_iso,
    read_manifest,
    read_pointer,
    verify,
    verify_current,
)
from qa.storage.names import (
    CATALOG,
    CURRENT,
    FORMAT_VERSION,
    LOCK,
    MANIFEST,
    MULTILINGUAL,
    REBUILD,
    SENTENCES,
    SPARSE,
    VECTORS,
)
from qa.storage.snapshot import (
    Snapshot,
    base_vectors,
    catalog_of,
    multilingual_parts,
    open_snapshot,
    read_exact,
    read_sentences,
    read_sparse,
    read_vectors,
    read_words,
    serving_bytes,
)
from qa.storage.writer import VersionWriter, prune

__all__ = [
    "CATALOG",
    "CURRENT",
    "FORMAT_VERSION",
    "LOCK",
    "MANIFEST",
    "MULTILINGUAL",
    "REBUILD",
    "SENTENCES",
    "SPARSE",
    "VECTORS",
    "Checkpoint",
    "DocumentRow",
    "DocumentStats",
    "Manifest",
    "Recipe",
    "Snapshot",
    "VersionWriter",
    "base_vectors",
    "build_lock",
    "catalog_of",
    "check_compatible",
    "checkpoint_chunks",
    "current_folder",
    "data_files",
    "discard_checkpoint",
    "multilingual_parts",
    "now_iso",
    "open_snapshot",
    "prune",
    "read_documents",
    "read_exact",
    "read_manifest",
    "read_pointer",
    "read_sentences",
    "read_sparse",
    "read_vectors",
    "read_words",
    "serving_bytes",
    "text_key",
    "verify",
    "verify_current",
    "write_error",
]
