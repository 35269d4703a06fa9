"""Serving a big index: the first answer of a cold `qa ask` (wall time and peak RSS) and warm search and ask
latency, for this code and, side by side on the same index, another checkout.

    python benchmarks/serving.py --index /tmp/handbook-index                       # this code only
    python benchmarks/serving.py --index /tmp/handbook-index --baseline /tmp/qa-base
    python benchmarks/serving.py --index /tmp/new-index --baseline /tmp/qa-base --baseline-index /tmp/old-index

Queries are the first sentences of chunks drawn at random (seeded) from the index itself, so any corpus has
them; each code answers the same ones. Cold runs and the warm loop run in processes of their own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
COLD_QUESTION = "How do I configure a static IP address on an interface?"
MAX_QUERY_CHARS = 160


def queries(index: Path, count: int, seed: int = 0) -> list[str]:
    """The opening sentence of `count` chunks drawn at random from the index's current version."""
    sys.path.insert(0, str(ROOT))
    from qa import storage

    folder = storage.current_folder(index)
    if folder is None:
        raise SystemExit(f"no index at {index}; build one with qa index --index {index}")
    texts = storage.catalog_of(folder).texts()
    picked = random.Random(seed).sample(texts, min(count, len(texts)))
    return [t.split(". ")[0][:MAX_QUERY_CHARS] for t in picked]


def cold(code: Path, index: Path, env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in bytes and the first line of one `qa ask` in a fresh process."""
    from build_memory import run_qa

    seconds, _, peak, output = run_qa(code, ["ask", "--index", str(index), COLD_QUESTION], env)
    return seconds, peak, output.splitlines()[0][:100]


def warm(index: Path, questions: list[str]) -> dict[str, float]:
    """In this process: p50 and p95 of search and ask, in ms, after one question to warm up; and search p50 of
    the questions qa.language reads as English and of the others."""
    from qa import Settings, open_index

    opened = open_index(Settings(index=index))
    opened.ask(COLD_QUESTION)
    english = [_english(q) for q in questions]
    figures: dict[str, float] = {"english": sum(english)}
    for name, call in (("search", opened.search), ("ask", opened.ask)):
        times = []
        for question in questions:
            started = time.perf_counter()
            call(question)
            times.append((time.perf_counter() - started) * 1000)
        if name == "search":
            for group, wanted in (("en", True), ("other", False)):  # a corpus may give no question of a group
                picked = [t for t, e in zip(times, english) if e == wanted]
                figures[f"search p50 {group}"] = statistics.median(picked) if picked else float("nan")
        times.sort()
        figures[f"{name} p50"] = statistics.median(times)
        figures[f"{name} p95"] = times[int(0.95 * (len(times) - 1))]
    return figures


def _english(question: str) -> bool:
    try:
        from qa.language import language_of
    except ImportError:  # code from before questions in other languages: every question is searched alike
        return True
    return language_of(question) == "en"


def warm_in(code: Path, index: Path, questions: list[str], env: dict[str, str]) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", "--index", str(index)],
        input=json.dumps(questions),
        cwd=code,
        env={**env, "PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True, help="a built qa index")
    p.add_argument("--baseline", type=Path, help="a checkout of other qa code, run on the same index")
    p.add_argument("--baseline-index", type=Path, help="the index the baseline reads, where its format differs")
    p.add_argument("--questions", type=int, default=200)
    p.add_argument("--cold-runs", type=int, default=3)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(warm(args.index, json.loads(sys.stdin.read()))))
        return 0
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    from build_memory import describe

    print(describe(env))
    questions = queries(args.index, args.questions)
    codes = {"this": (ROOT, args.index)}
    if args.baseline:
        codes["baseline"] = (args.baseline.resolve(), args.baseline_index or args.index)
    runs: dict[str, list[tuple[float, int, str]]] = {name: [] for name in codes}
    for _ in range(args.cold_runs):  # the codes take turns, so that a change of load falls on both
        for name, (code, index) in codes.items():
            runs[name].append(cold(code, index, env))
    rows = []
    for name, (code, index) in codes.items():
        walls, peaks = sorted(r[0] for r in runs[name]), sorted(r[1] for r in runs[name])
        figures = warm_in(code, index, questions, env)
        rows.append((name, statistics.median(walls), statistics.median(peaks), figures))
        print(f"{name}: cold answer {runs[name][0][2]!r}", file=sys.stderr)
    print(f"\n{len(questions)} queries; cold `qa ask`: median of {args.cold_runs} fresh processes, the codes in turn\n")
    english = int(rows[0][3]["english"])
    print(f"({english} of them read as English, {len(questions) - english} as other languages)\n")
    print(
        "| code | cold ask s | cold peak RSS | warm search p50 / p95 ms | search p50 English / other | warm ask p50 / p95 ms |"
    )
    print("|---|---|---|---|---|---|")
    for name, wall, peak, f in rows:
        print(
            f"| {name} | {wall:.2f} | {peak / 1e6:.0f} MB | {f['search p50']:.1f} / {f['search p95']:.1f} "
            f"| {f['search p50 en']:.1f} / {f['search p50 other']:.1f} | {f['ask p50']:.1f} / {f['ask p95']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
