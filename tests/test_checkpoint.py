"""Long builds resume: what an interrupted `qa index` embedded is kept in a checkpoint, and the next build
embeds only the rest, with the same result as a build that was never interrupted."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import OTTERS, ROOT, SHARED, assert_same_index, write

from qa import build_index, index_status, open_index, storage
from qa.cli import format_status
from qa.storage.checkpoint import Checkpoint, Recipe

PEPS = SHARED / "corpora" / "peps"
RECIPE = Recipe("model", "ab" * 32, "float32", "torch", 200, 32)
FORCED = {"precision": "float32", "backend": "torch", "device": "cpu"}  # one path, whatever auto picks here


def _vectors(count: int, seed: int) -> tuple[list[str], np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    texts = [f"chunk {seed}-{i}" for i in range(count)]
    return (
        texts,
        rng.standard_normal((count, 8)).astype(np.float32),
        [rng.standard_normal((i % 3 + 1, 8)) for i in range(count)],
    )


def test_a_checkpoint_gives_back_what_it_kept(tmp_path):
    first, second = _vectors(5, 1), _vectors(4, 2)
    checkpoint = Checkpoint(tmp_path, RECIPE)
    checkpoint.save(*first)
    checkpoint.save(*second)
    found = Checkpoint(tmp_path, RECIPE).take(["chunk 1-3", "chunk 2-0", "not kept"])
    assert sorted(found) == ["chunk 1-3", "chunk 2-0"]
    np.testing.assert_array_equal(found["chunk 1-3"][0], first[1][3])
    np.testing.assert_array_equal(found["chunk 2-0"][1], second[2][0].astype(np.float16))
    for part in (tmp_path / storage.names.CHECKPOINT).glob("part-*.npz"):
        with np.load(part, allow_pickle=False) as arrays:  # plain arrays: loading runs no code
            assert set(arrays.files) == {"keys", "matrix", "sentences", "counts"}


def test_a_damaged_part_is_dropped_and_the_rest_is_kept(tmp_path):
    checkpoint = Checkpoint(tmp_path, RECIPE)
    checkpoint.save(*_vectors(5, 1))
    checkpoint.save(*_vectors(4, 2))
    first = sorted((tmp_path / storage.names.CHECKPOINT).glob("part-*.npz"))[0]
    data = bytearray(first.read_bytes())
    data[len(data) // 2] ^= 0xFF
    first.write_bytes(bytes(data))
    found = Checkpoint(tmp_path, RECIPE).take([f"chunk 1-{i}" for i in range(5)] + [f"chunk 2-{i}" for i in range(4)])
    assert sorted(found) == [f"chunk 2-{i}" for i in range(4)]
    assert not first.exists()


def test_a_checkpoint_of_another_recipe_is_discarded_with_a_note(tmp_path):
    Checkpoint(tmp_path, RECIPE).save(*_vectors(3, 1))
    other = Checkpoint(tmp_path, Recipe("model", "ab" * 32, "bfloat16", "torch", 200, 32))
    assert "precision float32 (now bfloat16)" in other.note
    assert other.take(["chunk 1-0"]) == {}
    assert not (tmp_path / storage.names.CHECKPOINT).exists()
    assert Checkpoint(tmp_path, RECIPE).note == ""


def _corpus(root: Path, count: int) -> Path:
    corpus = root / "corpus"
    for pep in sorted(PEPS.glob("pep-*.rst"))[:count]:
        write(corpus, pep.name, pep.read_text(encoding="utf-8"))
    return corpus


class Interrupt(KeyboardInterrupt):
    """Ctrl-C, raised by the progress callback once enough chunks are embedded."""


def _interrupt_after(chunks: int):
    def progress(step) -> None:
        if step.stage == "embedding" and step.chunks_done >= chunks:
            raise Interrupt()

    return progress


def test_an_interrupted_build_keeps_the_old_index_and_the_next_embeds_only_the_rest(settings_for, tmp_path):
    settings = settings_for(_corpus(tmp_path, 4), checkpoint_every=8, **FORCED)
    write(tmp_path / "small", "otters.txt", OTTERS)
    first = build_index(settings.with_(corpus=tmp_path / "small"))
    old = storage.current_folder(settings.index)
    with pytest.raises(Interrupt):
        build_index(settings, progress=_interrupt_after(20))
    assert storage.current_folder(settings.index) == old, "an interrupted build must leave the index in service"
    kept = sorted((settings.index / storage.names.CHECKPOINT).glob("part-*.npz"))
    assert len(kept) >= 2
    waiting = index_status(settings)
    assert waiting.checkpoint_chunks == 8 * len(kept)
    assert f"checkpoint   {8 * len(kept)} chunks of an interrupted build" in format_status(waiting)

    resumed = build_index(settings)
    reference = build_index(settings.with_(index=tmp_path / "reference"))
    assert resumed.chunks_resumed == 8 * len(kept)
    assert resumed.chunks_embedded + resumed.chunks_resumed == reference.chunks_embedded
    assert resumed.chunks_total == reference.chunks_total > first.chunks_total
    assert not (settings.index / storage.names.CHECKPOINT).exists(), "a complete build removes its checkpoint"
    assert index_status(settings).checkpoint_chunks == 0
    assert_same_index(settings.index, tmp_path / "reference")


def test_a_checkpoint_from_other_chunking_is_not_used(settings_for, tmp_path):
    settings = settings_for(_corpus(tmp_path, 2), checkpoint_every=8, **FORCED)
    with pytest.raises(Interrupt):
        build_index(settings, progress=_interrupt_after(10))
    report = build_index(settings.with_(chunk_tokens=150))
    assert report.chunks_resumed == 0
    assert report.chunks_embedded == report.chunks_total
    assert any("chunk_tokens 200 (now 150)" in w for w in report.warnings), report.warnings


@pytest.mark.slow
def test_sigkill_while_embedding_resumes_with_the_same_result(settings_for, tmp_path):
    """A real `qa index` killed with SIGKILL half-way through embedding; the next run embeds only the rest."""
    settings = settings_for(_corpus(tmp_path, 6), **FORCED)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "QA_CORPUS": str(settings.corpus),
        "QA_INDEX": str(settings.index),
        "QA_CHECKPOINT_EVERY": "8",
        **{f"QA_{k.upper()}": v for k, v in FORCED.items()},
    }
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "index"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    folder = settings.index / storage.names.CHECKPOINT
    deadline = time.monotonic() + 240
    while len(list(folder.glob("part-*.npz"))) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, f"qa index ended before it was killed: {proc.stderr.read().decode()[-2000:]}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stderr.close()
    kept = len(list(folder.glob("part-*.npz")))
    assert storage.current_folder(settings.index) is None, "no version may appear before the build completes"

    resumed = build_index(settings)
    assert resumed.chunks_resumed == 8 * kept
    shutil.rmtree(folder, ignore_errors=True)
    reference = build_index(settings.with_(index=tmp_path / "reference"))
    assert resumed.chunks_embedded + resumed.chunks_resumed == reference.chunks_embedded
    assert_same_index(settings.index, tmp_path / "reference")


@pytest.mark.slow
def test_sigkill_in_the_middle_of_a_streamed_write_keeps_the_old_index_and_the_next_build_resumes(
    settings_for, tmp_path
):
    """`qa index` in slices of a few chunks, killed once some slices are written into the new version's folder:
    the previous version stays in service, and the next build takes what was embedded from the checkpoint."""
    settings = settings_for(_corpus(tmp_path, 16), **FORCED)  # a dozen slices: the kill lands well before the end
    write(tmp_path / "small", "otters.txt", OTTERS)
    build_index(settings.with_(corpus=tmp_path / "small"))
    old = storage.current_folder(settings.index)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "QA_CORPUS": str(settings.corpus),
        "QA_INDEX": str(settings.index),
        "QA_CHECKPOINT_EVERY": "8",
        "QA_BUILD_MEMORY": "1M",
        **{f"QA_{k.upper()}": v for k, v in FORCED.items()},
    }
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "index"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        written = list(settings.index.glob(f".v*.tmp/{storage.names.PARTS}/{storage.SPARSE}/part-*"))
        if len(written) >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"qa index ended before it was killed: {proc.stderr.read().decode()[-2000:]}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stderr.close()
    assert storage.current_folder(settings.index) == old, "a killed streamed write leaves the old version current"
    hits = open_index(settings).search("otters", k=1)
    assert hits and hits[0].chunk.source == "otters.txt"

    resumed = build_index(settings)
    assert resumed.chunks_resumed > 0 and resumed.wrote
    assert not list(settings.index.glob(".v*.tmp")), "the killed build's scratch folder is gone"
    reference = build_index(settings.with_(index=tmp_path / "reference"))
    assert resumed.chunks_embedded + resumed.chunks_resumed == reference.chunks_embedded
    assert_same_index(settings.index, tmp_path / "reference")
