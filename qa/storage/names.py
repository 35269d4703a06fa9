"""The index format: its version and the names of its files."""

from __future__ import annotations

import re

# 2: sentence vectors (sentences/) following the rules of qa.chunking.split_sentences, and BM25 as term
# frequencies (sparse/), scored at query time, so an update need not re-index every chunk.
# 3: the boxes table, where each line of a PDF or image lies on its page; exact/ beside a compressed index.
# 4: extracted text changed (PDF words rejoined at line-end hyphens, accent-quotes, running headers dropped,
# code lines set apart; HTML blocks, " | " table cells, no navigation) and so did sentence ends: re-embed all.
# 5: PDF tables read row by row with cells joined by " | ", paths broken at a PDF line end made whole.
# 6: duplicates stored once in the vector indexes: one vector per distinct chunk text, under its first chunk's id;
# HNSW between the flat and the IVF sizes.
# 7: a full stop before a blank line ends its sentence, whatever case the next paragraph opens with ("... to skip
# it.\n\noverride_dh_auto_test:" was one sentence): the stored sentence vectors are made again.
FORMAT_VERSION = 8
MANIFEST = "manifest.json"
CATALOG = "catalog.sqlite"
VECTORS = "vectors.faiss"
WORDS = "words"  # the corpus's words and their multilingual vectors (qa.translate), beside multilingual.faiss
MULTILINGUAL = "multilingual.faiss"  # the multilingual encoder's chunk vectors, where the build made them
SPARSE = "sparse"
SENTENCES = "sentences"
EXACT = "exact"  # float16 vectors beside a compressed FAISS index, for the re-rank and for updates
PARTS = ".parts"  # scratch rows and postings of a streamed build, inside the version folder until its commit
CHECKPOINT = ".checkpoint"  # vectors an interrupted build embedded (qa.storage.checkpoint)
CURRENT = "CURRENT"
LOCK = "lock"
REBUILD = "run `qa index --rebuild` to rebuild it"
# CURRENT holds the version's name and the SHA-256 of its manifest, so a damaged manifest is caught too;
# a pointer without the digest (written before it was added) is still read.
POINTER = re.compile(r"(v[0-9]{6,})(?: ([0-9a-f]{64}))?\n?")
VERSION = re.compile(r"v[0-9]{6,}")


def vector_files(name: str) -> tuple[str, str]:
    """The FAISS file and the exact-vectors folder of a named set of chunk vectors ("dense" is the first model's)."""
    return (VECTORS, EXACT) if name == "dense" else (f"vectors-{name}.faiss", f"{EXACT}-{name}")
