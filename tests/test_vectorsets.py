"""The vectors of a version being built: what an approximate index is trained on."""

from __future__ import annotations

import numpy as np

from qa import vectors, vectorsets
from qa.vectors import RowFile
from qa.vectorsets import DenseWriter


def test_the_training_sample_is_the_chosen_rows_of_base_then_new_vectors_filled_block_by_block(tmp_path, monkeypatch):
    import faiss

    monkeypatch.setattr(vectorsets, "BLOCK", 7)
    monkeypatch.setattr(vectors, "TRAIN_PER_LIST", 5)  # IVF8: 40 of the 73 vectors
    rng = np.random.default_rng(3)
    base_rows = rng.standard_normal((45, 16)).astype(np.float32)
    base = faiss.IndexIDMap2(faiss.IndexFlatIP(16))
    base.add_with_ids(base_rows, np.arange(100, 145, dtype=np.int64))
    writer = DenseWriter(tmp_path / "dense.npy", base, None)
    new_rows = rng.standard_normal((30, 16)).astype(np.float32)
    writer.append(np.arange(200, 230, dtype=np.int64), new_rows)
    kept = np.arange(102, 145, dtype=np.int64)  # two base vectors removed
    new = RowFile(writer.rows.close())
    index = faiss.index_factory(16, "IVF8,Flat", faiss.METRIC_INNER_PRODUCT)

    sample = writer._sample(index, kept, new)

    rows = vectors.training_rows(index, len(kept) + len(new_rows))
    assert len(rows) == 40 and (rows < len(kept)).any() and (rows >= len(kept)).any()
    everything = np.concatenate([base_rows[2:], new_rows])
    assert sample.dtype == np.float32 and sample.shape == (40, 16)
    np.testing.assert_array_equal(sample, everything[rows])
