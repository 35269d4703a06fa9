"""What every encoder backend of a BERT-family model shares: its files, tokenizer, length batching and pooling.

A backend only runs the forward pass (`TokenEncoder.hidden`); turning texts into token ids, batching them by
length, mean or CLS pooling and the sentence vectors of `encode_passages` happen here, the same for all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa import heap

Progress = Callable[[int, int], None]
# A batch holds `batch_size` texts (32: measured fastest on 2 cores), more of short texts up to TOKENS_PER_BATCH
# padded tokens, and only texts at least MIN_FILL as long as its longest. 8,192 tokens (more chunks a batch)
# took the same CPU as 4,096 but raised a build's peak by 0.3 GB: the heap holds each batch's freed tensors until
# it is trimmed (2,000 generated chunks: 0.59 GB against 0.90-0.92 GB, 30.3 against 32.0 s of CPU).
TOKENS_PER_BATCH = 4096
MIN_FILL = 0.8
TOKENIZE_AT_ONCE = 2048
# A batch is padded to a multiple of WIDTH_STEP tokens. torch keeps a compiled kernel for every shape it meets
# (oneDNN's and ideep's caches, and the bf16 attention's brgemm kernels in a cache that is never emptied); batches
# padded only to their longest text came in every width from 1 to 256, and a long build grew by about 12 KB a
# chunk. With steps of 16 a model of 256 positions meets 16 widths; the extra padding costs about 4% of the tokens.
WIDTH_STEP = 16
# Every RELEASE_EVERY batches the heap's freed pages go back to the system (qa.heap): each batch frees a few
# hundred MB of tensors that glibc would otherwise keep, scattered, for good. 2,000 PEP chunks, peak RSS and wall:
# never 1.10 GB; every batch 0.69 GB but 10% slower (page faults); every second 0.80 GB at no measurable cost.
RELEASE_EVERY = 2
PROGRESS_EVERY = 256
SIMPLE_MODULES = {
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
}
GELU = {"gelu": "none", "gelu_new": "tanh", "gelu_pytorch_tanh": "tanh"}  # config's hidden_act: torch's approximate


def read_config(path: str, name: str) -> Any:
    try:
        return json.loads((Path(path) / name).read_text())
    except (OSError, ValueError):
        return {}


def pooling_mode(path: str) -> str | None:
    """'mean' or 'cls' for a BERT model with Transformer, Pooling and Normalize modules; None for anything else."""
    modules = read_config(path, "modules.json")
    config = read_config(path, "config.json")
    if not isinstance(modules, list) or {m.get("type") for m in modules} != SIMPLE_MODULES:
        return None
    if config.get("model_type") != "bert" or config.get("position_embedding_type", "absolute") != "absolute":
        return None
    if config.get("hidden_act") not in GELU or not (Path(path) / "model.safetensors").is_file():
        return None
    pooling = next(m for m in modules if m["type"].endswith("Pooling"))
    options = read_config(path, str(Path(pooling.get("path", "")) / "config.json"))
    modes = [k for k, v in options.items() if k.startswith("pooling_mode") and v is True]
    return (
        {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(modes[0]) if len(modes) == 1 else None
    )


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


def batch_size_for(lengths: np.ndarray, batch_size: int) -> int:
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


def padded_width(longest: int, limit: int) -> int:
    """The width a batch whose longest text has `longest` tokens is padded to: the next multiple of WIDTH_STEP,
    never past `limit` (the model's) unless the text itself is."""
    return max(longest, min(-(-longest // WIDTH_STEP) * WIDTH_STEP, limit))


def normalize(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


class TokenEncoder:
    """Texts to L2-normalised vectors for a BERT-family model; a subclass runs the forward pass in `hidden`."""

    backend = "base"
    device = "cpu"

    def __init__(self, path: str, precision: str, max_positions: int, dimension: int) -> None:
        self.path = path
        self.precision = precision
        self.pooling = pooling_mode(path) or "mean"
        limit = read_config(path, "sentence_bert_config.json").get("max_seq_length") or 512
        self.max_tokens = min(int(limit), max_positions)
        self.dimension = dimension
        self._tokens = load_tokenizer(path, self.max_tokens)
        self._hf_tokenizer: Any = None

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states, float32 (batch, tokens, dimension), for int64 token ids and a boolean mask."""
        raise NotImplementedError

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
        progress: Progress | None = None,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        """Vectors for `texts` as float32 rows, in order; `progress(done, total)` now and then.

        Texts are embedded longest first in batches of similar length, so little time goes to padding.
        """
        if not len(texts):
            return np.zeros((0, self.dimension), dtype=np.float32)
        tokens, _ = self._tokenize(texts)
        return self._encode(tokens, None, batch_size, progress)[0]

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode_passages(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        batch_size: int = 32,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of `texts` (float32), and of their sentences (`spans`: character ranges of each text), in
        order, as float16: a corpus has ten times more sentences than chunks, and their cosines are only
        needed to two decimals.

        A sentence's vector is the mean of its tokens' states in the passage's own forward pass ("late
        chunking"), so sentences cost no model time of their own and carry their passage's context.
        """
        if not len(texts):
            return np.zeros((0, self.dimension), np.float32), np.zeros((0, self.dimension), np.float16)
        tokens, ranges = self._tokenize(texts, spans)
        vectors, sentences = self._encode(tokens, ranges, batch_size, progress)
        assert len(sentences) == sum(len(s) for s in spans)
        return vectors, sentences

    def _encode(
        self, tokens: list[np.ndarray], ranges: list[np.ndarray] | None, batch_size: int, progress: Progress | None
    ) -> tuple[np.ndarray, np.ndarray]:
        lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
        order = np.argsort(-lengths, kind="stable")
        out = np.empty((len(tokens), self.dimension), dtype=np.float32)
        counts = np.array([len(r) for r in ranges], dtype=np.int64) if ranges is not None else np.zeros(0, np.int64)
        first = np.concatenate([[0], np.cumsum(counts)]) if ranges is not None else counts
        sentences = np.empty((int(counts.sum()), self.dimension), dtype=np.float16)
        done = reported = batches = 0
        while done < len(order):
            longest = padded_width(int(lengths[order[done]]), self.max_tokens)
            end = done + batch_size_for(lengths[order[done : done + 4 * batch_size]], batch_size)
            ids = order[done:end]
            batch_ranges = [ranges[i] for i in ids] if ranges is not None else None
            out[ids], pooled = self._pool([tokens[i] for i in ids], longest, batch_ranges)
            for i, rows in zip(ids, pooled):
                sentences[first[i] : first[i] + len(rows)] = rows
            done = end
            batches += 1
            if done < len(order) and batches % RELEASE_EVERY == 0:
                heap.release()
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
            encoded = self._tokens.encode_batch_fast(part) if spans is None else self._tokens.encode_batch(part)
            for n, e in enumerate(encoded):
                ids.append(np.asarray(e.ids, dtype=np.int64))
                if ranges is not None and spans is not None:
                    ranges.append(token_ranges(e, spans[begin + n]))
        return ids, ranges

    def _pool(
        self, rows: list[np.ndarray], width: int, ranges: list[np.ndarray] | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Pooled vectors of `rows`, and the vectors of each row's token `ranges` (mean of their states)."""
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=bool)
        for n, row in enumerate(rows):
            ids[n, : len(row)] = row
            mask[n, : len(row)] = True
        hidden = self.hidden(ids, mask)
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = np.einsum("btd,bt->bd", hidden, mask.astype(np.float32)) / np.maximum(weights.sum(1), 1.0)
        parts: list[np.ndarray] = []
        if ranges is not None:
            sums = np.zeros((hidden.shape[0], width + 1, hidden.shape[2]), dtype=np.float32)
            np.cumsum(hidden, axis=1, out=sums[:, 1:])
            for n, marks in enumerate(ranges):
                if not len(marks):
                    parts.append(np.zeros((0, self.dimension), dtype=np.float32))
                    continue
                first, end = marks[:, 0], marks[:, 1]
                size = np.maximum(end - first, 1)[:, None]
                mean = (sums[n, end] - sums[n, first]) / size
                mean[end <= first] = pooled[n]  # a sentence truncation cut off: its passage's vector
                parts.append(normalize(mean))
        return normalize(pooled).astype(np.float32, copy=False), parts
