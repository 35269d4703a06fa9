"""Lexical retrieval: a tokeniser that handles Latin and CJK text, and BM25 over chunks."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.vectors import npy_bytes

CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
TOKEN = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+", re.UNICODE)
CJK_RUN = re.compile(rf"[{CJK}]")
STOPWORDS = frozenset(
    """a an and are as at be but by do does did for from had has have he her his how i if in
    into is it its of on or our she so than that the their them then there these they this to
    was we were what when where which who whom whose why will with you your""".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
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
    """BM25 over the chunks of one index version (Lucene's variant, as bm25s computes it), rows mapped to
    chunk ids.

    The index keeps term frequencies, not scores: a column of (row, frequency) postings per term, and each
    row's length. A query scores only its terms' columns, so nothing BM25 needs is recomputed when
    documents change: `updated` drops and adds postings in numpy instead of re-indexing every chunk
    (bm25s, which bakes corpus-wide statistics into its scores, took 2.5 s of every one-file update of
    the PEP index).
    """

    K1 = 1.5
    B = 0.75
    ARRAYS = ("ids", "lengths", "indptr", "rows", "counts")

    def __init__(
        self,
        ids: np.ndarray,
        lengths: np.ndarray,
        vocab: dict[str, int],
        indptr: np.ndarray,
        rows: np.ndarray,
        counts: np.ndarray,
    ) -> None:
        self.ids = ids  # chunk id of each row
        self.lengths = lengths  # terms in each row
        self.vocab = vocab  # term -> column
        self.indptr, self.rows, self.counts = indptr, rows, counts  # column t: rows[indptr[t]:indptr[t + 1]]
        self.average = float(lengths.mean()) if len(lengths) else 1.0

    @classmethod
    def build(cls, ids: Sequence[int], documents: Sequence[Sequence[str]]) -> Sparse:
        return cls.empty().updated((), ids, documents)

    @classmethod
    def empty(cls) -> Sparse:
        return cls(
            np.zeros(0, np.int64),
            np.zeros(0, np.int32),
            {},
            np.zeros(1, np.int64),
            np.zeros(0, np.int32),
            np.zeros(0, np.int32),
        )

    def updated(self, removed: Sequence[int], ids: Sequence[int], documents: Sequence[Sequence[str]]) -> Sparse:
        """A new Sparse without the rows of chunk ids `removed` and with `documents` as rows for `ids`."""
        vocab = dict(self.vocab)
        new_terms, new_rows, new_counts = [], [], []
        for row, document in enumerate(documents, start=len(self.ids)):
            for term, count in Counter(document).items():
                new_terms.append(vocab.setdefault(term, len(vocab)))
                new_rows.append(row)
                new_counts.append(count)
        columns = np.repeat(np.arange(len(self.indptr) - 1), np.diff(self.indptr))
        term_ids = np.concatenate([columns, np.asarray(new_terms, np.int64)])
        rows = np.concatenate([self.rows.astype(np.int64), np.asarray(new_rows, np.int64)])
        counts = np.concatenate([self.counts, np.asarray(new_counts, np.int32)])
        all_ids = np.concatenate([self.ids, np.asarray(ids, np.int64)])
        lengths = np.concatenate([self.lengths, np.asarray([len(d) for d in documents], np.int32)])
        keep = np.concatenate([~np.isin(self.ids, np.asarray(removed, np.int64)), np.ones(len(ids), bool)])
        renumber = np.cumsum(keep) - 1
        postings = keep[rows]
        term_ids, rows, counts = term_ids[postings], renumber[rows[postings]], counts[postings]
        order = np.lexsort((rows, term_ids))
        indptr = np.concatenate([[0], np.cumsum(np.bincount(term_ids, minlength=len(vocab)))])
        return Sparse(
            all_ids[keep], lengths[keep], vocab, indptr.astype(np.int64), rows[order].astype(np.int32), counts[order]
        )

    def save(self, folder: Path, write: Callable[[Path, bytes], None]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in self.ARRAYS:
            write(folder / f"{name}.npy", npy_bytes(getattr(self, name)))
        write(folder / "vocab.json", json.dumps(self.vocab, ensure_ascii=False).encode())

    @classmethod
    def load(cls, folder: Path) -> Sparse:
        """The postings are mapped, not read: a query reads only its terms' columns."""
        ids, lengths, indptr, rows, counts = (
            np.load(folder / f"{name}.npy", allow_pickle=False, mmap_mode="r" if name in ("rows", "counts") else None)
            for name in cls.ARRAYS
        )
        vocab = json.loads((folder / "vocab.json").read_text())
        columns = len(indptr) - 1
        if (
            not isinstance(vocab, dict)
            or len(vocab) != columns
            or len(ids) != len(lengths)
            or len(rows) != len(counts)
            or (columns and int(indptr[-1]) != len(rows))
            or any(not isinstance(i, int) or not 0 <= i < columns for i in vocab.values())
        ):
            raise ValueError("BM25 files disagree in size")
        return cls(ids, lengths, vocab, indptr, rows, counts)

    def _idf(self, column: int) -> float:
        df = int(self.indptr[column + 1] - self.indptr[column])
        return float(np.log(1 + (len(self.ids) - df + 0.5) / (df + 0.5)))

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """The BM25 score of every row for these terms (a repeated term counts again, as in bm25s)."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        for term in query_terms:
            column = self.vocab.get(term)
            if column is None:
                continue
            first, end = self.indptr[column], self.indptr[column + 1]
            rows = np.asarray(self.rows[first:end])
            tf = np.asarray(self.counts[first:end], dtype=np.float32)
            norm = self.K1 * (1 - self.B + self.B * self.lengths[rows] / self.average)
            out[rows] += self._idf(column) * tf / (tf + norm)  # a column names each row once
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

    def holding(self, query_terms: Sequence[str]) -> np.ndarray:
        """Chunk ids of the rows that hold every one of the terms."""
        rows: np.ndarray | None = None
        for term in set(query_terms):
            column = self.vocab.get(term)
            if column is None:
                return np.zeros(0, np.int64)
            found = np.asarray(self.rows[self.indptr[column] : self.indptr[column + 1]])
            rows = found if rows is None else np.intersect1d(rows, found, assume_unique=True)
        return np.zeros(0, np.int64) if rows is None else self.ids[rows]

    def idf(self, query_terms: Sequence[str]) -> dict[str, float]:
        """BM25 inverse document frequency of each term over this version's chunks."""
        weights = {}
        for term in set(query_terms):
            column = self.vocab.get(term)
            weights[term] = self._idf(column) if column is not None else self.absent_idf()
        return weights

    def absent_idf(self) -> float:
        """The IDF of a term no chunk holds: the largest there is in this corpus."""
        return float(np.log(1 + (len(self.ids) + 0.5) / 0.5))
