"""Rank chunks for a question: dense (FAISS) and lexical (BM25) scores fused, then the leading chunks
re-ranked by their best sentence, whose scores the answer reuses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from qa.embedding import Embedder
from qa.sparse import Sparse, terms
from qa.store import Snapshot
from qa.types import Hit

# A sentence ends at . ! ? (and closing quotes or brackets) before white space and a character that can
# start a sentence, at a CJK full stop, or at a line break. Lower-case continuations ("L.A. and Orange
# Counties", "U.S. history") and initials ("John B. Weller") do not end a sentence.
BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+|(?<=[。！？])\s*|\s*\n\s*")
ABBREVIATIONS = frozenset("mr mrs ms dr prof st jr sr vs etc mt ft gen col lt sgt rev fig approx ca".split())
INITIALS = re.compile(r"(?:[a-z]\.)*[a-z]")  # "B" of "John B. Weller", "u.s", "e.g"
WORD_BEFORE = re.compile(r"(\S+)$")


@dataclass(frozen=True)
class Fusion:
    """How retrieval evidence is combined; chosen on the tuning articles, see benchmarks/quality.py."""

    dense: float = 0.6  # weight of the cosine; the BM25 score, scaled so the best chunk has 1, gets 1 - dense
    pool: int = 50  # candidates taken from each list
    rerank: int = 5  # leading chunks whose sentences are embedded and scored (the query-time budget)
    sentence: float = 2.0  # weight of a chunk's best sentence score in its final score
    lexical: float = 1.5  # weight of question-term coverage next to the cosine in a sentence's score


@dataclass(frozen=True)
class Sentence:
    """A sentence of a retrieved chunk with its evidence for the question."""

    hit_rank: int  # 0-based rank of its chunk in Retrieval.hits
    hit: Hit
    start: int  # offsets into the source file's text
    end: int
    text: str
    cosine: float  # to the question
    lexical: float  # share of the question's term weight (BM25 idf) found in the sentence
    context: float  # the same share, found in the sentence or its neighbours in the chunk

    def score(self, lexical_weight: float) -> float:
        return self.cosine + lexical_weight * self.lexical


@dataclass(frozen=True)
class Retrieval:
    question: str
    vector: np.ndarray
    hits: tuple[Hit, ...]
    similarity: dict[int, float]  # cosine of the question to each dense candidate
    sentences: tuple[Sentence, ...] = ()  # those of the re-ranked hits, by hit rank then position


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, white space trimmed."""
    spans, begin = [], 0
    for match in BOUNDARY.finditer(text):
        mark = match.group()[:1]
        if mark and mark in ".!?":
            if not ends_sentence(text, match.start(), match.end()):
                continue
            cut = match.start() + len(match.group().rstrip())
        else:
            cut = match.start()
        spans.append((begin, cut))
        begin = match.end()
    spans.append((begin, len(text)))
    out = []
    for start, end in spans:
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            out.append((start + lead, start + lead + len(stripped)))
    return out


def ends_sentence(text: str, mark: int, after: int) -> bool:
    """Whether the . ! or ? at `mark`, followed by white space up to `after`, ends a sentence."""
    if after >= len(text):
        return True
    if text[after].islower():
        return False
    if text[mark] == ".":
        before = WORD_BEFORE.search(text, 0, mark)
        word = before.group(1).lstrip("([{\"'“‘").lower() if before else ""
        if word in ABBREVIATIONS or INITIALS.fullmatch(word):
            return False
    return True


def fuse(
    dense: Sequence[tuple[int, float]], sparse: Sequence[tuple[int, float]], dense_weight: float
) -> list[tuple[int, float]]:
    """Convex combination of the cosine and the BM25 score scaled to the best chunk; best first.

    A chunk missing from the dense list gets the lowest cosine listed, one missing from the BM25 list 0.
    """
    cosine = dict(dense)
    bm25 = dict(sparse)
    floor = min(cosine.values(), default=0.0)
    top = max(bm25.values(), default=0.0) or 1.0
    scores = {
        i: dense_weight * cosine.get(i, floor) + (1 - dense_weight) * bm25.get(i, 0.0) / top
        for i in {**cosine, **bm25}
    }
    return sorted(scores.items(), key=lambda p: (-p[1], p[0]))


