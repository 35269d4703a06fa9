"""Build time with both encoders against MiniLM alone, each build a fresh `qa index` process, side by side.

Builds the same corpus with `--model minilm` and `--model minilm+use`, alternating for `--rounds` rounds, with
this checkout's code and, given `--base DIR`, an older copy of it as well (`git archive COMMIT | tar -x -C DIR`),
and prints the best time of each with its ratio to this run's MiniLM-only build.

    .venv/bin/python benchmarks/build_ratio.py --limit 120 --base /tmp/base --rounds 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEPS = ROOT.parent / "shared" / "corpora" / "peps"
INDEX = "import sys; from qa.cli import main; sys.exit(main(['index']))"


def build_seconds(code: Path, model: str, corpus: Path, index: Path) -> float:
    shutil.rmtree(index, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(code), QA_CORPUS=str(corpus), QA_INDEX=str(index), QA_MODEL=model)
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", INDEX], cwd=code, env=env, check=True, capture_output=True)
    return time.perf_counter() - began


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=PEPS)
    p.add_argument("--limit", type=int, default=120, help="the first N files of the corpus")
    p.add_argument("--base", type=Path, help="an older copy of the code, built side by side")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    builds = {"minilm": (ROOT, "minilm"), "minilm+use": (ROOT, "minilm+use")}
    if args.base:
        builds["minilm+use, base code"] = (args.base.resolve(), "minilm+use")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for path in sorted(f for f in args.corpus.rglob("*") if f.is_file())[: args.limit]:
            (corpus / path.name).write_bytes(path.read_bytes())
        times: dict[str, list[float]] = {name: [] for name in builds}
        for round_ in range(1, args.rounds + 1):
            for name, (code, model) in builds.items():
                load = os.getloadavg()[0]
                times[name].append(build_seconds(code, model, corpus, Path(tmp) / "index"))
                print(f"round {round_}, {name}: {times[name][-1]:.1f} s (load average {load:.1f})", flush=True)
    base = min(times["minilm"])
    print(f"| build ({args.limit} files, best of {args.rounds}) | seconds | ratio |\n|---|---|---|")
    for name, seconds in times.items():
        print(f"| {name} | {min(seconds):.1f} | {min(seconds) / base:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
