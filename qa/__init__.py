"""Question answering over a folder of documents, with exact citations.

The modules, in the order data flows through them:

    config        Settings: every knob, from defaults, QA_* variables and flags
    loaders       find the corpus files and read each into a Document
      paged       documents of pages: PDFs and images, with each line's box on its page
      pdf         pdfium: a page's text layer as placed lines, page images
      layout      reading order: columns, rows, paragraphs, running headers and footers
      ocr         text from page images (RapidOCR), bounded in time per page
    chunking      token-aware chunks that never cross a page, and sentence spans
    hardware      what this machine can run: CPU flags, CUDA, ONNX Runtime
    embedding     the encoder protocol and the choice of backend and precision
      encoders/   base (tokenising, pooling), pytorch, onnx, st (sentence-transformers)
    sparse        the tokeniser for Latin and CJK text, and BM25 as term frequencies
    vectors       FAISS index choice and updates, int8 sentence vectors
    storage/      the on-disk index: immutable versions behind a CURRENT pointer; the only code that
                  knows its file names, checksums and SQL (names, atomic, manifest, catalog, lock,
                  snapshot, writer)
    indexer       plan by content hash, load, embed, write a new version
      slices      the changed files read and chunked into slices of bounded memory
      streaming   a version written a slice at a time; where each slice's vectors come from
      postings    BM25 postings appended in on-disk parts, merged a block of terms at a time
      vectorsets  sentence vectors and named sets of chunk vectors appended, FAISS made at the end
      npyfile     a .npy file written a block of rows at a time
    meaning       question words matched to a passage by meaning (token states); the words that only frame it
      thesaurus   a second opinion on word meaning: each word read alone by the multilingual encoder
    retrieval     dense and BM25 fused, re-ranked by sentence
    followup      follow-up questions: asked with the earlier turns' topic, never repeating their answers
    kinds         what a question asks for (a command, path, option, number, date, name ...) and where a text has it
    units         the unit that holds a fact: a command block with its lead-in, a table row with its header
    furniture     page furniture (contents lines, page numbers, running headers), never an answer
    short         the short answer: the one span of a citation that is the thing asked for
    sequence      "which one comes right before X": the line next to the named one in a block
    ranking       the retrieved sentences ranked for the question, and those an answer cites
    answer        the extractive answer: the span that answers, or a refusal with its reason
    answerability whether the passages answer the question, and why not
    generate      answers from an OpenAI-compatible model server, checked against the passages
    api           the public API: build_index, open_index, Index.ask/search/stream
    serialize     the JSON shapes of the CLI and the HTTP API
    status        what an index holds and how it differs from its corpus
    watch         keep the index in sync with the corpus as files change
    evaluation    qa eval on SQuAD-style data; goldset: qa eval --questions
    cli           the qa command
    service       the app's state and handlers (chat, rebuild, upload, HTTP API), callable without a server
      views       what the app shows: sources with highlights and page images (pages), the sync state
      history     the conversation the browser keeps: its format, older copies, the Markdown export
      examples    example questions from the indexed documents, offered only when answered
      documents   the documents of an index for the Index tab, and removing one from the corpus
      uploads     files added from the browser, copied into the corpus under checked names
      ui_text     every string the app shows, in one place
    web           the Gradio layout, wired to the handlers, and the server

Beside them: types (the records that cross module boundaries), errors, files (digests, sizes),
fingerprint (the model weights' digest).

Names are imported on first use, so `qa --help` and `qa status` start without numpy, FAISS or torch.
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "qa.api": ("AnswerStream", "Index", "IndexInfo", "build_index", "corpus_changed", "open_index"),
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
        "BuildProgress",
        "BuildReport",
        "Chunk",
        "Citation",
        "Document",
        "Hit",
        "IndexStatus",
        "Region",
        "Skipped",
        "Span",
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
