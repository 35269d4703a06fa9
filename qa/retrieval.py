"""Rank chunks for a question: dense (FAISS) and lexical (BM25) lists fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.embedding import Embedder
from qa.sparse import terms
from qa.store import Snapshot
from qa.types import Hit

RRF_K = 60
POOL = 50


@dataclass(frozen=True)
class Retrieval:
    question: str
    vector: np.ndarray
    hits: tuple[Hit, ...]
    similarity: dict[int, float]  # cosine of the question to each dense candidate


def fuse(rankings: list[list[int]], weights: list[float], k: int = RRF_K) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion, scaled so first place in every list scores 1."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, chunk_id in enumerate(ranking):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank + 1)
    best = sum(weights) / (k + 1)
    return sorted(((i, s / best) for i, s in scores.items()), key=lambda p: -p[1])


def retrieve(
    snapshot: Snapshot, embedder: Embedder, question: str, k: int, dense_weight: float = 1.0, sparse_weight: float = 1.0
) -> Retrieval:
    vector = embedder.encode_query(question)
    dense = snapshot.dense(vector, max(POOL, k))
    sparse = snapshot.sparse.top(terms(question), max(POOL, k))
    fused = fuse([[i for i, _ in dense], [i for i, _ in sparse]], [dense_weight, sparse_weight])[:k]
    chunks = snapshot.chunks([i for i, _ in fused])
    hits = tuple(Hit(i, chunks[i], round(score, 4)) for i, score in fused if i in chunks)
    return Retrieval(question, vector, hits, dict(dense))