def rrf(rankings: list[list[int]], weights: list[float], k: int = 60) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion, scaled so first place in every list scores 1 (a baseline)."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, chunk_id in enumerate(ranking):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank + 1)
    best = sum(weights) / (k + 1)
    return sorted(((i, s / best) for i, s in scores.items()), key=lambda p: -p[1])


def lexical_overlap(question_terms: set[str], found: set[str], idf: dict[str, float]) -> float:
    total = sum(idf.get(t, 0.0) for t in question_terms)
    if total <= 0:
        return 0.0
    return sum(idf.get(t, 0.0) for t in question_terms if t in found) / total


def sentences_of(
    hits: Sequence[Hit], vector: np.ndarray, question: str, embedder: Embedder, sparse: Sparse
) -> list[Sentence]:
    """Every sentence of `hits` (each once: overlapping chunks repeat text), embedded and scored."""
    seen: set[tuple[str, int]] = set()
    spans: list[tuple[int, Hit, int, int, str]] = []  # rank, hit, start, end, text
    for rank, hit in enumerate(hits):
        chunk = hit.chunk
        for start, end in split_sentences(chunk.text):
            key = (chunk.source, chunk.start + start)
            if key not in seen:
                seen.add(key)
                spans.append((rank, hit, chunk.start + start, chunk.start + end, chunk.text[start:end]))
    if not spans:
        return []
    cosine = embedder.encode([s[4] for s in spans], batch_size=64) @ vector
    question_terms = set(terms(question))
    idf = sparse.idf(sorted(question_terms))
    found = [set(terms(s[4])) for s in spans]
    out = []
    for n, (rank, hit, start, end, text) in enumerate(spans):
        near = set(found[n])
        for m in (n - 1, n + 1):
            if 0 <= m < len(spans) and spans[m][1] is hit:
                near |= found[m]
        out.append(Sentence(rank, hit, start, end, text, float(cosine[n]),
                            lexical_overlap(question_terms, found[n], idf), lexical_overlap(question_terms, near, idf)))
    return out


def retrieve(
    snapshot: Snapshot, embedder: Embedder, question: str, k: int, fusion: Fusion = Fusion()
) -> Retrieval:
    vector = embedder.encode_query(question)
    pool = max(fusion.pool, k)
    dense = snapshot.dense(vector, pool)
    sparse = snapshot.sparse.top(terms(question), pool)
    fused = fuse(dense, sparse, fusion.dense)[: max(k, fusion.rerank)]
    chunks = snapshot.chunks([i for i, _ in fused])
    ranked = [Hit(i, chunks[i], score) for i, score in fused if i in chunks]
    head, tail = ranked[: fusion.rerank], ranked[fusion.rerank :]
    sentences = sentences_of(head, vector, question, embedder, snapshot.sparse)
    best: dict[int, float] = {}
    for s in sentences:
        best[s.hit.chunk_id] = max(best.get(s.hit.chunk_id, -np.inf), s.score(fusion.lexical))
    # A chunk below the re-ranked ones is scored as if its best sentence were the weakest re-ranked
    # chunk's, which keeps scores in rank order.
    floor = min(best.values(), default=0.0)
    scored = [Hit(h.chunk_id, h.chunk, h.score + fusion.sentence * best.get(h.chunk_id, floor)) for h in head]
    scored.sort(key=lambda h: -h.score)
    scored += [Hit(h.chunk_id, h.chunk, h.score + fusion.sentence * floor) for h in tail]
    hits = tuple(Hit(h.chunk_id, h.chunk, round(h.score, 4)) for h in scored[:k])
    rank = {h.chunk_id: n for n, h in enumerate(hits)}
    kept = sorted(
        (Sentence(rank[s.hit.chunk_id], hits[rank[s.hit.chunk_id]], s.start, s.end, s.text, s.cosine, s.lexical, s.context)
         for s in sentences if s.hit.chunk_id in rank),
        key=lambda s: (s.hit_rank, s.start),
    )
    return Retrieval(question, vector, hits, dict(dense), tuple(kept))
