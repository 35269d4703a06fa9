"""`qa index --ray` on a real two-node Ray cluster on loopback: the same index as one process, updates that send
only the changed files, a worker killed mid-job, and the one-line errors of a bad address or token."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest
from helpers import OTTERS, SHARED, assert_same_index, free_port, qa_loading, run_qa, write

from qa import Settings, build_index, index_status, storage
from qa.cli import format_status

pytest.importorskip("ray", reason="Ray is an extra: pip install -e '.[ray]' (make test installs it)")
from raycluster import RayCluster, namespaces_work

pytestmark = pytest.mark.slow
PEPS = sorted((SHARED / "corpora" / "peps").glob("pep-*.rst"))
FORCED = {"precision": "float32", "backend": "torch", "device": "cpu"}  # the same path in both builds
FORCED_ENV = {f"QA_{k.upper()}": v for k, v in FORCED.items()}
BROKEN = b"%PDF-1.7\nthis is not a PDF body\n"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = namespaces_work()
    if reason:
        pytest.skip(f"the loopback Ray cluster runs in a network namespace: {reason}")
    ray_cluster = RayCluster(tmp_path_factory.mktemp("ray"), nodes=2, cpus=1)
    yield ray_cluster
    ray_cluster.stop()
    assert ray_cluster.pids("") == [], "the cluster's processes outlived it"


def _corpus(root: Path, peps: list[Path]) -> Path:
    corpus = root / "corpus"
    for pep in peps:
        write(corpus, pep.name, pep.read_text(encoding="utf-8"))
    (corpus / "broken.pdf").write_bytes(BROKEN)
    return corpus


@pytest.fixture(scope="module")
def built(cluster, tmp_path_factory, embedder):
    """One corpus indexed through the cluster and, for reference, in this process."""
    base = tmp_path_factory.mktemp("built")
    corpus = _corpus(base, PEPS[:6])
    local = build_index(Settings(corpus=corpus, index=base / "local", **FORCED))
    return base, corpus, local, cluster.qa(*_ray_index(cluster, corpus, base / "ray"), env=_forced(cluster))


def _ray_index(cluster: RayCluster, corpus: Path, index: Path) -> tuple[str, ...]:
    """The arguments of `qa index --ray` through the cluster."""
    return ("index", "--corpus", str(corpus), "--index", str(index), "--ray", cluster.address)


def _forced(cluster: RayCluster) -> dict[str, str]:
    return cluster.client_env(**FORCED_ENV)


def _manifest(index: Path) -> dict:
    folder = storage.current_folder(index)
    assert folder is not None
    return json.loads((folder / "manifest.json").read_text())


def test_a_two_node_cluster_builds_the_index_one_process_builds(built):
    base, _, local, result = built
    assert result.returncode == 0, result.stderr[-3000:]
    assert_same_index(base / "ray", base / "local")
    manifest = _manifest(base / "ray")
    assert (manifest["builder"], manifest["nodes"], manifest["workers"]) == ("ray", 2, 2)
    assert (manifest["precision"], manifest["backend"]) == ("float32", "torch")
    assert _manifest(base / "local")["builder"] == ""
    status = format_status(index_status(Settings(corpus=built[1], index=base / "ray")))
    assert "a Ray job, 2 workers on 2 nodes" in status
    [reason] = [s.reason for s in local.skipped if s.source == "broken.pdf"]
    assert f"skipped: broken.pdf: {reason}" in result.stderr, "a file a worker cannot read is reported as locally"
    assert f"{local.chunks_total} chunks in the index" in result.stdout


def test_an_update_through_ray_sends_only_the_changed_files(built, cluster):
    base, corpus, _, first = built
    assert first.returncode == 0, first.stderr[-3000:]
    for name in ("ray", "local"):
        shutil.copytree(base / name, base / f"{name}-update")
    with open(corpus / PEPS[0].name, "a", encoding="utf-8") as f:
        f.write("\n\nA closing paragraph about sea otters, added after the first build.\n")
    write(corpus, "otters.txt", OTTERS)
    local = build_index(Settings(corpus=corpus, index=base / "local-update", **FORCED))
    result = cluster.qa(*_ray_index(cluster, corpus, base / "ray-update"), env=_forced(cluster))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "added 1, changed 1, removed 0, unchanged 5 files" in result.stdout
    assert f"{local.chunks_embedded} chunks embedded" in result.stdout, (result.stdout, local)
    assert "2/2" in result.stderr, "only the two changed files are sent to the cluster"
    assert_same_index(base / "ray-update", base / "local-update")


def test_a_worker_killed_mid_job_loses_nothing(built, cluster, embedder):
    """Ray restarts the actor and retries its batch; were the job to fail, the old index would stay in service."""
    base = built[0]
    corpus = _corpus(base / "kill", PEPS[10:22])
    index = base / "kill-index"
    write(base / "kill" / "seed", "otters.txt", OTTERS)
    build_index(Settings(corpus=base / "kill" / "seed", index=index, **FORCED))
    old = storage.current_folder(index)
    job = cluster.popen_qa(*_ray_index(cluster, corpus, index), env=_forced(cluster))
    deadline = time.monotonic() + 300
    while len(cluster.pids("ray::Worker")) < 2 and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(6)  # the actors have loaded the model and are embedding their first batches
    victims = cluster.pids("ray::Worker")
    assert job.poll() is None and victims, "the job ended before a worker could be killed"
    os.kill(victims[0], signal.SIGKILL)
    output, _ = job.communicate(timeout=600)
    print(f"after killing worker {victims[0]}: exit {job.returncode}; {output.strip().splitlines()[-1]}")
    if job.returncode == 0:
        reference = base / "kill-reference"
        build_index(Settings(corpus=corpus, index=reference, **FORCED))
        assert_same_index(index, reference)
        assert victims[0] not in cluster.pids("ray::Worker")
    else:
        [error] = [line for line in output.splitlines() if line.startswith("error:")]
        assert "Ray job failed" in error and len(output.splitlines()[-1]) < 400, output[-2000:]
        assert storage.current_folder(index) == old, "a failed Ray job must leave the previous index in service"


def test_the_driver_reads_a_file_only_when_a_worker_is_free_for_it(built, cluster):
    """The job holds a few files' bytes, not the folder's: a file removed while the actors load their model is
    never read (it is reported as gone), because the smallest files are sent last."""
    base = built[0]
    corpus = _corpus(base / "lazy", PEPS[30:42])
    smallest = min(corpus.glob("pep-*.rst"), key=lambda p: p.stat().st_size)
    job = cluster.popen_qa(*_ray_index(cluster, corpus, base / "lazy-index"), env=_forced(cluster))
    deadline = time.monotonic() + 300
    while not cluster.pids("ray::Worker") and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.poll() is None, "the job ended before a file could be removed"
    smallest.unlink()
    output, _ = job.communicate(timeout=600)
    assert job.returncode == 0, output[-3000:]
    assert re.search(rf"skipped: {smallest.name}: No such file", output), output[-3000:]
    status = index_status(Settings(corpus=corpus, index=base / "lazy-index"))
    assert status.documents == 11, "the other eleven PEPs are indexed"


def test_an_unreachable_address_fails_at_once_in_one_line(tmp_path):
    write(tmp_path / "corpus", "otters.txt", OTTERS)
    started = time.monotonic()
    port = free_port()
    result = run_qa(
        "index", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index"), "--ray", f"127.0.0.1:{port}"
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: no Ray cluster answers at 127.0.0.1:{port} (Connection refused); start one there with "
        f"`ray start --head --port {port}`, or use --ray auto for a Ray on this machine"
    )
    assert time.monotonic() - started < 60
    assert not (tmp_path / "index" / "CURRENT").exists()


def test_a_wrong_token_is_refused_in_one_line(cluster, tmp_path):
    write(tmp_path / "corpus", "otters.txt", OTTERS)
    env = cluster.client_env(RAY_AUTH_TOKEN="0" * 64)
    result = cluster.qa(*_ray_index(cluster, tmp_path / "corpus", tmp_path / "index"), env=env, timeout=180)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: the Ray cluster at {cluster.address} refused this client's token"), last
    assert "RAY_AUTH_TOKEN" in last


def test_a_build_without_ray_imports_nothing_of_ray(tmp_path):
    write(tmp_path / "corpus", "otters.txt", OTTERS)
    result, loaded = qa_loading(
        "index", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index"), watch=("ray", "pyarrow")
    )
    assert result.returncode == 0, result.stderr
    assert "1 documents" in result.stdout and loaded == []


def test_without_the_extra_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    from qa.distributed import INSTALL, connect
    from qa.errors import QAError

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(QAError) as caught:
        connect(Settings(corpus=tmp_path, index=tmp_path / "index", ray_address="auto"))
    assert str(caught.value) == INSTALL


def test_a_ray_build_killed_half_way_resumes_from_its_checkpoint(built, cluster, embedder):
    """SIGKILL the `qa index --ray` driver once results have reached its checkpoint; the next run sends the
    files again but embeds only the chunks the checkpoint lacks, and the index equals a local build."""
    base = built[0]
    corpus = _corpus(base / "resume", PEPS[22:34])
    index = base / "resume-index"
    command = _ray_index(cluster, corpus, index)
    job = cluster.popen_qa(*command, env=_forced(cluster))
    parts = index / storage.names.CHECKPOINT
    deadline = time.monotonic() + 300
    while len(list(parts.glob("part-*.npz"))) < 2 and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.poll() is None, f"the job ended before it was killed: {job.stdout.read()[-2000:]}"
    job.send_signal(signal.SIGKILL)  # `ip netns exec` execs the command: this is the qa process itself
    job.communicate(timeout=60)
    assert storage.current_folder(index) is None, "no version may appear before the build completes"
    result = cluster.qa(*command, env=_forced(cluster))
    assert result.returncode == 0, result.stderr[-3000:]
    resumed = re.search(r"(\d+) chunks embedded \((\d+) more taken from an interrupted build\)", result.stdout)
    assert resumed and int(resumed.group(2)) > 0, result.stdout
    reference = build_index(Settings(corpus=corpus, index=base / "resume-reference", **FORCED))
    assert int(resumed.group(1)) + int(resumed.group(2)) == reference.chunks_embedded
    assert_same_index(index, base / "resume-reference")


def test_auto_starts_a_ray_of_its_own_and_stops_it(tmp_path, embedder):
    reason = namespaces_work()
    if reason:
        pytest.skip(f"the loopback Ray runs in a network namespace: {reason}")
    place = RayCluster(tmp_path, nodes=0)  # only the loopback namespace: qa starts Ray itself
    try:
        corpus = _corpus(tmp_path / "auto", PEPS[40:44])
        result = place.qa(
            "index",
            "--corpus",
            str(corpus),
            "--index",
            str(tmp_path / "index"),
            "--ray",
            "auto",
            env=place.client_env(**FORCED_ENV),
        )
        assert result.returncode == 0, result.stderr[-3000:]
        manifest = _manifest(tmp_path / "index")
        assert (manifest["builder"], manifest["nodes"]) == ("ray", 1)
        assert manifest["workers"] == len(os.sched_getaffinity(0)), "one actor per CPU of this machine"
        build_index(Settings(corpus=corpus, index=tmp_path / "reference", **FORCED))
        assert_same_index(tmp_path / "index", tmp_path / "reference")
        time.sleep(2)
        assert place.pids("") == [], "the Ray that qa started must end with it"
    finally:
        place.stop()
