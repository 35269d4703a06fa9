"""Building and updating the index: formats, offsets, incremental updates, refusals."""

from __future__ import annotations

import json

import pytest
from helpers import write
from scans import make_docx, make_pdf

from qa import (
    CorpusError,
    IndexCorruptError,
    IndexFormatError,
    IndexMissingError,
    build_index,
    corpus_changed,
    indexer,
    open_index,
    storage,
)
from qa.loaders import SourceFile

HK = "hong-kong-ai.txt"


def sources(settings) -> set[str]:
    return set(open_index(settings).snapshot.documents())


def test_every_format_is_indexed_and_searchable(settings_for):
    settings = settings_for()
    corpus = settings.corpus
    write(corpus, "notes.txt", "The lighthouse keeper polished the brass lamp every evening.\n")
    write(corpus, "guide.md", "# Guide\n\nGlaciers carve U-shaped valleys over thousands of years.\n")
    write(corpus, "manual.rst", "Manual\n======\n\nThe centrifuge spins blood samples to separate plasma.\n")
    write(
        corpus,
        "page.html",
        "<html><head><script>var hidden = 1;</script></head><body><p>Penguins huddle "
        "together to survive the Antarctic winter.</p></body></html>",
    )
    (corpus / "report.pdf").write_bytes(
        make_pdf(["Volcanic ash grounded flights across Europe.", "Saffron is harvested from crocus flowers by hand."])
    )
    (corpus / "memo.docx").write_bytes(make_docx(["Quarterly revenue of the bakery doubled after the new oven."]))
    (corpus / "image.png").write_bytes(b"\x89PNG\r\n")
    report = build_index(settings)
    assert set(report.added) == {"notes.txt", "guide.md", "manual.rst", "page.html", "report.pdf", "memo.docx"}
    assert [s.source for s in report.skipped] == ["image.png"]
    index = open_index(settings)
    expectations = {
        "lighthouse brass lamp": "notes.txt",
        "glaciers valleys": "guide.md",
        "centrifuge plasma": "manual.rst",
        "penguins Antarctic winter": "page.html",
        "saffron crocus harvest": "report.pdf",
        "bakery revenue oven": "memo.docx",
    }
    for query, source in expectations.items():
        assert index.search(query, k=1)[0].chunk.source == source, query
    assert "hidden" not in " ".join(h.chunk.text for h in index.search("var hidden", k=6))
    pdf_answer = index.ask("How is saffron harvested?")
    assert pdf_answer.citations[0].source == "report.pdf"
    assert pdf_answer.citations[0].page == 2


def test_chunks_keep_exact_offsets_and_line_numbers(settings_for):
    settings = settings_for()
    lines = [f"Otter {i} eats {i * 3} fish." for i in range(600)]
    text = "Intro paragraph.\n\n" + "\n".join(lines) + "\n"
    write(settings.corpus, "otters.txt", text)
    build_index(settings)
    index = open_index(settings)
    chunk_ids = [int(i) for i in index.snapshot.sparse.ids]
    chunks = index.snapshot.chunks(chunk_ids).values()
    assert len(chunks) > 3
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.line_start == text.count("\n", 0, chunk.start) + 1
        assert chunk.line_end == text.count("\n", 0, chunk.end - 1) + 1
        assert len(index.embedder.tokenizer(chunk.text)["input_ids"]) <= index.embedder.max_tokens
    body = sorted(chunks, key=lambda c: c.start)[1:]
    assert all(a.end > b.start for a, b in zip(body, body[1:])), "consecutive chunks of one paragraph overlap"


def test_long_unbroken_text_is_split_under_the_model_limit(settings_for):
    settings = settings_for()
    text = "香港人工智能" * 400 + " " + "https://example.com/" + "a" * 3000 + "\n"
    write(settings.corpus, "dense.txt", text)
    build_index(settings)
    index = open_index(settings)
    chunks = index.snapshot.chunks([int(i) for i in index.snapshot.sparse.ids]).values()
    assert len(chunks) > 2
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(index.embedder.tokenizer(chunk.text)["input_ids"]) <= index.embedder.max_tokens


