"""Peak memory of the stages of a build that a whole build's peak hides, this checkout and another side by side.

    python benchmarks/stage_memory.py --baseline /tmp/qa-main
    python benchmarks/stage_memory.py --baseline /tmp/qa-main --words-from /tmp/handbook/html
    python benchmarks/stage_memory.py --baseline /tmp/qa-main --stage ivf

Each stage runs in a process of its own, for each code in turn, and reports how far its RSS rose above where it
started (the peak is reset through /proc/self/clear_refs after a heap trim) and its CPU seconds:

- `slice`: one slice of a generated corpus written (`StreamedVersion.add`: catalog rows, postings, chunk vectors,
  sentence vectors quantized), its vectors random;
- `words`: the corpus words' multilingual table (`multivectors.vocabulary`) of a folder's texts;
- `parts`: the multilingual vectors of a 250k-chunk corpus written in parts as each code cuts them (random vectors,
  `vectorparts.PartWriter`, a block of 512 at a time as the multilingual pass adds them);
- `ivf`: the English vectors of a 250k-chunk corpus made into their index at a build's end (`DenseWriter.finish`:
  above 200,000 vectors an IVF index, trained on 65,536 of them, written in parts; random vectors).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from build_memory import PEPS, generate, sentences

ROOT = Path(__file__).resolve().parent.parent
SLICE_CHUNKS = 3200  # about what a slice of QA_BUILD_MEMORY's default holds of generated text

COMMON = """
import json, os, re, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import numpy as np
from qa import heap

