"""Lexical retrieval: a tokeniser that handles Latin and CJK text, and BM25 over chunks."""

from __future__ import annotations

import json
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
    lower = text.lower()
    if not CJK_RUN.search(lower):
        return _stemmer().stemWords([w for w in TOKEN.findall(lower) if w not in STOPWORDS])
    words: list[str] = []
    for match in TOKEN.finditer(lower):
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
    """BM25 scores over the chunks of one index version, rows mapped to chunk ids.

    bm25s builds and saves the score matrix (a column of precomputed BM25 scores per term); a query sums
    the columns of its terms, which numpy does here without importing bm25s and SciPy (half a second of a
    cold `qa ask`).
    """

    def __init__(self, ids: np.ndarray, vocab: dict[str, int], data: np.ndarray, indices: np.ndarray,
                 indptr: np.ndarray) -> None:
        self.ids = ids
        self.vocab = vocab
        self.data, self.indices, self.indptr = data, indices, indptr

    @classmethod
    def build(cls, ids: Sequence[int], documents: Sequence[Sequence[str]]) -> "Sparse":
        import bm25s

        model = bm25s.BM25()
        ids_array = np.asarray(ids, dtype=np.int64)
        if not documents:
            return cls(ids_array, {}, np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int32))
        model.index([list(d) for d in documents], show_progress=False)
        s = model.scores
        columns = len(s["indptr"]) - 1  # bm25s lists the empty term without a column of its own
        vocab = {term: int(i) for term, i in model.vocab_dict.items() if int(i) < columns}
        return cls(ids_array, vocab, s["data"], s["indices"], s["indptr"])

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in (("ids", self.ids), ("data", self.data), ("indices", self.indices), ("indptr", self.indptr)):
            np.save(folder / f"{name}.npy", array, allow_pickle=False)
        (folder / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> "Sparse":
        """The scores and their rows are mapped, not read: a query reads only its terms' columns."""
        arrays = [
            np.load(folder / f"{name}.npy", allow_pickle=False, mmap_mode="r" if name in ("data", "indices") else None)
            for name in ("ids", "data", "indices", "indptr")
        ]
        vocab = json.loads((folder / "vocab.json").read_text())
        ids, data, indices, indptr = arrays
        columns = len(indptr) - 1
        if not isinstance(vocab, dict) or any(not 0 <= i < columns for i in vocab.values()) or len(data) != len(indices):
            raise ValueError("BM25 files disagree in size")
        return cls(ids, vocab, data, indices, indptr)

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """The BM25 score of every row for these terms (a repeated term counts again, as in bm25s)."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        for term in query_terms:
            column = self.vocab.get(term)
            if column is not None:
                first, end = self.indptr[column], self.indptr[column + 1]
                np.add.at(out, self.indices[first:end], self.data[first:end])
        return out

    def top(self, query_terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(chunk id, score) of the best `k` chunks with a positive score."""
        if not query_terms or not len(self.ids):
            return []
        scores = self.scores(query_terms)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in best if scores[i] > 0]

    def idf(self, query_terms: Sequence[str]) -> dict[str, float]:
        """BM25 inverse document frequency of each term over this version's chunks."""
        n = len(self.ids)
        weights = {}
        for term in set(query_terms):
            column = self.vocab.get(term)
            df = int(self.indptr[column + 1] - self.indptr[column]) if column is not None else 0
            weights[term] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return weights