def test_unchanged_corpus_embeds_nothing(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    first = build_index(settings)
    second = build_index(settings)
    assert first.chunks_embedded > 0 and first.wrote
    assert second.chunks_embedded == 0
    assert not second.wrote
    assert second.unchanged == 1
    assert not corpus_changed(settings)


def test_editing_one_file_reembeds_only_its_chunks(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    write(hk_corpus, "otters.txt", "Sea otters hold hands while they sleep so they do not drift apart.\n")
    build_index(settings)
    before = open_index(settings).snapshot.manifest.chunks
    write(hk_corpus, "otters.txt", "Sea otters keep a favourite rock in a pouch under their arm.\n")
    assert corpus_changed(settings)
    report = build_index(settings)
    assert report.changed == ("otters.txt",)
    assert report.chunks_embedded == 1
    assert report.unchanged == 1
    index = open_index(settings)
    assert index.snapshot.manifest.chunks == before
    hit = index.search("otter pouch rock", k=1)[0]
    assert "favourite rock" in hit.chunk.text
    assert all("drift apart" not in h.chunk.text for h in index.search("otters drift apart", k=5))


def test_deleted_and_renamed_files_leave_the_index(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    write(hk_corpus, "a/otters.txt", "Sea otters hold hands while they sleep.\n")
    write(hk_corpus, "b/bees.txt", "Honey bees dance to tell the hive where flowers are.\n")
    build_index(settings)
    (hk_corpus / "b/bees.txt").unlink()
    (hk_corpus / "a/otters.txt").rename(hk_corpus / "a/sea-otters.txt")
    report = build_index(settings)
    assert set(report.removed) == {"a/otters.txt", "b/bees.txt"}
    assert report.added == ("a/sea-otters.txt",)
    assert sources(settings) == {HK, "a/sea-otters.txt"}
    index = open_index(settings)
    assert index.snapshot.vectors.ntotal == index.snapshot.manifest.chunks
    assert all(h.chunk.source != "b/bees.txt" for h in index.search("honey bees dance", k=5))


def test_rebuild_reembeds_everything(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    first = build_index(settings)
    again = build_index(settings, rebuild=True)
    assert again.chunks_embedded == first.chunks_embedded > 0
    assert again.wrote


def test_index_built_with_another_model_is_refused(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    build_index(settings)
    folder = storage.current_folder(settings.index)
    manifest = json.loads((folder / storage.MANIFEST).read_text())
    manifest["model"] = "sentence-transformers/other-model-same-size"
    (folder / storage.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="built with model sentence-transformers/other.*--rebuild"):
        open_index(settings)
    with pytest.raises(IndexFormatError, match="--rebuild"):
        build_index(settings)
    build_index(settings, rebuild=True)
    assert open_index(settings).ask("Which cities are in the Greater Bay Area?").answered


def test_index_of_another_format_version_is_refused(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    build_index(settings)
    folder = storage.current_folder(settings.index)
    manifest = json.loads((folder / storage.MANIFEST).read_text())
    manifest["format"] = storage.FORMAT_VERSION + 1
    (folder / storage.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="format"):
        open_index(settings)


def test_corrupt_index_file_is_refused_with_rebuild_hint(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    build_index(settings)
    vectors = storage.current_folder(settings.index) / storage.VECTORS
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2] ^= 0xFF
    vectors.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="rebuild"):
        open_index(settings)


def test_missing_index_says_how_to_build(settings_for):
    with pytest.raises(IndexMissingError, match="qa index"):
        open_index(settings_for())


def test_missing_corpus_folder_is_a_clear_error(settings_for, tmp_path):
    settings = settings_for().with_(corpus=tmp_path / "nowhere")
    with pytest.raises(CorpusError, match="does not exist"):
        build_index(settings)


def test_empty_corpus_is_a_clear_error(settings_for):
    with pytest.raises(CorpusError, match="no documents to index"):
        build_index(settings_for())


def test_broken_files_are_reported_and_good_files_indexed(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    (hk_corpus / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (hk_corpus / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me: the espresso machine hisses.\n".encode("latin-1"))
    (hk_corpus / "blank.pdf").write_bytes(make_pdf(["", ""]))
    (hk_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (hk_corpus / "empty.md").write_text("")
    report = build_index(settings)
    reasons = {s.source: s.reason for s in report.skipped}
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "no extractable text" in reasons["blank.pdf"]
    assert "PDF" in reasons["broken.pdf"]
    assert "empty" in reasons["empty.md"]
    assert all("\n" not in reason for reason in reasons.values())
    assert sources(settings) == {HK, "latin1.txt"}


def test_unreadable_file_is_skipped_and_the_rest_indexed(settings_for, hk_corpus, monkeypatch):
    settings = settings_for(hk_corpus)
    real_scan = indexer.scan

    def scan_with_vanished_file(root, s):
        files, skipped = real_scan(root, s)
        ghost = SourceFile("ghost.txt", hk_corpus / "ghost.txt", 10, 0.0)
        return files + [ghost], skipped

    monkeypatch.setattr(indexer, "scan", scan_with_vanished_file)
    report = build_index(settings)
    assert [s.source for s in report.skipped] == ["ghost.txt"]
    assert "cannot read" in report.skipped[0].reason
    assert sources(settings) == {HK}


def test_a_changed_file_that_now_fails_keeps_its_previous_version(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    write(hk_corpus, "otters.txt", "Sea otters hold hands while they sleep.\n")
    build_index(settings)
    (hk_corpus / "otters.txt").write_bytes(b"\x00\x01\x02" * 100)
    report = build_index(settings)
    assert [s.source for s in report.skipped] == ["otters.txt"]
    assert "hold hands" in open_index(settings).search("otters hold hands", k=1)[0].chunk.text


def test_a_broken_file_is_not_retried_until_it_changes(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    (hk_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    first = build_index(settings)
    version = storage.current_folder(settings.index)
    again = build_index(settings)
    assert not again.wrote and storage.current_folder(settings.index) == version
    assert again.added == () and again.chunks_embedded == 0
    assert [(s.source, s.reason) for s in again.skipped] == [(s.source, s.reason) for s in first.skipped]
    write(hk_corpus, "otters.txt", "Sea otters hold hands while they sleep.\n")
    third = build_index(settings)
    assert third.wrote and third.added == ("otters.txt",)
    assert [s.source for s in third.skipped] == ["broken.pdf"]
    assert build_index(settings).wrote is False, "the note about broken.pdf was carried into the new version"
    (hk_corpus / "broken.pdf").write_bytes(make_pdf(["Kelp forests shelter the otters."]))
    fixed = build_index(settings)
    assert fixed.added == ("broken.pdf",) and fixed.skipped == ()
    assert open_index(settings).search("kelp forests shelter", k=1)[0].chunk.source == "broken.pdf"


def test_a_changed_file_that_still_fails_is_not_retried(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    write(hk_corpus, "otters.txt", "Sea otters hold hands while they sleep.\n")
    build_index(settings)
    (hk_corpus / "otters.txt").write_bytes(b"\x00\x01\x02" * 100)
    assert build_index(settings).wrote
    again = build_index(settings)
    assert not again.wrote and again.changed == ()
    assert [s.source for s in again.skipped] == ["otters.txt"]
    assert "hold hands" in open_index(settings).search("otters hold hands", k=1)[0].chunk.text


def test_reader_keeps_its_snapshot_until_reload(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    build_index(settings)
    index = open_index(settings)
    write(hk_corpus, "otters.txt", "Sea otters hold hands while they sleep so they do not drift apart.\n")
    build_index(settings)
    assert all(h.chunk.source == HK for h in index.search("otters hold hands", k=5))
    assert index.reload()
    assert index.search("otters hold hands", k=1)[0].chunk.source == "otters.txt"
    assert not index.reload()
