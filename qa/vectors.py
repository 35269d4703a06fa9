"""FAISS vector indexes keyed by chunk id: flat below a size threshold, approximate above."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np


def choose_factory(requested: str, count: int, threshold: int) -> tuple[str, str]:
    """(FAISS factory string, search parameters) for `count` vectors."""
    if requested not in ("auto", ""):
        return requested, default_params(requested, count)
    if count <= threshold:
        return "Flat", ""
    nlist = 1 << max(6, round(math.log2(4 * math.sqrt(count))))
    return f"IVF{nlist},Flat", default_params(f"IVF{nlist},Flat", count)


def default_params(factory: str, count: int) -> str:
    if factory.startswith("IVF"):
        nlist = int(factory[3:].split(",")[0].split("_")[0])
        return f"nprobe={max(8, nlist // 32)}"
    if factory.startswith("HNSW"):
        return "efSearch=128"
    return ""


def build_index(dimension: int, factory: str, ids: np.ndarray, vectors: np.ndarray) -> Any:
    import faiss

    index = faiss.index_factory(dimension, f"IDMap2,{factory}", faiss.METRIC_INNER_PRODUCT)
    if not index.is_trained and len(vectors):
        sample = vectors if len(vectors) <= 256 * 1024 else vectors[np.random.default_rng(0).choice(len(vectors), 256 * 1024, replace=False)]
        index.train(sample)
    if len(vectors):
        index.add_with_ids(vectors, ids)
    return index


def contents(index: Any) -> tuple[np.ndarray, np.ndarray]:
    """All (ids, vectors) stored in an IDMap2 index."""
    import faiss

    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    inner = faiss.downcast_index(index.index)
    if isinstance(inner, faiss.IndexIVF):
        inner.make_direct_map()
    vectors = inner.reconstruct_n(0, inner.ntotal) if inner.ntotal else np.zeros((0, index.d), np.float32)
    return ids, vectors


def updated(
    base: Any | None,
    dimension: int,
    factory: str,
    removed: Sequence[int],
    new_ids: Sequence[int],
    new_vectors: np.ndarray,
) -> Any:
    """The base index without `removed` and with the new vectors; flat indexes are edited in place."""
    new_ids_arr = np.asarray(new_ids, dtype=np.int64)
    if base is not None and factory == "Flat" and _factory_of(base) == "Flat":
        if len(removed):
            base.remove_ids(np.asarray(removed, dtype=np.int64))
        if len(new_ids_arr):
            base.add_with_ids(new_vectors, new_ids_arr)
        return base
    if base is None:
        ids, vectors = np.zeros(0, np.int64), np.zeros((0, dimension), np.float32)
    else:
        ids, vectors = contents(base)
        keep = ~np.isin(ids, np.asarray(removed, dtype=np.int64))
        ids, vectors = ids[keep], vectors[keep]
    all_ids = np.concatenate([ids, new_ids_arr])
    all_vectors = np.concatenate([vectors, new_vectors.reshape(-1, dimension)]).astype(np.float32)
    return build_index(dimension, factory, all_ids, all_vectors)


def _factory_of(index: Any) -> str:
    import faiss

    return "Flat" if isinstance(faiss.downcast_index(index.index), faiss.IndexFlat) else "other"
