"""A vector set in parts: a build writes its index a part at a time, never whole, and a reader searches the parts
as the one index they replace; updates, checksums and the multilingual set read them as they read one file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import SHARED, assert_same_index, index_contents, write

from qa import build_index, open_index, storage, vectorparts
from qa.errors import IndexCorruptError
from qa.vectorparts import Parts, PartWriter, copies, numbered, part_name, share

PEPS = SHARED / "corpora" / "peps"
FORCED = {"precision": "float32", "backend": "torch", "device": "cpu"}
ACROSS = ("Qu'est-ce qu'un décorateur ?", "异常是如何链接的？")


def _unit_rows(count: int, dimension: int = 16, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _in_parts(factory: str, rows: np.ndarray, ids: np.ndarray, part: int, trained=None) -> Parts:
    import faiss

    written: list = []
    blank = trained or faiss.index_factory(rows.shape[1], f"IDMap2,{factory}", faiss.METRIC_INNER_PRODUCT)
    writer = PartWriter(len(rows), copies(blank), lambda n, index: written.append((n, index)))
    writer.add((ids[n : n + 100], rows[n : n + 100]) for n in range(0, len(rows), 100))
    assert writer.close() == len(written)
    assert [n for n, _ in written] == list(range(len(written)))
    assert all(index.ntotal <= part for _, index in written)
    return Parts([index for _, index in written])


def test_parts_are_named_after_the_first_and_read_in_order_up_to_a_gap():
    assert [part_name("vectors.faiss", n) for n in range(3)] == ["vectors.faiss", "vectors.1.faiss", "vectors.2.faiss"]
    names = ["multilingual.2.faiss", "vectors.faiss", "multilingual.faiss", "multilingual.1.faiss", "x.faiss"]
    assert numbered("multilingual.faiss", names) == [
        "multilingual.faiss",
        "multilingual.1.faiss",
        "multilingual.2.faiss",
    ]
    assert numbered("multilingual.faiss", ["multilingual.faiss", "multilingual.2.faiss"]) == ["multilingual.faiss"]
    assert numbered("vectors.faiss", ["vectors.1.faiss"]) == []


def test_parts_are_about_equal_and_never_above_the_part_size(monkeypatch):
    monkeypatch.setattr(vectorparts, "PART", 100)
    assert [share(n) for n in (1, 100, 101, 250, 1000)] == [1, 100, 51, 84, 100]


def test_flat_parts_return_what_one_flat_index_returns(monkeypatch):
    import faiss

    monkeypatch.setattr(vectorparts, "PART", 128)
    rows, ids = _unit_rows(1000), np.arange(5, 1005, dtype=np.int64)
    whole = faiss.index_factory(16, "IDMap2,Flat", faiss.METRIC_INNER_PRODUCT)
    whole.add_with_ids(rows, ids)
    parts = _in_parts("Flat", rows, ids, 128)
    assert len(parts.parts) == 8 and parts.ntotal == 1000
    queries = _unit_rows(20, seed=1)
    want_scores, want_ids = whole.search(queries, 10)
    got_scores, got_ids = parts.search(queries, 10)
    np.testing.assert_array_equal(got_ids, want_ids)
    np.testing.assert_allclose(got_scores, want_scores, rtol=1e-6)
    pick = np.asarray([1004, 5, 640], np.int64)
    np.testing.assert_array_equal(parts.reconstruct(pick, lambda p, i: p.reconstruct_batch(i)), rows[pick - 5])


def test_ivf_parts_of_one_training_scan_the_lists_one_index_scans(monkeypatch):
    import faiss

    monkeypatch.setattr(vectorparts, "PART", 300)
    rows, ids = _unit_rows(2000), np.arange(2000, dtype=np.int64)
    trained = faiss.index_factory(16, "IDMap2,IVF16,SQfp16", faiss.METRIC_INNER_PRODUCT)
    trained.train(rows)
    whole = faiss.deserialize_index(faiss.serialize_index(trained))
    whole.add_with_ids(rows, ids)
    parts = _in_parts("IVF16,SQfp16", rows, ids, 300, trained=trained)
    assert len(parts.parts) == 7
    faiss.ParameterSpace().set_index_parameters(whole, "nprobe=4")
    parts.set_parameters("nprobe=4")
    queries = _unit_rows(20, seed=2)
    np.testing.assert_array_equal(parts.search(queries, 10)[1], whole.search(queries, 10)[1])


def test_a_search_for_more_than_the_parts_hold_pads_as_faiss_does(monkeypatch):
    monkeypatch.setattr(vectorparts, "PART", 4)
    parts = _in_parts("Flat", _unit_rows(6), np.arange(6, dtype=np.int64), 4)
    scores, ids = parts.search(_unit_rows(1, seed=3), 8)
    assert sorted(ids[0][:6].tolist()) == list(range(6)) and ids[0][6:].tolist() == [-1, -1]
    assert np.all(np.diff(scores[0][:6]) <= 0)


def _corpus(root: Path, count: int) -> Path:
    names = [p.name for p in sorted(PEPS.glob("pep-*.rst"))[:count]]
    for name in names:
        write(root, name, (PEPS / name).read_text(encoding="utf-8"))
    return root


def _found(settings, questions) -> list[list[tuple[str, int, int]]]:
    index = open_index(settings)
    return [[(h.chunk.source, h.chunk.start, h.chunk.end) for h in index.search(q, k=5)] for q in questions]


def _one_and_split(settings_for, tmp_path, monkeypatch, owner, size: int):
    """A build of three PEPs in one file each, then the same build with `owner.PART` at `size`: both settings,
    and the split build's folder and checksums."""
    corpus = _corpus(tmp_path / "corpus", 3)
    one = settings_for(corpus, **FORCED).with_(index=tmp_path / "one")
    build_index(one)
    monkeypatch.setattr(owner, "PART", size)
    split = one.with_(index=tmp_path / "split")
    build_index(split)
    folder = storage.current_folder(split.index)
    assert folder is not None
    return one, split, folder, storage.read_manifest(folder).checksums


