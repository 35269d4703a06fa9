"""A build streams: the changed files go through read, embed and write in slices bounded by QA_BUILD_MEMORY,
and the index is the same as a build in one slice; a passage held by several files is answered once."""

from __future__ import annotations

import resource
from pathlib import Path

import numpy as np
from helpers import SHARED, assert_same_index, write

from qa import build_index, open_index, storage, streaming
from qa.loaders import SourceFile
from qa.slices import cut
from qa.sparse import Sparse, terms
from qa.storage.names import vector_files
from qa.types import BuildProgress, Chunk, Span
from qa.vectorsets import IndexChoice

PEPS = SHARED / "corpora" / "peps"
FORCED = {"precision": "float32", "backend": "torch", "device": "cpu"}  # one path, whatever auto picks here
TINY = 1 << 19  # QA_BUILD_MEMORY of 512 KB: a slice per file, or per few chunks
QUESTIONS = ("How are exceptions chained?", "What does the walrus operator do?", "Who approves a PEP?")


def _peps(corpus: Path, names: list[str]) -> Path:
    for name in names:
        write(corpus, name, (PEPS / name).read_text(encoding="utf-8"))
    return corpus


def _pep_names(first: int, count: int) -> list[str]:
    return [p.name for p in sorted(PEPS.glob("pep-*.rst"))[first : first + count]]


def _slices_seen(log: list[BuildProgress]) -> int:
    """Slices the build wrote: the embedding progress reports the files read so far once per slice and more."""
    return len({step.done for step in log if step.stage == "embedding"})


def _answers(settings) -> list[tuple[str, list[tuple[str, int, int]]]]:
    index = open_index(settings)
    answers = [index.ask(q) for q in QUESTIONS]
    return [(a.answer, [(c.source, c.start, c.end) for c in a.citations]) for a in answers]


def _sparse(index: Path) -> Sparse:
    folder = storage.current_folder(index)
    assert folder is not None
    return storage.read_sparse(folder)


def test_a_build_in_many_slices_is_the_build_in_one(settings_for, tmp_path, monkeypatch):
    corpus = _peps(tmp_path / "corpus", _pep_names(0, 6))
    one = settings_for(corpus, **FORCED).with_(index=tmp_path / "one")
    many = one.with_(index=tmp_path / "many", build_memory=TINY, checkpoint_every=16)
    log: list[BuildProgress] = []
    whole = build_index(one)
    monkeypatch.setattr(streaming, "SENTENCES_AT_ONCE", 3)  # and each slice's sentence rows a few chunks at a time
    sliced = build_index(many, progress=log.append)
    assert _slices_seen(log) >= 4, "a tiny QA_BUILD_MEMORY must cut the build into slices"
    assert (sliced.chunks_total, sliced.chunks_embedded) == (whole.chunks_total, whole.chunks_embedded)
    assert_same_index(many.index, one.index)
    ours, theirs = _sparse(many.index), _sparse(one.index)
    for name in Sparse.ARRAYS:
        np.testing.assert_array_equal(np.asarray(getattr(ours, name)), np.asarray(getattr(theirs, name)), name)
    assert ours.vocab == theirs.vocab
    catalog = storage.catalog_of(storage.current_folder(many.index))  # type: ignore[arg-type]
    try:
        texts = catalog.texts()
        ids = sorted(catalog.chunks(list(range(1, len(texts) + 1))))
    finally:
        catalog.close()
    in_memory = Sparse.build(ids, [terms(t) for t in texts])  # BM25 as a build in one piece makes it
    for name in Sparse.ARRAYS:
        np.testing.assert_array_equal(np.asarray(getattr(ours, name)), getattr(in_memory, name), name)
    assert _answers(many) == _answers(one)


def test_an_update_in_many_slices_is_the_update_in_one(settings_for, tmp_path):
    corpus = _peps(tmp_path / "corpus", _pep_names(0, 5))
    many = settings_for(corpus, **FORCED).with_(build_memory=TINY, checkpoint_every=16)
    one = many.with_(index=tmp_path / "one", build_memory=1 << 30)
    build_index(many)
    build_index(one)
    names = _pep_names(0, 5)
    (corpus / names[0]).unlink()
    edited = corpus / names[1]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA closing paragraph about otters.\n", encoding="utf-8")
    _peps(corpus, _pep_names(5, 2))
    update = build_index(many)
    assert update.removed == (names[0],) and update.changed == (names[1],) and len(update.added) == 2
    assert 0 < update.chunks_embedded < update.chunks_total, "only new passages are embedded"
    build_index(one)
    assert_same_index(many.index, one.index)
    ours, theirs = _sparse(many.index), _sparse(one.index)
    for name in Sparse.ARRAYS:
        np.testing.assert_array_equal(np.asarray(getattr(ours, name)), np.asarray(getattr(theirs, name)), name)
    assert _answers(many) == _answers(one)
    fresh = many.with_(index=tmp_path / "fresh")
    build_index(fresh)
    assert_same_index(many.index, fresh.index)


PASSAGE = (
    "To give an interface a static address, write its address, netmask and gateway in the interfaces file "
    "under an iface stanza marked static, then bring the interface down and up again."
)


