"""`qa index --ray` beside `qa index` in one process, on the same PEPs, in one run.

    python benchmarks/ray_index.py                  # the first 120 PEPs, one round
    python benchmarks/ray_index.py --peps 40 --rounds 3

Each round builds a fresh index three ways, one after another: in one process; through a Ray cluster of one
node with all of this machine's CPUs; and through a cluster of two nodes that share them (one CPU each on two
cores). The two clusters run on loopback in network namespaces (tests/raycluster.py), are started before the
first round and stay up for all of them, so every build runs beside the same idle Ray processes. A build's time
is the wall time of the `qa index` command: starting Python, loading the model (in each actor, for Ray),
reading, chunking, embedding and writing. chunks/s is chunks embedded over that time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # raycluster.py: the loopback cluster the Ray tests use

from raycluster import RayCluster, namespaces_work  # noqa: E402

from qa.config import Settings  # noqa: E402
from qa.embedding import resolve  # noqa: E402
from qa.hardware import detect  # noqa: E402

PEPS = ROOT.parent / "shared" / "corpora" / "peps"
EMBEDDED = re.compile(r"(\d+) chunks embedded")


def build(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds of one `qa index`, and how many chunks it embedded."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=7200)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[-4:])} failed: {result.stderr[-2000:]}")
    found = EMBEDDED.search(result.stdout)
    assert found, result.stdout
    return seconds, int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peps", type=int, default=120, help="how many PEPs, in file order")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    reason = namespaces_work()
    if reason:
        raise SystemExit(f"the loopback clusters need network namespaces: {reason}")
    cpus = len(os.sched_getaffinity(0))
    work = Path(tempfile.mkdtemp(prefix="qa-ray-bench-"))
    corpus = work / "corpus"
    corpus.mkdir()
    for pep in sorted(PEPS.glob("pep-*.rst"))[: args.peps]:
        shutil.copyfile(pep, corpus / pep.name)
    print(f"hardware: {detect().describe()}")
    print(f"encoder: {resolve(Settings()).describe()} (auto, in each process and actor)")
    print(f"corpus: {args.peps} PEPs, {sum(p.stat().st_size for p in corpus.iterdir()) / 1e6:.1f} MB; {cpus} CPUs")
    (work / "one").mkdir()
    (work / "two").mkdir()
    one = RayCluster(work / "one", nodes=1, cpus=cpus)
    two = RayCluster(work / "two", nodes=2, cpus=max(1, cpus // 2))
    try:
        qa = [sys.executable, "-m", "qa.cli", "index", "--corpus", str(corpus)]
        cache = {"QA_CACHE": str(Settings.from_env().cache)}  # the model's ONNX export, made once, for all three
        ways = {
            "qa index, one process": (qa, {**os.environ, "HF_HUB_OFFLINE": "1"}),
            f"qa index --ray, 1 node x {cpus} CPUs": (one.inside([*qa, "--ray", one.address]), one.client_env(**cache)),
            f"qa index --ray, 2 nodes x {max(1, cpus // 2)} CPU": (
                two.inside([*qa, "--ray", two.address]),
                two.client_env(),
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in ways}
        chunks = 0
        for round_number in range(args.rounds):
            for name, (command, env) in ways.items():
                index = work / "index"
                shutil.rmtree(index, ignore_errors=True)
                seconds, chunks = build([*command, "--index", str(index)], env)
                times[name].append(seconds)
                print(f"round {round_number + 1}: {name}: {seconds:.1f} s, {chunks} chunks", flush=True)
        baseline = statistics.median(times["qa index, one process"])
        print()
        print(f"{'build':<36}{'seconds':>9}{'chunks/s':>10}{'vs one process':>16}")
        for name, values in times.items():
            seconds = statistics.median(values)
            print(f"{name:<36}{seconds:>9.1f}{chunks / seconds:>10.1f}{baseline / seconds:>15.2f}x")
    finally:
        one.stop()
        two.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
