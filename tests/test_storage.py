"""The storage package on its own: the catalog's rows, the manifest's checksums, the writer's clean-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import IndexCorruptError, storage
from qa.storage.catalog import Catalog, CatalogWriter
from qa.storage.manifest import write_manifest
from qa.storage.names import MULTILINGUAL
from qa.types import Box, Chunk, Region, Span

ROW = storage.DocumentRow("scan.pdf", "ab" * 32, 1234, 1.5, False)
CHUNKS = [
    Chunk(Span("scan.pdf", 0, 20, 1, 1, page=1), "Kelp forests shelter."),
    Chunk(Span("scan.pdf", 22, 40, 3, 3, page=2), "Urchins graze kelp."),
]
REGIONS = [Region(0, 20, Box(1, 72.0, 60.5, 300.0, 74.0)), Region(22, 40, Box(2, 72.0, 100.0, 250.0, 114.0))]


def written(tmp_path: Path) -> Path:
    path = tmp_path / storage.CATALOG
    catalog = CatalogWriter(path, new=True)
    ids = catalog.add_document(ROW, CHUNKS, ["kelp forest shelter", "urchin graze kelp"], REGIONS)
    assert len(ids) == 2 and catalog.counts() == (1, 2)
    catalog.finish()
    return path


def test_chunks_documents_and_boxes_come_back_as_written(tmp_path):
    catalog = Catalog(written(tmp_path))
    chunks = catalog.chunks([1, 2])
    assert [chunks[i] for i in (1, 2)] == CHUNKS
    assert catalog.documents() == {"scan.pdf": ROW}
    assert catalog.regions("scan.pdf", 25, 30) == [REGIONS[1]]
    assert catalog.regions("scan.pdf", 0, 40) == REGIONS
    assert catalog.regions("other.pdf", 0, 40) == []
    assert catalog.chunk_texts(["scan.pdf"]) == [(1, CHUNKS[0].text), (2, CHUNKS[1].text)]


def test_removing_a_document_removes_its_chunks_and_boxes(tmp_path):
    path = written(tmp_path)
    catalog = CatalogWriter(path, new=False)
    assert catalog.remove_documents(["scan.pdf", "never-indexed.txt"]) == [1, 2]
    catalog.finish()
    reader = Catalog(path)
    assert reader.documents() == {} and reader.count() == 0 and reader.regions("scan.pdf", 0, 40) == []


def test_the_manifest_checksums_catch_a_changed_byte(tmp_path):
    folder = tmp_path / "v000001"
    folder.mkdir()
    (folder / "data.bin").write_bytes(b"\x00" * 64)
    manifest = storage.Manifest(3, "m", 4, "float32", 200, 32, "Flat", "", 0, 0, "now", "/corpus")
    write_manifest(folder, manifest)
    storage.verify(folder, storage.read_manifest(folder))
    (folder / "data.bin").write_bytes(b"\x00" * 63 + b"\x01")
    with pytest.raises(IndexCorruptError, match="data.bin .* damaged"):
        storage.verify(folder, storage.read_manifest(folder))
    (folder / "extra.bin").write_bytes(b"")
    with pytest.raises(IndexCorruptError, match="missing or has extra files"):
        storage.verify(folder, storage.read_manifest(folder))


def test_an_aborted_version_leaves_nothing_behind(tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    writer = storage.VersionWriter(index, None)
    writer.add_document(ROW, CHUNKS, ["a", "b"], REGIONS)
    assert writer.folder.exists()
    writer.abort()
    assert list(index.iterdir()) == [] and storage.current_folder(index) is None


def test_the_multilingual_index_is_written_as_faiss_serializes_it(tmp_path):
    """Streamed to the file as it serializes (no whole copy in memory), and the same bytes as the copy was."""
    import faiss
    import numpy as np

    index = faiss.index_factory(16, "IDMap2,SQfp16", faiss.METRIC_INNER_PRODUCT)
    index.add_with_ids(np.random.default_rng(0).standard_normal((50, 16)).astype(np.float32), np.arange(1, 51))
    version = storage.VersionWriter(tmp_path / "index", None)
    try:
        version.part_writer(MULTILINGUAL)(0, index)
        assert (version.folder / MULTILINGUAL).read_bytes() == faiss.serialize_index(index).tobytes()
    finally:
        version.abort()
