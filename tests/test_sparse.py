"""BM25 at query time: the scores of bm25s, updates equal to a fresh build."""

from __future__ import annotations

import numpy as np
import pytest

from qa.sparse import Sparse


def test_bm25_scores_equal_bm25s_and_survive_a_save(tmp_path):
    import bm25s

    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(40)]
    documents = [list(rng.choice(words, size=int(rng.integers(0, 25)))) for _ in range(150)]
    sparse = Sparse.build(list(range(1000, 1150)), documents)
    sparse.save(tmp_path / "sparse", lambda path, data: path.write_bytes(data))
    loaded = Sparse.load(tmp_path / "sparse")
    reference = bm25s.BM25()
    reference.index(documents, show_progress=False)
    for query in (["w1"], ["w2", "w3", "w3"], ["w5", "unknown"]):
        expected = reference.get_scores([t for t in query if t in reference.vocab_dict])
        assert np.allclose(loaded.scores(query), expected)
        top = loaded.top(query, 5)
        assert [round(s, 5) for _, s in top] == [round(float(s), 5) for s in np.sort(expected)[::-1][:5] if s > 0]
        assert all(abs(expected[chunk_id - 1000] - s) < 1e-6 for chunk_id, s in top)
    assert loaded.top(["unknown"], 5) == []


def test_bm25_updated_equals_bm25_built_from_scratch():
    rng = np.random.default_rng(11)
    words = [f"w{i}" for i in range(30)]
    docs = {i: list(rng.choice(words, size=int(rng.integers(1, 20)))) for i in range(1, 41)}
    first = Sparse.build(list(docs), list(docs.values()))
    removed = [3, 17, 40]  # 40 is the highest id: SQLite gives it to the next chunk again
    added = {40: ["w1", "w1", "w29", "fresh"], 41: ["w2", "fresh"]}
    updated = first.updated(removed, list(added), list(added.values()))
    final = {i: d for i, d in docs.items() if i not in removed} | added
    rebuilt = Sparse.build(list(final), list(final.values()))
    assert sorted(updated.ids.tolist()) == sorted(final)
    for query in (["w1"], ["w2", "w5"], ["fresh", "w29"], ["w0", "w0"]):
        assert dict(updated.top(query, 50)) == pytest.approx(dict(rebuilt.top(query, 50)))


def test_the_rows_holding_every_term_of_a_name(tmp_path):
    documents = [["keep", "within"], ["keep"], ["within", "keep", "daily"], ["daily"]]
    sparse = Sparse.build([10, 11, 12, 13], documents)
    sparse.save(tmp_path / "sparse", lambda path, data: path.write_bytes(data))
    loaded = Sparse.load(tmp_path / "sparse")
    assert sorted(loaded.holding(["keep", "within"]).tolist()) == [10, 12]
    assert loaded.holding(["keep", "unknown"]).tolist() == []
    assert sorted(loaded.holding(["daily"]).tolist()) == [12, 13]
