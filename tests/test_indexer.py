"""The build: nothing heavy when nothing changed, no vector computed twice, failures that keep the old index."""

from __future__ import annotations

import errno
import hashlib
import json

import numpy as np
import pytest
from helpers import OTTERS, all_chunks, qa_loading, write

from qa import IndexFormatError, IndexWriteError, Settings, build_index, open_index, retrieval, storage
from qa.chunking import split_sentences
from qa.encoders.base import TokenEncoder


def manifest(settings: Settings) -> storage.Manifest:
    return storage.read_manifest(storage.current_folder(settings.index))


def test_an_unchanged_reindex_imports_no_torch_faiss_or_transformers(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    build_index(settings)
    result, loaded = qa_loading(
        "index",
        "--corpus",
        str(settings.corpus),
        "--index",
        str(settings.index),
        watch=("torch", "faiss", "transformers", "sentence_transformers"),
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert loaded == []


def test_an_edited_file_reembeds_only_its_changed_passages(settings_for):
    settings = settings_for()
    write(settings.corpus, "otters.txt", OTTERS)
    first = build_index(settings)
    before = open_index(settings)
    old = {
        c.text: before.snapshot.vectors.reconstruct(i)
        for i, c in before.snapshot.chunks([int(i) for i in before.snapshot.sparse.ids]).items()
    }
    write(settings.corpus, "otters.txt", OTTERS + "\n\nA new closing paragraph about otters and kelp forests.\n")
    report = build_index(settings)
    assert report.changed == ("otters.txt",)
    assert 0 < report.chunks_embedded < first.chunks_embedded
    index = open_index(settings)
    chunks = index.snapshot.chunks([int(i) for i in index.snapshot.sparse.ids])
    kept = [(i, c) for i, c in chunks.items() if c.text in old]
    assert len(kept) >= first.chunks_embedded - 2
    for i, c in kept:
        assert np.array_equal(index.snapshot.vectors.reconstruct(i), old[c.text])
    assert "kelp forests" in index.search("otters kelp forests", k=1)[0].chunk.text


def test_a_renamed_file_and_a_duplicate_are_not_embedded_again(settings_for):
    settings = settings_for()
    write(settings.corpus, "otters.txt", OTTERS)
    first = build_index(settings)
    (settings.corpus / "otters.txt").rename(settings.corpus / "sea-otters.txt")
    write(settings.corpus, "copy-of-otters.txt", OTTERS)
    report = build_index(settings)
    assert report.chunks_embedded == 0
    index = open_index(settings)
    assert index.snapshot.manifest.chunks == 2 * first.chunks_total
    best = index.search("otters in bay 3", k=2)[0]  # one passage with two homes: one hit that names both
    assert {best.chunk.source, *best.also_in} == {"sea-otters.txt", "copy-of-otters.txt"}


def test_identical_chunks_hold_one_vector_and_keep_it_when_the_holding_file_goes(settings_for):
    settings = settings_for()
    write(settings.corpus, "a-otters.txt", OTTERS)
    write(settings.corpus, "b-otters.txt", OTTERS)
    write(settings.corpus, "bees.txt", "Honey bees dance to tell the hive where the flowers are.\n")
    build_index(settings)
    index = open_index(settings)
    snapshot = index.snapshot
    distinct = len({c.text for c in all_chunks(index).values()})
    assert snapshot.manifest.chunks > distinct == snapshot.manifest.passages == snapshot.vectors.ntotal
    assert snapshot.multilingual is None or snapshot.multilingual.ntotal == distinct
    held = _vector_ids(snapshot)
    assert set(snapshot.sentences.owners.tolist()) == held, "sentence vectors are stored once per text too"
    rows = {all_chunks(index)[i].text: snapshot.sentences.of(i) for i in held}
    best = index.search("otters in bay 3", k=2)[0]
    assert (best.chunk.source, best.also_in) == ("a-otters.txt", ("b-otters.txt",))
    question = "What do the otters in bay 12 keep under their arm?"
    before = index.ask(question)
    (settings.corpus / "a-otters.txt").unlink()
    report = build_index(settings)
    assert report.chunks_embedded == 0 and report.removed == ("a-otters.txt",)
    index = open_index(settings)
    assert index.snapshot.vectors.ntotal == index.snapshot.manifest.passages == distinct
    assert index.snapshot.manifest.chunks == distinct
    held = _vector_ids(index.snapshot)
    assert set(index.snapshot.sentences.owners.tolist()) == held
    for i in held:  # the moved rows are the same rows
        assert np.array_equal(index.snapshot.sentences.of(i), rows[all_chunks(index)[i].text])
    best = index.search("otters in bay 3", k=2)[0]
    assert (best.chunk.source, best.also_in) == ("b-otters.txt", ())
    after = index.ask(question)
    assert after.answered and after.answer == before.answer
    assert [c.source for c in after.citations] == ["b-otters.txt"] * len(after.citations)


def test_a_copy_ranked_before_its_holder_is_scored_from_the_holders_stored_sentence_vectors(settings_for):
    settings = settings_for()
    write(settings.corpus, "a-otters.txt", OTTERS)
    write(settings.corpus, "b-otters.txt", OTTERS)
    build_index(settings)
    index = open_index(settings)
    chunks = all_chunks(index)
    holder = min(i for i, c in chunks.items() if c.source == "a-otters.txt")
    copy = next(i for i, c in chunks.items() if c.source == "b-otters.txt" and c.text == chunks[holder].text)
    assert len(index.snapshot.sentences.of(copy)) == 0 < len(index.snapshot.sentences.of(holder))
    (hit,) = retrieval.distinct(index.snapshot, [(copy, 1.0), (holder, 0.9)], 1)
    assert (hit.chunk_id, hit.holder, hit.chunk.source) == (copy, holder, "b-otters.txt")
    vector = index.embedder.encode_query("What do the otters keep under their arm?")
    embedded: list[int] = []
    encode = index.embedder.encode
    index.embedder.encode = lambda texts, **kw: embedded.append(len(texts)) or encode(texts, **kw)  # type: ignore[method-assign]
    try:
        scored = retrieval.sentences_of(
            [hit], vector, "otters", index.embedder, index.snapshot.sparse, index.snapshot.sentences
        )
    finally:
        del index.embedder.encode
    assert scored and embedded == [], "nothing embedded at question time"
    (own,) = retrieval.distinct(index.snapshot, [(holder, 1.0)], 1)
    held = retrieval.sentences_of(
        [own], vector, "otters", index.embedder, index.snapshot.sparse, index.snapshot.sentences
    )
    assert [s.cosine for s in scored] == [s.cosine for s in held]


def _vector_ids(snapshot: storage.Snapshot) -> set[int]:
    import faiss

    return set(faiss.vector_to_array(snapshot.vectors.id_map).tolist())


def test_a_failing_catalog_write_stops_the_build_and_keeps_the_old_index(settings_for, monkeypatch):
    settings = settings_for()
    write(settings.corpus, "otters.txt", OTTERS)
    build_index(settings)
    version = storage.current_folder(settings.index)

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage.VersionWriter, "add_document", full_disk)
    write(settings.corpus, "bees.txt", "Honey bees dance to tell the hive where the flowers are.\n" * 50)
    with pytest.raises(IndexWriteError, match="disk is full"):
        build_index(settings)
    assert storage.current_folder(settings.index) == version
    assert not list(settings.index.glob(".v*.tmp"))
    assert open_index(settings).search("otters hold hands", k=1)


def test_a_failing_embedding_leaves_no_half_written_version(settings_for, monkeypatch):
    settings = settings_for()
    write(settings.corpus, "otters.txt", OTTERS)
    build_index(settings)
    version = storage.current_folder(settings.index)

    def broken(self, texts, *args, **kwargs):
        raise RuntimeError("the model failed")

    monkeypatch.setattr(TokenEncoder, "encode", broken)
    monkeypatch.setattr(TokenEncoder, "encode_passages", broken)
    write(settings.corpus, "bees.txt", "Honey bees dance to tell the hive where the flowers are.\n")
    with pytest.raises(RuntimeError, match="the model failed"):
        build_index(settings)
    assert storage.current_folder(settings.index) == version
    assert sorted(p.name for p in settings.index.iterdir() if p.name.startswith(("v", ".v"))) == [version.name]


def test_an_edit_keeps_the_sentence_vectors_of_unchanged_chunks(settings_for):
    settings = settings_for()
    write(settings.corpus, "otters.txt", OTTERS)
    write(settings.corpus, "bees.txt", "Honey bees dance to tell the hive where the flowers are. They fan the hive.\n")
    build_index(settings)
    before = open_index(settings)
    old = {c.text: before.snapshot.sentences.of(i) for i, c in all_chunks(before).items()}
    write(settings.corpus, "otters.txt", OTTERS + "\n\nA new closing paragraph about otters and kelp forests.\n")
    (settings.corpus / "bees.txt").unlink()
    build_index(settings)
    index = open_index(settings)
    chunks = all_chunks(index)
    assert not any("Honey bees" in c.text for c in chunks.values())
    assert len(index.snapshot.sentences) == sum(len(split_sentences(c.text)) for c in chunks.values())
    kept = [(i, c) for i, c in chunks.items() if c.text in old]
    assert kept and len(kept) < len(chunks)
    for chunk_id, chunk in kept:
        assert np.allclose(index.snapshot.sentences.of(chunk_id), old[chunk.text], atol=0.02)
    best = index.ask("What do otters do in kelp forests?").citations[0]
    assert "kelp forests" in best.text


def test_an_index_of_an_older_format_is_rebuilt_by_qa_index(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    build_index(settings)
    folder = storage.current_folder(settings.index)
    raw = json.loads((folder / storage.MANIFEST).read_text())
    raw["format"] = storage.FORMAT_VERSION - 1
    data = json.dumps(raw, indent=2).encode()
    (folder / storage.MANIFEST).write_bytes(data)
    (settings.index / storage.CURRENT).write_text(f"{folder.name} {hashlib.sha256(data).hexdigest()}\n")
    with pytest.raises(IndexFormatError, match="qa index --rebuild"):
        open_index(settings)
    report = build_index(settings)
    assert report.chunks_embedded == report.chunks_total > 0
    assert storage.read_manifest(storage.current_folder(settings.index)).format == storage.FORMAT_VERSION
    assert open_index(settings).ask("Which cities are in the Greater Bay Area?").answered