def test_a_build_in_parts_is_the_build_in_one_file(settings_for, tmp_path, monkeypatch):
    one, split, folder, checksums = _one_and_split(settings_for, tmp_path, monkeypatch, vectorparts, 16)
    for first in (storage.VECTORS, storage.MULTILINGUAL):
        files = numbered(first, checksums)
        assert len(files) >= 3 and files == numbered(first, [p.name for p in folder.iterdir()])
    assert_same_index(split.index, one.index)
    questions = ("How are exceptions chained?", "What does the walrus operator do?", *ACROSS)
    assert _found(split, questions) == _found(one, questions)


def test_the_multilingual_set_is_cut_into_smaller_parts_than_the_english_one(settings_for, tmp_path, monkeypatch):
    import faiss

    from qa import multivectors

    one, split, folder, checksums = _one_and_split(settings_for, tmp_path, monkeypatch, multivectors, 5)
    assert len(numbered(storage.VECTORS, checksums)) == 1
    parts = numbered(storage.MULTILINGUAL, checksums)
    assert len(parts) >= 3
    assert max(faiss.read_index(str(folder / name)).ntotal for name in parts) <= 5
    assert _found(split, ACROSS) == _found(one, ACROSS)


def test_an_update_of_an_index_in_parts_is_a_build_of_the_new_corpus(settings_for, tmp_path, monkeypatch):
    monkeypatch.setattr(vectorparts, "PART", 16)
    corpus = _corpus(tmp_path / "corpus", 3)
    updated = settings_for(corpus, **FORCED).with_(index=tmp_path / "updated")
    build_index(updated)
    first = sorted(corpus.iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8").replace("PEP", "Proposal"), encoding="utf-8")
    sorted(corpus.iterdir())[1].unlink()
    write(corpus, "notes.md", "# Otters\n\nSea otters hold hands while they sleep so that they do not drift apart.\n")
    report = build_index(updated)
    assert 0 < report.chunks_embedded < report.chunks_total
    fresh = updated.with_(index=tmp_path / "fresh")
    build_index(fresh)
    assert index_contents(updated.index).keys() == index_contents(fresh.index).keys()
    assert_same_index(updated.index, fresh.index)
    questions = ("Why do otters hold hands?", "Loutres", *ACROSS)
    assert _found(updated, questions) == _found(fresh, questions)


def test_an_update_reads_the_base_parts_one_at_a_time(settings_for, tmp_path, monkeypatch):
    import weakref

    from qa.storage import snapshot

    monkeypatch.setattr(vectorparts, "PART", 16)
    corpus = _corpus(tmp_path / "corpus", 3)
    settings = settings_for(corpus, **FORCED)
    build_index(settings)
    base = storage.current_folder(settings.index)
    assert base is not None and len(vectorparts.files_of(base, storage.VECTORS)) >= 3
    alive: list[weakref.ref] = []
    most = [0]

    class Watched(vectorparts.PartFiles):
        def __init__(self, paths, read):
            def watched(path):
                most[0] = max(most[0], sum(1 for r in alive if r() is not None) + 1)
                part = read(path)
                alive.append(weakref.ref(part))
                return part

            super().__init__(paths, watched)
            opened.append(self)

    opened: list[Watched] = []
    monkeypatch.setattr(snapshot, "PartFiles", Watched)
    write(corpus, "notes.md", "# Otters\n\nSea otters hold hands while they sleep so that they do not drift apart.\n")
    sorted(corpus.glob("*.rst"))[0].unlink()
    build_index(settings)
    assert len(opened) == 1 and most[0] == 1  # never a second part in memory beside the one being read
    parts = len(opened[0].paths)
    assert opened[0].reads <= 2 * parts + 1  # ids, then each part's vectors once for the new parts
    fresh = settings.with_(index=tmp_path / "fresh")
    build_index(fresh)
    assert_same_index(settings.index, fresh.index)


def test_a_missing_or_damaged_part_is_refused_with_the_rebuild_advice(settings_for, tmp_path, monkeypatch):
    monkeypatch.setattr(vectorparts, "PART", 16)
    settings = settings_for(_corpus(tmp_path / "corpus", 2), **FORCED)
    build_index(settings)
    folder = storage.current_folder(settings.index)
    assert folder is not None
    damaged = folder / part_name(storage.MULTILINGUAL, 1)
    data = bytearray(damaged.read_bytes())
    data[-5] ^= 0xFF
    damaged.write_bytes(bytes(data))
    index = open_index(settings)  # the multilingual parts are checked when first read
    with pytest.raises(IndexCorruptError, match=r"multilingual\.1\.faiss .*damaged.*qa index --rebuild"):
        index.search(ACROSS[1], k=3)
    (folder / part_name(storage.VECTORS, 2)).unlink()
    with pytest.raises(IndexCorruptError, match="missing or has extra files.*qa index --rebuild"):
        open_index(settings)
