"""`qa status`: what the index holds, what changed since, and exit codes 0 in sync, 1 stale, 2 unusable."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from helpers import qa_loading

from qa import Settings, build_index, index_status, storage
from qa.cli import main
from qa.embedding import model_path

WATER = "Hong Kong's reservoirs collect rain from the hills, and most drinking water comes from the Dongjiang river.\n"


def reseal(index: Path, **changes) -> None:
    """Change manifest fields and make CURRENT promise the new manifest, as an older or other qa would have."""
    folder = storage.current_folder(index)
    manifest = json.loads((folder / storage.MANIFEST).read_text())
    for key, value in changes.items():
        if value is None:
            manifest.pop(key, None)
        else:
            manifest[key] = value
    data = json.dumps(manifest, indent=2).encode()
    (folder / storage.MANIFEST).write_bytes(data)
    (index / storage.CURRENT).write_text(f"{folder.name} {hashlib.sha256(data).hexdigest()}\n")


def status_of(settings: Settings, capsys) -> tuple[int, dict]:
    code = main(["status", "--json", "--corpus", str(settings.corpus), "--index", str(settings.index)])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def built(settings_for, hk_corpus) -> Settings:
    settings = settings_for(hk_corpus)
    build_index(settings)
    return settings


def test_in_sync_index_exits_0_and_says_what_it_holds(built, capsys):
    code = main(["status", "--corpus", str(built.corpus), "--index", str(built.index)])
    text = capsys.readouterr().out
    assert code == 0
    for line in (
        "state +in sync",
        "model +sentence-transformers/all-MiniLM-L6-v2",
        r"contents +1 documents, \d+ chunks",
        r"built at +\d{4}-\d\d-\d\dT",
        r"version +v\d{6}, [\d.]+ KB on disk",
        r"serving +about [\d.]+ KB in memory besides the model",
        r"fingerprint +sha256 [0-9a-f]{64}",
    ):
        assert re.search(f"^{line}", text, re.MULTILINE), line
    assert not re.search("^(new|modified|deleted|skipped) ", text, re.MULTILINE)


def test_json_status_has_counts_size_and_model_fingerprint(built, capsys):
    code, data = status_of(built, capsys)
    assert code == 0 and data["state"] == "in_sync" and data["error"] == ""
    folder = storage.current_folder(built.index)
    manifest = storage.read_manifest(folder)
    assert (data["documents"], data["chunks"], data["built_at"]) == (1, manifest.chunks, manifest.built_at)
    assert data["format"] == storage.FORMAT_VERSION and data["version"] == folder.name
    assert data["size_bytes"] == sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    read_whole = (folder / storage.VECTORS).stat().st_size + (folder / "sentences" / "scales.npy").stat().st_size
    words = (folder / "words" / "vectors.npy").stat().st_size  # float16 on disk, float32 when served
    assert read_whole + 2 * words < data["serving_bytes"], "the vectors are held, the words' as float32"
    assert data["serving_bytes"] < data["size_bytes"] + words, "the postings and the catalog stay on disk"
    weights = Path(model_path(built)) / "model.safetensors"
    assert data["model_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert data["installed_model_sha256"] == data["model_sha256"]
    assert (data["new"], data["modified"], data["deleted"], data["skipped"]) == ([], [], [], [])


def test_new_modified_and_deleted_files_make_it_stale(built, capsys):
    (built.corpus / "water.txt").write_text(WATER, encoding="utf-8")
    build_index(built)
    (built.corpus / "notes.md").write_text("# Notes\n\nA new file.\n", encoding="utf-8")
    with open(built.corpus / "hong-kong-ai.txt", "a", encoding="utf-8") as f:
        f.write("\nOne more sentence about AI.\n")
    (built.corpus / "water.txt").unlink()
    code, data = status_of(built, capsys)
    assert code == 1 and data["state"] == "stale"
    assert (data["new"], data["modified"], data["deleted"]) == (["notes.md"], ["hong-kong-ai.txt"], ["water.txt"])
    main(["status", "--corpus", str(built.corpus), "--index", str(built.index)])
    text = capsys.readouterr().out
    assert "stale: 1 new, 1 modified, 1 deleted since the build" in text
    assert "new          notes.md" in text and "deleted      water.txt" in text
    build_index(built)
    assert status_of(built, capsys)[0] == 0


def test_touching_a_file_without_changing_it_keeps_it_in_sync(built, capsys):
    path = built.corpus / "hong-kong-ai.txt"
    os.utime(path, (1, 1))
    assert status_of(built, capsys)[0] == 0


def test_skipped_and_failed_files_are_listed_with_their_reason_and_do_not_make_it_stale(built, capsys):
    (built.corpus / "broken.txt").write_bytes(b"\x00\x01\x02\x03binary")
    (built.corpus / "photo.png").write_bytes(b"\x89PNG")
    report = build_index(built)
    assert {s.source for s in report.skipped} == {"broken.txt", "photo.png"}
    code, data = status_of(built, capsys)
    assert code == 0, data
    reasons = {s["source"]: s["reason"] for s in data["skipped"]}
    assert set(reasons) == {"broken.txt", "photo.png"}
    assert "binary data" in reasons["broken.txt"] and reasons["photo.png"].startswith("cannot read image")
    (built.corpus / "broken.txt").write_text(WATER, encoding="utf-8")
    code, data = status_of(built, capsys)
    assert code == 1 and data["new"] == ["broken.txt"] and [s["source"] for s in data["skipped"]] == ["photo.png"]


def test_a_failed_file_is_still_listed_after_another_file_changes(built, capsys):
    (built.corpus / "broken.txt").write_bytes(b"\x00\x01\x02\x03binary")
    build_index(built)
    (built.corpus / "water.txt").write_text(WATER, encoding="utf-8")
    build_index(built)
    code, data = status_of(built, capsys)
    assert code == 0 and [s["source"] for s in data["skipped"]] == ["broken.txt"]


def test_missing_index_exits_2_and_says_how_to_build_it(settings_for, capsys):
    code, data = status_of(settings_for(), capsys)
    assert code == 2 and data["state"] == "unusable"
    assert "no index at" in data["error"] and "qa index" in data["error"]


def test_corrupted_index_exits_2_with_a_rebuild_hint(built, capsys):
    vectors = storage.current_folder(built.index) / storage.VECTORS
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2] ^= 0xFF
    vectors.write_bytes(bytes(data))
    code, status = status_of(built, capsys)
    assert code == 2 and status["state"] == "unusable"
    assert "damaged" in status["error"] and "qa index --rebuild" in status["error"]
    assert status["documents"] == 1, "what the manifest says is still shown"


def test_damaged_pointer_exits_2(built, capsys):
    (built.index / storage.CURRENT).write_text("garbage")
    code, status = status_of(built, capsys)
    assert code == 2 and "damaged" in status["error"]


def test_index_of_another_model_or_format_exits_2(built, capsys):
    reseal(built.index, model="sentence-transformers/other-model-same-size")
    code, status = status_of(built, capsys)
    assert code == 2 and "built with model sentence-transformers/other-model-same-size" in status["error"]
    reseal(built.index, model=built.model_name, format=storage.FORMAT_VERSION + 1)
    code, status = status_of(built, capsys)
    assert code == 2 and f"format {storage.FORMAT_VERSION + 1}" in status["error"]


def test_other_weights_under_the_same_model_name_exit_2(built, capsys):
    reseal(built.index, model_sha256="0" * 64)
    code, status = status_of(built, capsys)
    assert code == 2 and "other weights" in status["error"] and "--rebuild" in status["error"]


def test_an_index_built_before_fingerprints_were_recorded_is_still_in_sync(built, capsys):
    reseal(built.index, model_sha256=None, skipped=None)
    assert index_status(built).state == "in_sync"
    code = main(["status", "--corpus", str(built.corpus), "--index", str(built.index)])
    assert code == 0 and "not recorded" in capsys.readouterr().out


def test_missing_corpus_is_stale_with_the_reason(built, capsys):
    code, status = status_of(built.with_(corpus=built.corpus.parent / "nowhere"), capsys)
    assert code == 1 and "does not exist" in status["error"]


def test_changed_chunk_settings_are_stale(built):
    status = index_status(built.with_(chunk_tokens=built.chunk_tokens // 2))
    assert status.state == "stale" and status.settings_changed and status.exit_code == 1


def test_qa_status_in_a_subprocess_gives_the_exit_codes_and_imports_no_torch(built):
    def run() -> subprocess.CompletedProcess:
        result, loaded = qa_loading(
            "status",
            "--corpus",
            str(built.corpus),
            "--index",
            str(built.index),
            watch=("torch", "faiss", "transformers"),
        )
        assert loaded == [], "qa status imports no model or FAISS"
        return result

    in_sync = run()
    assert in_sync.returncode == 0, in_sync.stderr
    assert "in sync" in in_sync.stdout
    (built.corpus / "water.txt").write_text(WATER, encoding="utf-8")
    stale = run()
    assert stale.returncode == 1 and "new          water.txt" in stale.stdout
    (storage.current_folder(built.index) / storage.MANIFEST).write_text("{")
    unusable = run()
    assert unusable.returncode == 2 and "unusable" in unusable.stdout and unusable.stderr == ""
