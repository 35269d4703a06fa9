"""What the multilingual encoder costs and gives, side by side in one run.

Builds the same corpus twice in fresh folders, `--model minilm` (the English model alone, the baseline) and
`--model minilm+use` (both encoders), alternating `--rounds` times, and prints the build-time ratio; then
times questions warm on the second index: English ones (the English path) and cross-language ones (the
multilingual path), and scores ../shared/data/debian-dev-crosslingual.jsonl when the corpus is debian-dev.

    .venv/bin/python benchmarks/multilingual.py --limit 120                       # the first 120 PEPs
    .venv/bin/python benchmarks/multilingual.py --corpus ../shared/corpora/debian-dev --rounds 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.api import build_index, open_index  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.embedding import resolve  # noqa: E402
from qa.hardware import detect  # noqa: E402

SHARED = ROOT.parent / "shared"
PEPS = SHARED / "corpora" / "peps"
CROSSLINGUAL = SHARED / "data" / "debian-dev-crosslingual.jsonl"
ENGLISH = ("What is the purpose of this proposal?", "How do I install a package?", "Who maintains it?")
ACROSS = ("这个提案的目的是什么？", "Comment installer un paquet ?", "誰がメンテナンスしていますか？")


def corpus(source: Path, limit: int | None, into: Path) -> Path:
    files = sorted(p for p in source.rglob("*") if p.is_file())[:limit] if limit else None
    if files is None:
        return source
    into.mkdir()
    for p in files:
        (into / p.relative_to(source).as_posix().replace("/", "_")).write_bytes(p.read_bytes())
    return into


def build_seconds(settings: Settings) -> float:
    began = time.perf_counter()
    build_index(settings, rebuild=True)
    return time.perf_counter() - began


def p50_ms(index, questions) -> float:
    for q in questions:
        index.ask(q)
    times = []
    for _ in range(5):
        for q in questions:
            began = time.perf_counter()
            index.ask(q)
            times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=PEPS)
    p.add_argument("--limit", type=int)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    hardware = detect()
    bulk = "torch bfloat16 for a build, numpy for questions" if hardware.cpu_bf16 else "numpy"
    print(f"{hardware.describe()}; encoder {resolve(Settings()).describe()}; multilingual {bulk}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = corpus(args.corpus, args.limit, Path(tmp) / "corpus")
        english = Settings.from_env(corpus=folder, index=Path(tmp) / "english", model="minilm")
        both = english.with_(index=Path(tmp) / "both", model="minilm+use")
        times: dict[str, list[float]] = {"minilm": [], "minilm+use": []}
        for _ in range(args.rounds):
            for settings in (english, both):
                times[settings.model].append(build_seconds(settings))
        base, more = min(times["minilm"]), min(times["minilm+use"])
        index = open_index(both)
        chunks = index.snapshot.manifest.chunks
        print(f"corpus {args.corpus} ({args.limit or 'all'} files), {chunks} chunks, best of {args.rounds} builds")
        print("| build | seconds | chunks/s | ratio |\n|---|---|---|---|")
        print(f"| minilm (baseline) | {base:.1f} | {chunks / base:.1f} | 1.00x |")
        print(f"| minilm+use | {more:.1f} | {chunks / more:.1f} | {more / base:.2f}x |")
        print(f"ask p50 warm: English {p50_ms(index, ENGLISH):.1f} ms, other languages {p50_ms(index, ACROSS):.1f} ms")
        if CROSSLINGUAL.is_file() and "debian-dev" in str(args.corpus):
            rows = [json.loads(line) for line in CROSSLINGUAL.read_text(encoding="utf-8").splitlines() if line]
            right = sum(row["answer"] in index.ask(row["q"]).answer for row in rows)
            print(f"debian-dev cross-language: {right}/{len(rows)} answered with the fact")
        index.snapshot.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