def test_a_sentence_in_three_files_is_cited_once_with_the_others_named(settings_for, tmp_path):
    corpus = tmp_path / "corpus"
    for lang in ("en", "fr", "ko"):
        write(corpus, f"{lang}/network.txt", f"Network configuration ({lang}).\n\n{PASSAGE}\n")
    write(corpus, "otters.txt", "Sea otters hold hands while they sleep so that they do not drift apart.\n")
    settings = settings_for(corpus)
    build_index(settings)
    answer = open_index(settings).ask("How do I configure a static IP address on an interface?")
    cited = [c for c in answer.citations if "static" in c.text]
    assert len(cited) == 1, [(c.source, c.text) for c in answer.citations]
    citation = cited[0]
    assert len(citation.also_in) == 2 and citation.source not in citation.also_in
    assert {citation.source, *citation.also_in} == {"en/network.txt", "fr/network.txt", "ko/network.txt"}
    text = (corpus / citation.source).read_text(encoding="utf-8")
    assert text[citation.start : citation.end] == citation.text


def test_a_corpus_of_90_percent_copies_embeds_and_answers_each_passage_once(settings_for, tmp_path):
    corpus = tmp_path / "corpus"
    unique = _pep_names(0, 1)
    _peps(corpus, unique)
    text = (corpus / unique[0]).read_text(encoding="utf-8")
    for n in range(9):  # a corpus that is 90% duplicates
        write(corpus, f"copy-{n}.rst", text)
    settings = settings_for(corpus, **FORCED).with_(build_memory=TINY)
    report = build_index(settings)
    assert report.chunks_total == 10 * report.chunks_embedded
    assert report.chunks_duplicate == 9 * report.chunks_embedded
    index = open_index(settings)
    answer = index.ask("Who approves a PEP?")
    keys = [(c.text, c.start) for c in answer.citations]
    assert len(keys) == len(set(keys)), "one passage of ten files is cited once"
    assert all(len(c.also_in) == 9 for c in answer.citations)
    hits = index.search("PEP editors approve", k=5)
    assert len({h.chunk.text for h in hits}) == len(hits) == 5
    assert all(len(h.also_in) == 9 and h.chunk.source not in h.also_in for h in hits)


def test_a_file_that_grew_past_the_limit_after_the_scan_is_refused_without_reading_it_whole(settings_for, tmp_path):
    corpus = tmp_path / "corpus"
    path = write(corpus, "log.txt", "A line about otters.\n")
    listed = SourceFile("log.txt", path, path.stat().st_size, path.stat().st_mtime)
    with open(path, "ab") as f:
        f.truncate(64 * 1024 * 1024)  # grew to 64 MB (sparse) between the scan and the read
    settings = settings_for(corpus).with_(max_file_bytes=1024 * 1024)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    (part,) = list(cut([listed], settings, object(), 1 << 30))
    assert part.loaded == [] and part.kept == ["log.txt"]
    assert "grew past the 1 MB limit while it was read" in part.skipped[0].reason
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 16 * 1024, "at most the limit is read"


def test_a_huge_file_is_refused_by_its_size_and_the_rest_is_indexed(settings_for, tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus, "otters.txt", "Sea otters hold hands while they sleep.\n")
    with open(corpus / "huge.txt", "wb") as f:
        f.truncate(2 * 1024**3)  # 2 GB, sparse: nothing to read but zeros, and it must not be read at all
    report = build_index(settings_for(corpus))
    assert report.added == ("otters.txt",)
    (skipped,) = report.skipped
    assert skipped.source == "huge.txt" and "larger than 50 MB limit" in skipped.reason


def test_many_tiny_files_build_in_slices(settings_for, tmp_path):
    corpus = tmp_path / "corpus"
    for n in range(600):
        write(corpus, f"notes/{n // 100}/note-{n}.txt", f"Note {n}: the otter number {n} likes fish number {n * 7}.\n")
    settings = settings_for(corpus).with_(build_memory=TINY)
    log: list[BuildProgress] = []
    report = build_index(settings, progress=log.append)
    assert report.documents_total == 600 == report.chunks_total == report.chunks_embedded
    assert _slices_seen(log) >= 2
    assert max(step.memory for step in log if step.stage == "embedding") > 0, "the bar shows the memory held"
    multilingual = [(step.done, step.total) for step in log if step.stage == "multilingual"]
    assert multilingual[0] == (0, 600) and multilingual[-1] == (600, 600) and len(multilingual) >= 3
    hits = open_index(settings).search("otter number 417", k=3)
    assert hits[0].chunk.source == "notes/4/note-417.txt"


def test_a_vector_set_written_at_the_end_of_a_build_is_not_kept_in_memory(tmp_path):
    """Its index (1.5 KB a chunk, flat) is on disk once written: the multilingual pass must not come on top."""
    import faiss

    version = storage.VersionWriter(tmp_path / "index", None)
    try:
        texts = [f"note {n}" for n in range(100)]
        chunks = [Chunk(Span("notes.txt", 10 * n, 10 * n + len(t), n + 1, n + 1), t) for n, t in enumerate(texts)]
        ids = version.add_document(storage.DocumentRow("notes.txt", "0" * 64, 1000, 0.0, True), chunks, texts)
        dense = version.dense("dense", None, None)
        rows = np.random.default_rng(0).standard_normal((100, 8)).astype(np.float32)
        dense.append(np.asarray(ids), rows / np.linalg.norm(rows, axis=1, keepdims=True))
        firsts = np.asarray(version.first_ids(), np.int64)
        built = version.finish_dense("dense", dense, [], IndexChoice("auto", 1000, None), firsts)
        assert (built.factory, built.dimension, built.count, built.parts) == ("Flat", 8, 100, 1)
        assert faiss.read_index(str(version.folder / vector_files("dense")[0])).ntotal == 100
    finally:
        version.abort()
