"""Peak memory and speed of `qa index` as the corpus grows: the streamed build, and another checkout side by side.

    python benchmarks/scale.py --build                                   # 7k and 70k chunks
    python benchmarks/scale.py --build --chunks 7000 --chunks 250000     # other sizes
    python benchmarks/scale.py --build --baseline /tmp/qa-main --peps 120  # vs a checkout of main, and the PEPs

Corpora are generated: sentences of the PEPs recombined at random into files of about 20 chunks, so no two
chunks are alike and deduplication does not shrink them. Each build runs in a process of its own, as
`python -m qa.cli index`; its peak RSS comes from wait4's rusage, and the peak of a build of one small file
(the interpreter, torch and the model) is subtracted.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEPS = ROOT.parent / "shared" / "corpora" / "peps"
SENTENCE = re.compile(r"[A-Z][^.!?\n]{30,280}[.!?](?=\s)")
CHARS_PER_CHUNK = 640  # about what a 200-token chunk of recombined PEP sentences holds
CHUNKS_PER_FILE = 20
ROUNDS = 3  # builds of the PEPs per code, taking turns; the fastest counts


@dataclass(frozen=True)
class Run:
    code: str  # "streamed" or the baseline's name
    chunks: int
    files: int
    seconds: float
    cpu: float  # seconds of CPU, user and system: steadier than wall time on a machine others load
    peak: int  # bytes
    floor: int  # peak of a one-file build of the same code


def sentences() -> list[str]:
    found = {m.group(0) for p in sorted(PEPS.glob("pep-*.rst")) for m in SENTENCE.finditer(p.read_text("utf-8"))}
    return sorted(found)


def generate(folder: Path, chunks: int, pool: list[str], seed: int = 0) -> int:
    """Files of random PEP sentences, about `chunks` chunks in all; returns the files written."""
    rng = random.Random(seed)
    files = max(1, round(chunks / CHUNKS_PER_FILE))
    for n in range(files):
        paragraphs, size = [], 0
        while size < CHARS_PER_CHUNK * CHUNKS_PER_FILE:
            paragraph = " ".join(rng.choice(pool) for _ in range(rng.randint(3, 7)))
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
        target = folder / f"{n // 500:03d}" / f"doc-{n:06d}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return files


def run_qa(code: Path, args: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Seconds, CPU seconds, peak RSS in bytes and the output of `qa ARGS` in a process of its own, with `code`
    on sys.path; exits with the output's end when it fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", *args],
        cwd=code,
        env={**env, "PYTHONPATH": str(code)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"qa {args[0]} with {code} failed ({proc.returncode}): {output[-500:]}")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, output.strip()


def build(code: Path, corpus: Path, index: Path, env: dict[str, str]) -> tuple[float, float, int, str]:
    """Seconds, CPU seconds, peak RSS in bytes and the last output line of one `qa index` run."""
    seconds, cpu, peak, output = run_qa(code, ["index", "--corpus", str(corpus), "--index", str(index)], env)
    return seconds, cpu, peak, output.splitlines()[-1]


def chunks_of(line: str) -> int:
    match = re.search(r"(\d+) chunks in the index", line)
    return int(match.group(1)) if match else 0


def measure(
    codes: dict[str, Path], sizes: list[int], baseline_up_to: int, env: dict[str, str], work: Path
) -> list[Run]:
    pool = sentences()
    log(f"{len(pool)} distinct PEP sentences to recombine")
    small = work / "small"
    (small / "note.txt").parent.mkdir(parents=True, exist_ok=True)
    (small / "note.txt").write_text("Sea otters hold hands while they sleep.\n", encoding="utf-8")
    floors = {name: build(code, small, work / f"small-{name}", env)[2] for name, code in codes.items()}
    log("a one-file build peaks at " + ", ".join(f"{floors[name] / 2**30:.3f} GB ({name})" for name in codes))
    runs = []
    for size in sizes:
        corpus = work / f"corpus-{size}"
        files = generate(corpus, size, pool, seed=size)
        for name, code in codes.items():
            if name != "streamed" and size > baseline_up_to:
                continue
            index = work / f"index-{size}-{name}"
            seconds, cpu, peak, line = build(code, corpus, index, env)
            runs.append(Run(name, chunks_of(line), files, seconds, cpu, peak, floors[name]))
            log(
                f"{name} {size}: {line}; peak {peak / 2**30:.3f} GB, {(peak - floors[name]) / 2**30:.3f} GB above one file"
            )
            shutil.rmtree(index, ignore_errors=True)
        shutil.rmtree(corpus, ignore_errors=True)
    return runs


def peps(codes: dict[str, Path], count: int, env: dict[str, str], work: Path, rounds: int = ROUNDS) -> list[Run]:
    """Each code's fastest of `rounds` builds of the first `count` PEPs, the codes taking turns, so that load
    from other processes falls on both alike."""
    corpus = work / "peps"
    corpus.mkdir(parents=True, exist_ok=True)
    for pep in sorted(PEPS.glob("pep-*.rst"))[:count]:
        shutil.copyfile(pep, corpus / pep.name)
    best: dict[str, Run] = {}  # by CPU time: wall time here swings 2.5x with the load of other processes
    for turn in range(rounds):
        for name, code in list(codes.items()) if turn % 2 == 0 else list(codes.items())[::-1]:
            index = work / f"peps-{name}"
            seconds, cpu, peak, line = build(code, corpus, index, env)
            shutil.rmtree(index, ignore_errors=True)
            log(f"{name} PEPs, round {turn + 1}: {line}; {cpu:.1f} s of CPU")
            if name not in best or cpu < best[name].cpu:
                best[name] = Run(name, chunks_of(line), count, seconds, cpu, peak, 0)
    return list(best.values())


def describe(env: dict[str, str]) -> str:
    sys.path.insert(0, str(ROOT))
    from qa.config import Settings
    from qa.embedding import question_choice, resolve
    from qa.files import human_size
    from qa.hardware import detect

    settings = Settings.from_env(env)
    choice, question = resolve(settings), question_choice(settings)
    return (
        f"{detect().describe()}; {os.cpu_count()} CPUs; backend {choice.backend} {choice.precision} on {choice.device}, "
        f"questions {question.backend} {question.precision}; QA_BUILD_MEMORY {human_size(settings.build_memory)}"
    )


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(sizes: list[int], baseline: Path | None, baseline_up_to: int, pep_count: int) -> int:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    codes = {"streamed": ROOT, **({"baseline": baseline} if baseline else {})}
    print(describe(env))
    with tempfile.TemporaryDirectory(prefix="qa-build-") as tmp:
        work = Path(tmp)
        runs = measure(codes, sizes, baseline_up_to, env, work)
        pep_runs = peps(codes, pep_count, env, work) if pep_count else []
    print("\n| code | chunks | files | wall s | CPU s | chunks per CPU s | peak RSS | peak minus a one-file build |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(
            f"| {r.code} | {r.chunks:,} | {r.files:,} | {r.seconds:.0f} | {r.cpu:.0f} | {r.chunks / r.cpu:.1f} | "
            f"{r.peak / 2**30:.2f} GB | {(r.peak - r.floor) / 2**30:.2f} GB |"
        )
    if pep_runs:
        print(
            f"\n| code | the first {pep_count} PEPs: chunks | least CPU of {ROUNDS} builds, s | its wall s | chunks per CPU s |"
        )
        print("|---|---|---|---|---|")
        for r in pep_runs:
            print(f"| {r.code} | {r.chunks:,} | {r.cpu:.1f} | {r.seconds:.1f} | {r.chunks / r.cpu:.1f} |")
    return 0
