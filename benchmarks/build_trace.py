"""Resident memory of one `qa index` build as it goes, in this process: after each heap trim (every second batch,
each slice, each multilingual slice), so memory that stays from batch to batch shows apart from a batch's own.

    python benchmarks/build_trace.py --chunks 4000 --memory 64M     # slices of about 800 chunks
    python benchmarks/build_trace.py --chunks 4000 --model minilm   # without the multilingual pass

The corpus is build_memory.py's (PEP sentences recombined at random). A line every `--every` trims: seconds,
chunks embedded, RSS after the trim and the peak so far (VmHWM).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build_memory import generate, sentences

from qa import heap, indexer
from qa.config import Settings
from qa.streaming import resident_bytes
from qa.types import BuildProgress


def peak_bytes() -> int:
    """This process's peak resident memory so far (VmHWM)."""
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--chunks", type=int, default=4000, help="size of the generated corpus")
    p.add_argument("--memory", default="1G", help="QA_BUILD_MEMORY")
    p.add_argument("--model", default="auto", help="QA_MODEL: auto (with the multilingual pass) or minilm")
    p.add_argument("--every", type=int, default=4, help="print every this many trims")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-trace-") as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        generate(corpus, args.chunks, sentences(), seed=args.chunks)
        env = {**os.environ, "QA_CORPUS": str(corpus), "QA_INDEX": str(index), "HF_HUB_OFFLINE": "1"}
        settings = Settings.from_env({**env, "QA_BUILD_MEMORY": args.memory, "QA_MODEL": args.model})
        started, trims, embedded = time.perf_counter(), 0, 0
        release = heap.release

        def traced() -> bool:
            nonlocal trims
            done = release()
            trims += 1
            if trims % args.every == 0:
                print(
                    f"{time.perf_counter() - started:7.1f} s  {embedded:7,} chunks  RSS {resident_bytes() / 2**20:5.0f} MB"
                    f"  peak {peak_bytes() / 2**20:5.0f} MB",
                    flush=True,
                )
            return done

        def progress(step: BuildProgress) -> None:
            nonlocal embedded
            if step.stage == "embedding":
                embedded = step.chunks_done

        heap.release = traced
        report = indexer.build(settings, progress=progress)
        print(f"{report.chunks_total:,} chunks; peak {peak_bytes() / 2**30:.2f} GB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
