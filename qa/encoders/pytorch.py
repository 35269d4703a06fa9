"""The torch backend: a BERT forward pass written over the model's safetensors weights, on CPU or a CUDA GPU.

Importing sentence-transformers or transformers costs several seconds more than torch itself (they pull in
SciPy, scikit-learn, sympy and torch.distributed), which every cold `qa ask` would pay, and their per-call
overhead shows in query latency; this pass needs only torch and safetensors.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from qa.encoders.base import GELU, TokenEncoder, read_config

DTYPES = {"float32": "float32", "bfloat16": "bfloat16", "float16": "float16"}
# oneDNN keeps the compiled kernels of its last 1,024 matmul shapes. A build's batches are nearly all of
# different shapes (texts x tokens), so the cache never hits there and grew a build by about 70 KB a chunk, to
# hundreds of MB; 64 keeps a server's repeated shapes. Read when oneDNN makes its first kernel, so set here.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "64")
# ideep (torch's layer over oneDNN for its bf16 matmuls) keeps its own cache of 1,024 of them, read from this
# variable at its first matmul: over a build's many shapes it grew by about 1 MB a batch.
os.environ.setdefault("LRU_CACHE_CAPACITY", "64")
# A pass over one text of at most this many tokens (a question) runs on one thread: on 2 CPUs busy with other
# work a question's pass took 87-143 ms at the median with torch's two threads and 12-15 ms with one.
ONE_THREAD_TOKENS = 128


class OneThread:
    """torch's intra-op threads set to one while any single-question pass runs, and given back after the last;
    torch's thread count is the process's, so concurrent questions share one count of who is inside."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.saved = 0

    @contextmanager
    def __call__(self) -> Iterator[None]:
        import torch

        with self.lock:
            if not self.inside:
                self.saved = torch.get_num_threads()
                torch.set_num_threads(1)
            self.inside += 1
        try:
            yield
        finally:
            with self.lock:
                self.inside -= 1
                if not self.inside:
                    torch.set_num_threads(self.saved)


one_thread = OneThread()


class Bert:
    """The forward pass of a BERT encoder, from its safetensors weights; query, key and value fused in one matmul."""

    def __init__(self, path: str, dtype: Any, device: str = "cpu") -> None:
        import torch
        from safetensors.torch import load_file

        config = read_config(path, "config.json")
        weights = {k.removeprefix("bert."): v for k, v in load_file(str(Path(path) / "model.safetensors")).items()}

        def w(name: str) -> Any:
            return weights[name].to(device=device, dtype=dtype).contiguous()

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
            self.layers.append(
                (
                    torch.cat([w(a + "query.weight"), w(a + "key.weight"), w(a + "value.weight")]),
                    torch.cat([w(a + "query.bias"), w(a + "key.bias"), w(a + "value.bias")]),
                    w(p + "attention.output.dense.weight"),
                    w(p + "attention.output.dense.bias"),
                    w(p + "attention.output.LayerNorm.weight"),
                    w(p + "attention.output.LayerNorm.bias"),
                    w(p + "intermediate.dense.weight"),
                    w(p + "intermediate.dense.bias"),
                    w(p + "output.dense.weight"),
                    w(p + "output.dense.bias"),
                    w(p + "output.LayerNorm.weight"),
                    w(p + "output.LayerNorm.bias"),
                )
            )
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


class TorchEncoder(TokenEncoder):
    """torch on the CPU, float32 or bfloat16 (fast only where the CPU has AVX-512 BF16 or AMX)."""

    backend = "torch"
    device = "cpu"

    def __init__(self, path: str, precision: str) -> None:
        import torch

        self.model = Bert(path, getattr(torch, DTYPES[precision]), self.device)
        super().__init__(path, precision, self.model.max_positions, self.model.hidden)

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.device == "cpu" and ids.shape[0] == 1 and ids.shape[1] <= ONE_THREAD_TOKENS:
            with one_thread():
                return self._states(ids, mask)
        return self._states(ids, mask)

    def _states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            states = self.model(torch.from_numpy(ids).to(self.device), torch.from_numpy(mask).to(self.device))
            return states.float().cpu().numpy()


class CudaEncoder(TorchEncoder):
    """torch on a CUDA GPU, float16 or bfloat16; batches are sorted by length as on the CPU."""

    device = "cuda"
