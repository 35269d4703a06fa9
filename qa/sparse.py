"""Lexical retrieval: a tokeniser that handles Latin and CJK text, and BM25 over chunks."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
TOKEN = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+", re.UNICODE)
CJK_RUN = re.compile(rf"[{CJK}]")
STOPWORDS = frozenset(
    """a an and are as at be but by do does did for from had has have he her his how i if in
    into is it its of on or our she so than that the their them then there these they this to
    was we were what when where which who whom whose why will with you your""".split()
)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed words without stopwords; CJK runs become characters and bigrams."""
    words: list[str] = []
    for match in TOKEN.finditer(text.lower()):
        token = match.group()
        if CJK_RUN.match(token):
            words.extend(token)
            words.extend(token[i : i + 2] for i in range(len(token) - 1))
        elif token not in STOPWORDS:
            words.append(token)
    latin = [w for w in words if not CJK_RUN.match(w)]
    stems = iter(_stemmer().stemWords(latin))
    return [w if CJK_RUN.match(w) else next(stems) for w in words]


class Sparse:
    """BM25 scores over the chunks of one index version, rows mapped to chunk ids."""

    def __init__(self, model: object, ids: np.ndarray) -> None:
        self.model = model
        self.ids = ids

    @classmethod
    def build(cls, ids: Sequence[int], documents: Sequence[Sequence[str]]) -> "Sparse":
        import bm25s

        model = bm25s.BM25()
        if documents:
            model.index([list(d) for d in documents], show_progress=False)
        return cls(model, np.asarray(ids, dtype=np.int64))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if len(self.ids):
            self.model.save(str(folder), show_progress=False)  # type: ignore[attr-defined]
        np.save(folder / "ids.npy", self.ids, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> "Sparse":
        import bm25s

        ids = np.load(folder / "ids.npy", allow_pickle=False)
        model = bm25s.BM25.load(str(folder), show_progress=False) if len(ids) else None
        return cls(model, ids)

    def top(self, query_terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(chunk id, score) of the best `k` chunks with a positive score."""
        if self.model is None or not query_terms or not len(self.ids):
            return []
        scores = self.model.get_scores(list(query_terms))  # type: ignore[attr-defined]
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best])]
        return [(int(self.ids[i]), float(scores[i])) for i in best if scores[i] > 0]

    def idf(self, query_terms: Sequence[str]) -> dict[str, float]:
        """BM25 inverse document frequency of each term over this version's chunks."""
        n = len(self.ids)
        vocab = getattr(self.model, "vocab_dict", {}) if self.model is not None else {}
        indptr = self.model.scores["indptr"] if self.model is not None else None  # type: ignore[attr-defined]
        weights = {}
        for term in set(query_terms):
            position = vocab.get(term)
            df = int(indptr[position + 1] - indptr[position]) if position is not None else 0
            weights[term] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return weights