def rss(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0

def search_p50(index, dimension):
    # milliseconds of a one-thread search for 50 neighbours, the median of 50 after 10 to warm up
    import faiss
    faiss.omp_set_num_threads(1)
    times = []
    for query in np.random.default_rng(1).standard_normal((60, dimension)).astype(np.float32):
        started = time.perf_counter()
        index.search(query[None], 50)
        times.append(time.perf_counter() - started)
    return 1000 * sorted(times[10:])[25]

def measured(work):
    heap.release()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    start, cpu = rss("VmRSS"), time.process_time()
    detail = work()
    print(json.dumps({"above": rss("VmHWM") - start, "cpu": time.process_time() - cpu, "detail": detail}))
"""

SLICE = """
from qa import indexer, slices, storage, streaming
from qa.config import Settings
from qa.ingest import split_sentences
settings = Settings.from_env({**os.environ, "QA_CORPUS": sys.argv[2], "QA_INDEX": sys.argv[3]})
work = indexer.plan(settings, False)
splitter = indexer.make_splitter(indexer.load_tokenizer(indexer.model_path(settings)), settings)
version = storage.VersionWriter(settings.index, None)
stream = streaming.StreamedVersion(version, None)
part = next(iter(slices.cut(work.added, settings, splitter, 1 << 40)))
texts = [c.text for item in part.loaded for c in item.chunks]
rng = np.random.default_rng(0)
found = {t: (rng.standard_normal(384).astype(np.float32),
             rng.standard_normal((len(split_sentences(t)), 384)).astype(np.float16)) for t in texts}
def work():
    stream.add(part.loaded, found)
    return f"{len(texts):,} chunks, {sum(len(v[1]) for v in found.values()):,} sentences"
measured(work)
stream.abandon()
version.abort()
"""

WORDS = """
from qa import multivectors
from qa.encoders.use import multilingual_encoder
texts = [re.sub(r"<[^>]+>", " ", p.read_text("utf-8", errors="ignore"))
         for p in sorted(Path(sys.argv[2]).rglob("*")) if p.is_file()]
class Version:
    def chunk_ids(self):
        return list(range(len(texts)))
    def texts_of(self, ids):
        return [texts[i] for i in ids]
multilingual_encoder().encode(["warm up"] * 64, batch_size=32)
measured(lambda: f"{len(multivectors.vocabulary(None, Version()).words):,} words")
"""


PARTS = """
import inspect
import faiss
from qa import multivectors, vectorparts
total, dimension = 250_000, 512
part = min(getattr(multivectors, "PART", vectorparts.PART), vectorparts.PART)
cut = {"part": part} if "part" in inspect.signature(vectorparts.PartWriter).parameters else {}
folder = Path(sys.argv[2])
def write(number, index):
    faiss.write_index(index, str(folder / f"multilingual.{number}.faiss"))
def work():
    writer = vectorparts.PartWriter(
        total, lambda: faiss.index_factory(dimension, "IDMap2,SQfp16", faiss.METRIC_INNER_PRODUCT), write, **cut
    )
    rng = np.random.default_rng(0)
    for first in range(0, total, 512):
        rows = rng.standard_normal((min(512, total - first), dimension)).astype(np.float32)
        writer.add([(np.arange(first, first + len(rows)), rows)])
    return f"{total:,} vectors in {writer.close()} parts"
measured(work)
index = vectorparts.joined([faiss.read_index(str(p)) for p in sorted(folder.glob("*.faiss"))])
print(json.dumps({"search": search_p50(index, dimension)}))
"""

IVF = """
import faiss
from qa import vectorparts, vectors
from qa.vectorsets import DenseWriter, IndexChoice
total, dimension = 250_000, 384
folder = Path(sys.argv[2])
dense = DenseWriter(folder / "scratch.npy", None, None)
rng = np.random.default_rng(0)
for first in range(0, total, 4096):
    rows = rng.standard_normal((min(4096, total - first), dimension)).astype(np.float32)
    dense.append(np.arange(first, first + len(rows)), rows / np.linalg.norm(rows, axis=1, keepdims=True))
del rows
def write_part(number, index):
    faiss.write_index(index, str(folder / f"vectors.{number}.faiss"))
def work():
    built = dense.finish([], IndexChoice("auto", 200_000, None, 50_000), folder / "exact", Path.write_bytes, write_part)
    return f"{built.count:,} vectors, {built.factory} in {built.parts} parts"
measured(work)
index = vectorparts.joined([faiss.read_index(str(p)) for p in sorted(folder.glob("vectors.*.faiss"))])
params = vectors.default_params("IVF1024,SQfp16", total)
for part in getattr(index, "parts", [index]):
    faiss.ParameterSpace().set_index_parameters(part, params)
print(json.dumps({"search": search_p50(index, dimension)}))
"""


def stage(code: Path, script: str, *args: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(
        [sys.executable, "-c", COMMON + script, str(code), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{code}: the stage failed:\n{done.stderr[-2000:]}")
    found: dict = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            found.update(json.loads(line))
    return found


def _folder(path: Path) -> str:
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baseline", type=Path, required=True, help="a checkout of other qa code, run side by side")
    p.add_argument("--words-from", type=Path, default=PEPS, help="folder whose texts give the words (default PEPs)")
    p.add_argument("--stage", action="append", choices=("slice", "words", "parts", "ivf"), help="only these")
    args = p.parse_args()
    codes = {"this checkout": ROOT, "baseline": args.baseline.resolve()}
    sys.path.insert(0, str(ROOT))
    from qa.hardware import detect

    print(f"{detect().describe()}; {os.cpu_count()} CPUs\n")
    print("| stage | code | what | peak above its start | CPU s |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="qa-stage-") as tmp:
        corpus = Path(tmp) / "corpus"
        generate(corpus, SLICE_CHUNKS, sentences(), seed=SLICE_CHUNKS)
        stages = {
            "slice": lambda code, n: stage(code, SLICE, str(corpus), str(Path(tmp) / f"index-{n}")),
            "words": lambda code, n: stage(code, WORDS, str(args.words_from)),
            "parts": lambda code, n: stage(code, PARTS, _folder(Path(tmp) / f"parts-{n}")),
            "ivf": lambda code, n: stage(code, IVF, _folder(Path(tmp) / f"ivf-{n}")),
        }
        for name, run in stages.items():
            if args.stage and name not in args.stage:
                continue
            found = {label: run(code, n) for n, (label, code) in enumerate(codes.items())}
            for label, r in found.items():
                searched = f"; one-thread search of them, k=50: p50 {r['search']:.1f} ms" if "search" in r else ""
                print(f"| {name} | {label} | {r['detail']}{searched} | {r['above'] / 2**20:.0f} MB | {r['cpu']:.2f} |")
            ratio = found["this checkout"]["above"] / max(found["baseline"]["above"], 1)
            print(f"| {name} | ratio | | {ratio:.2f} | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
