"""Encoder backends side by side on real text: word pieces/s, question latency, and cosine to torch float32.

    python benchmarks/encoders.py                    # 600 PEP passages, every backend this machine runs
    python benchmarks/encoders.py --passages 200 --rounds 2

Each round embeds the same passages with every backend in turn, so a busy machine slows all of them alike;
the table shows medians and the ratio to torch float32 measured in the same rounds. `auto` is what
qa.embedding.choose picks here.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.embedding import Choice, get_embedder, resolve  # noqa: E402
from qa.hardware import detect  # noqa: E402

PEPS = ROOT.parent / "shared" / "corpora" / "peps"
QUESTION = "How are exceptions chained when raised inside an except block?"


def passages(count: int) -> list[str]:
    """Paragraphs of the PEPs joined to about 150-250 words, the size of qa's chunks."""
    out: list[str] = []
    current: list[str] = []
    for path in sorted(PEPS.glob("*.rst")):
        for paragraph in re.split(r"\n\s*\n", path.read_text(errors="replace")):
            current.append(paragraph.strip())
            if sum(len(p.split()) for p in current) >= 150:
                out.append("\n\n".join(current))
                current = []
                if len(out) == count:
                    return out
    return out


def candidates(hardware) -> list[Choice]:
    found = [Choice("torch", "float32", "cpu"), Choice("onnx", "float32", "cpu"), Choice("torch", "bfloat16", "cpu")]
    if not hardware.onnxruntime:
        found.remove(Choice("onnx", "float32", "cpu"))
    if hardware.cuda:
        found.append(Choice("torch", "float16", "cuda"))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    args = parser.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    hardware = detect()
    texts = passages(args.passages)
    choices = candidates(hardware)
    encoders = {c: get_embedder(Settings(backend=c.backend, precision=c.precision, device=c.device)) for c in choices}
    pieces = sum(len(e.ids) for e in encoders[choices[0]]._tokens.encode_batch_fast(texts))  # type: ignore[attr-defined]
    reference = encoders[choices[0]].encode(texts)
    seconds: dict[Choice, list[float]] = {c: [] for c in choices}
    latency: dict[Choice, list[float]] = {c: [] for c in choices}
    cosine: dict[Choice, float] = {}
    for _ in range(args.rounds):
        for choice, encoder in encoders.items():
            began = time.perf_counter()
            vectors = encoder.encode(texts)
            seconds[choice].append(time.perf_counter() - began)
            cosine[choice] = float(np.min(np.sum(vectors * reference, axis=1)))
            for _ in range(20):
                began = time.perf_counter()
                encoder.encode_query(QUESTION)
                latency[choice].append(time.perf_counter() - began)
    base = statistics.median(seconds[choices[0]])
    print(
        f"Encoders on {len(texts)} PEP passages ({pieces} word pieces), {args.rounds} rounds; "
        f"{len(__import__('os').sched_getaffinity(0))} CPUs, torch threads {torch.get_num_threads()}"
    )
    print(f"Machine: {hardware.describe()}; auto picks {resolve(Settings(), hardware).describe()}")
    print()
    print(
        "| backend | word pieces/s | vs torch float32 (same rounds) | question ms p50 | min cosine to torch float32 |"
    )
    print("|---|---|---|---|---|")
    for choice in choices:
        median = statistics.median(seconds[choice])
        print(
            f"| {choice.describe()} | {pieces / median:,.0f} | {base / median:.2f}x | "
            f"{1000 * statistics.median(latency[choice]):.1f} | {cosine[choice]:.5f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
