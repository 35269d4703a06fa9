"""The `qa` command: a thin skin over the public API."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from qa.config import BACKENDS, DEVICES, MODELS, PRECISIONS, Settings
from qa.errors import QAError
from qa.files import human_size
from qa.types import BuildProgress, BuildReport, IndexStatus, Skipped, WatchEvent


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus=getattr(args, "corpus", None),
        index=getattr(args, "index", None),
        precision=getattr(args, "precision", None),
        backend=getattr(args, "backend", None),
        device=getattr(args, "device", None),
        model=getattr(args, "model", None),
        index_factory=getattr(args, "factory", None),
        llm_url=getattr(args, "llm_url", None),
        llm_model=getattr(args, "llm_model", None),
        auth=getattr(args, "auth", None),
        watch=getattr(args, "watch", None),
        strictness=getattr(args, "strictness", None),
        ray_address=getattr(args, "ray", None),
        ray_workers=getattr(args, "ray_workers", None),
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="qa", description="Ask questions about a folder of documents, with citations.")
    sub = top.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--corpus", type=Path, help="documents folder (default ./corpus, or $QA_CORPUS)")
        p.add_argument("--index", type=Path, help="index folder (default ./index, or $QA_INDEX)")
        p.add_argument(
            "--backend", choices=BACKENDS, help="what runs the model: torch or onnx (default auto, or $QA_BACKEND)"
        )
        p.add_argument(
            "--model",
            choices=MODELS,
            help="encoders: minilm (English) or minilm+use (any language; default auto, or $QA_MODEL)",
        )
        p.add_argument("--device", choices=DEVICES, help="cpu or cuda (default auto: a GPU where torch can use one)")
        return p

    p = command("index", "build or update the index, re-embedding only changed files")
    p.add_argument("--rebuild", action="store_true", help="rebuild from scratch")
    p.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        metavar="ADDRESS",
        help="read and embed the changed files as a Ray job: auto starts Ray on this machine, host:port joins a "
        "cluster (or $QA_RAY_ADDRESS; needs pip install -e '.[ray]')",
    )
    p.add_argument("--ray-workers", type=int, metavar="N", help="encoder actors (default: one per CPU of the cluster)")
    _build_options(p)
    _build_options(command("watch", "re-index the corpus by itself whenever its files change; Ctrl-C stops"))
    p = command("status", "show what the index holds and what changed since; exit 0 in sync, 1 stale, 2 unusable")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    for name, help_text in (
        ("search", "show the passages that match a query"),
        ("ask", "answer a question with citations"),
    ):
        p = command(name, help_text)
        p.add_argument("question", help="the question; '-' reads one per line from stdin and prints JSON lines")
        p.add_argument("-k", type=int, help="number of passages (default 5)")
        p.add_argument("--json", action="store_true", help="print JSON")
        if name == "ask":
            _llm_options(p)
    p = command("chat", "chat in the terminal; follow-up questions use the previous turn")
    p.add_argument("-k", type=int)
    _llm_options(p)
    p = command("serve", "start the chat in the browser")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", help="user:password to require a login (or $QA_AUTH)")
    p.add_argument(
        "--watch", action="store_true", default=None, help="re-index the corpus as its files change (or $QA_WATCH=1)"
    )
    _llm_options(p)
    p = command(
        "eval",
        "measure retrieval and answers: on a SQuAD-format file (indexed apart), or on your own questions "
        "against the current index (--questions)",
    )
    p.add_argument("dataset", type=Path, nargs="?", help="a SQuAD v1.1 or v2.0 JSON file")
    p.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="JSON lines: question (or q), and any of source, page, answer, answerable, why, lang; several files "
        "are reported apart and in total",
    )
    p.add_argument("--k", help="recall cut-offs, comma separated (default 1,5,20 for SQuAD, 1,5 for --questions)")
    p.add_argument("--articles", help="SQuAD only: these article titles, comma separated")
    p.add_argument("--json", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="--questions: list every failed question")
    _strictness(p)
    return top


def _build_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--precision", choices=PRECISIONS, help="embedding precision (default auto; float16 on a GPU)")
    p.add_argument("--factory", help='FAISS index: "auto", "Flat" or a factory string such as "IVF1024,Flat"')


def _llm_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--llm-url", help="OpenAI-compatible base URL, e.g. http://localhost:11434/v1 (or $QA_LLM_URL)")
    p.add_argument("--llm-model", help="model name at that endpoint (or $QA_LLM_MODEL)")
    p.add_argument("--mode", choices=["auto", "llm", "extractive"], default="auto")
    _strictness(p)


def _strictness(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--strictness",
        type=float,
        metavar="0..1",
        help="refuse when the evidence that the documents answer is below this (default: the fitted point; "
        "higher refuses more; or $QA_STRICTNESS)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`qa ask ... | head`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def cmd_index(args: argparse.Namespace) -> int:
    from qa import build_index

    settings = settings_from(args)
    bar = _ProgressBar()
    try:
        report = build_index(settings, rebuild=args.rebuild, progress=bar)
    finally:
        bar.close()
    for warning in report.warnings:
        print(f"note: {warning}", file=sys.stderr)
    _print_skipped(report.skipped)
    action = "updated" if report.wrote else "up to date:"
    print(f"{action} {settings.index} from {settings.corpus}: {_report_line(report)}")
    return 0


def _print_skipped(skipped: Sequence[Skipped], shown: int = 3) -> None:
    """One line a file, except that a reason shared by more than `shown` + 2 files prints `shown` of them and
    a count of the rest."""
    same = Counter((s.partial, s.reason) for s in skipped)
    printed: Counter[tuple[bool, str]] = Counter()
    for s in skipped:
        key = (s.partial, s.reason)
        kind = "note" if s.partial else "skipped"
        if same[key] <= shown + 2 or printed[key] < shown:
            print(f"{kind}: {s.source}: {s.reason}", file=sys.stderr, flush=True)
        elif printed[key] == shown:
            print(f"{kind}: {same[key] - shown:,} more files: {s.reason}", file=sys.stderr, flush=True)
        printed[key] += 1


def _report_line(report: BuildReport) -> str:
    resumed = f" ({report.chunks_resumed} more taken from an interrupted build)" if report.chunks_resumed else ""
    copies = f", {report.chunks_duplicate} duplicates of them" if report.chunks_duplicate else ""
    return (
        f"added {len(report.added)}, changed {len(report.changed)}, removed {len(report.removed)}, "
        f"unchanged {report.unchanged} files; {report.chunks_embedded} chunks embedded{copies}{resumed}; "
        f"{report.documents_total} documents, {report.chunks_total} chunks in the index{_other_chunks(report)}; "
        f"{report.seconds:.1f} s"
    )


def _other_chunks(report: BuildReport) -> str:
    """The chunks of the index that this build did not embed, so the counts add up."""
    parts = [
        (report.chunks_kept, "from unchanged files"),
        (report.chunks_reused, "kept from edited or renamed files"),
    ]
    said = [f"{count} {what}" for count, what in parts if count]
    return f" ({', '.join(said)})" if said else ""


def cmd_watch(args: argparse.Namespace) -> int:
    from qa import Watcher

    settings = settings_from(args)
    watcher = Watcher(settings, listener=_print_event)
    print(f"watching {settings.corpus} (index {settings.index}); Ctrl-C stops", flush=True)
    with _terminate_as_interrupt():
        watcher.start()
        try:
            while not watcher.join(0.5):
                pass
        except KeyboardInterrupt:
            print("stopping: an update that is writing the index finishes first", file=sys.stderr, flush=True)
            watcher.stop()
            print(f"stopped watching {settings.corpus}", flush=True)
            return 0
    return 1


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Stop cleanly on SIGTERM (a service manager's stop) as on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_event(event: WatchEvent) -> None:
    if event.kind == "updating":
        names = ", ".join(event.files[:5]) + (f" and {len(event.files) - 5} more" if len(event.files) > 5 else "")
        print(f"updating: {len(event.files)} file(s) changed: {names}", flush=True)
    elif event.kind == "updated" and event.report is not None:
        print(f"updated: {_report_line(event.report)}", flush=True)
    elif event.kind == "skipped":
        _print_skipped(event.skipped)
    elif event.kind == "error":
        print(f"error: {event.error}; still watching, the index in use is unchanged", file=sys.stderr, flush=True)


def cmd_status(args: argparse.Namespace) -> int:
    from qa import index_status
    from qa.serialize import status_json

    status = index_status(settings_from(args))
    print(json.dumps(status_json(status), ensure_ascii=False, indent=2) if args.json else format_status(status))
    return status.exit_code


def format_status(status: IndexStatus) -> str:
    rows = [("state", _state_line(status)), ("index", status.index)]
    if status.version:
        rows += [
            ("version", f"{status.version}, {human_size(status.size_bytes)} on disk"),
            ("serving", f"about {human_size(status.serving_bytes)} in memory besides the models"),
            ("built at", status.built_at),
            ("format", str(status.format)),
            ("model", status.model),
            ("fingerprint", _fingerprint_line(status)),
            ("multilingual", status.multilingual or "none (questions in other languages are refused)"),
            ("languages", ", ".join(f"{k} {v:.0%}" for k, v in status.languages.items()) or "not recorded"),
            ("contents", f"{status.documents} documents, {status.chunks} chunks"),
        ]
        if status.builder == "ray":
            rows.append(("built by", f"a Ray job, {status.workers} workers on {status.nodes} nodes"))
    if status.checkpoint_chunks:
        rows.append(("checkpoint", f"{status.checkpoint_chunks} chunks of an interrupted build; `qa index` resumes"))
    rows.append(("corpus", status.corpus))
    rows += [("new", s) for s in status.new] + [("modified", s) for s in status.modified]
    rows += [("deleted", s) for s in status.deleted]
    rows += [("note" if s.partial else "skipped", f"{s.source}: {s.reason}") for s in status.skipped]
    return "\n".join(f"{name:<12} {value}" for name, value in rows)


def _state_line(status: IndexStatus) -> str:
    if status.state == "in_sync":
        return "in sync"
    if status.state == "unusable":
        return f"unusable: {status.error}"
    if status.error:
        return f"stale: {status.error}"
    if status.settings_changed:
        return "stale: chunking or precision differ from the build's; `qa index` re-embeds everything"
    if status.multilingual != status.multilingual_wanted and not (status.new or status.modified or status.deleted):
        wanted = status.multilingual_wanted
        doing = (
            f"embeds its {status.chunks} chunks with {wanted}"
            if wanted
            else f"drops the vectors of {status.multilingual}"
        )
        return f"stale: the encoders differ from the settings' (--model); `qa index` {doing}, the English vectors stay"
    counts = f"{len(status.new)} new, {len(status.modified)} modified, {len(status.deleted)} deleted"
    return f"stale: {counts} since the build; run `qa index` (or keep `qa watch` running)"


def _fingerprint_line(status: IndexStatus) -> str:
    if not status.model_sha256:
        installed = status.installed_model_sha256 or "unknown"
        return f"not recorded (index built by an older qa); installed model {installed}"
    same = status.model_sha256 == status.installed_model_sha256
    return f"sha256 {status.model_sha256}" + (" (the installed model)" if same else "")


class _ProgressBar:
    """One bar per stage: pages read by OCR for each scanned file, then chunks embedded (files, on Ray), then
    the chunks' multilingual vectors."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.label = ""

    def __call__(self, step: BuildProgress) -> None:
        labels = {"ocr": f"OCR {step.source}", "ray": "embedding on Ray", "multilingual": "multilingual vectors"}
        label = labels.get(step.stage, "embedding")
        if self.bar is None or label != self.label:
            from tqdm import tqdm

            self.close()
            self.label = label
            unit = {"ocr": "page", "multilingual": "chunk"}.get(step.stage, "file")
            self.bar = tqdm(total=step.total, desc=label, unit=unit, file=sys.stderr)
        if step.stage == "multilingual":
            self.bar.set_postfix_str(f"{human_size(step.memory)} in memory", refresh=False)
        elif step.stage != "ocr":
            memory = f", {human_size(step.memory)} in memory" if step.memory else ""
            self.bar.set_postfix_str(f"{step.chunks_done} chunks{memory}", refresh=False)
        self.bar.update(step.done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _questions(question: str, stdin: TextIO) -> tuple[list[str], bool]:
    if question == "-":
        return [line.strip() for line in stdin if line.strip()], True
    return [question], False


def cmd_search(args: argparse.Namespace) -> int:
    from qa import open_index
    from qa.serialize import search_json

    index = open_index(settings_from(args))
    questions, batch = _questions(args.question, sys.stdin)
    for query in questions:
        hits = index.search(query, args.k)
        if batch or args.json:
            print(json.dumps(search_json(query, hits), ensure_ascii=False), flush=True)
            continue
        if not hits:
            print("no passages found")
        for rank, hit in enumerate(hits, start=1):
            c = hit.chunk
            page = f" page {c.page}" if c.page else ""
            print(f"{rank}. {c.source} lines {c.line_start}-{c.line_end}{page}  score {hit.score:.3f}")
            print("   " + " ".join(c.text.split())[:400])
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from qa import open_index
    from qa.serialize import answer_json

    index = open_index(settings_from(args))
    questions, batch = _questions(args.question, sys.stdin)
    for question in questions:
        if batch or args.json:
            answer = _noted(index.stream(question, args.k, mode=args.mode).answer)
            print(json.dumps(answer_json(answer), ensure_ascii=False), flush=True)
        else:
            _print_streamed(index, question, args.k, (), args.mode)
    return 0


def _noted(answer: Any) -> Any:
    if answer.notice:
        print(f"note: {answer.notice}", file=sys.stderr)
    return answer


def _print_streamed(index: Any, question: str, k: int | None, history: Any, mode: str) -> Any:
    stream = index.stream(question, k, history, mode=mode)
    for n, part in enumerate(stream):
        if n == 0 and stream.known is not None and stream.known.short is not None:
            print(f"Short answer: {stream.known.short.text}\n")
        print(part, end="", flush=True)
    print()
    answer = stream.answer
    for sentence in answer.unsupported_sentences:
        print(f"  unsupported: {sentence}")
    if answer.citations:
        print("\nClosest passages:" if not answer.answered else "\nSources:")
    for c in answer.citations:
        page = f", page {c.page}" if c.page else ""
        lines = f"line {c.line_start}" if c.line_start == c.line_end else f"lines {c.line_start}-{c.line_end}"
        also = f" (also in {len(c.also_in)} other file{'s' if len(c.also_in) > 1 else ''})" if c.also_in else ""
        print(f"  [{c.id}] {c.source}{also}, {lines}{page}: {' '.join(c.text.split())[:300]}")
    return answer


def cmd_chat(args: argparse.Namespace) -> int:
    from qa import open_index

    index = open_index(settings_from(args))
    history: list[tuple[str, str]] = []
    print("Ask about the corpus; an empty line or Ctrl-D ends the chat.")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            return 0
        answer = _print_streamed(index, question, args.k, history, args.mode)
        if answer is not None:
            history.append((question, answer.answer))


def cmd_serve(args: argparse.Namespace) -> int:
    from qa.web import serve

    serve(settings_from(args), host=args.host, port=args.port)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if (args.dataset is None) == (args.questions is None):
        raise QAError("pass either a SQuAD file (qa eval FILE.json) or your questions (qa eval --questions FILE.jsonl)")
    if args.questions is not None:
        return _eval_questions(args)
    from qa.evaluation import evaluate, format_report

    articles = [a.strip() for a in args.articles.split(",")] if args.articles else None
    report = evaluate(args.dataset, settings_from(args), _cutoffs(args.k or "1,5,20"), articles=articles)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def _eval_questions(args: argparse.Namespace) -> int:
    from qa import open_index
    from qa.goldset import (
        evaluate_questions,
        format_failures,
        format_measures,
        format_report,
        load_questions,
        merge,
        short_names,
    )
    from qa.serialize import goldset_json

    paths: list[Path] = args.questions
    names = short_names(paths)
    sets = [load_questions(p) for p in paths]
    index = open_index(settings_from(args))
    cutoffs = _cutoffs(args.k or "1,5")
    reports = [evaluate_questions(index, questions, cutoffs) for questions in sets]
    total = merge(reports)
    if args.json:
        print(json.dumps(goldset_json(total, list(zip(names, reports))), ensure_ascii=False, indent=2))
        return 0
    info = index.info()
    print(
        f"{len(total.outcomes)} questions on the index at {index.settings.index} "
        f"({info.version}: {info.documents} documents, {info.chunks} chunks)"
    )
    if len(reports) == 1:
        print(format_report(total))
        return 0
    print(format_measures([*zip(names, reports), ("total", total)]))
    for name, report in zip(names, reports):
        if args.verbose:
            print(f"{name}: " + format_failures(report))
        else:
            print(f"{name}: {len(report.failed)} of {len(report.outcomes)} questions failed (--verbose lists them)")
    return 0


def _cutoffs(text: str) -> list[int]:
    try:
        return [int(k) for k in text.split(",") if k.strip()]
    except ValueError:
        raise QAError(f"--k takes whole numbers separated by commas, e.g. --k 1,5, not {text!r}") from None


COMMANDS = {
    "index": cmd_index,
    "watch": cmd_watch,
    "status": cmd_status,
    "search": cmd_search,
    "ask": cmd_ask,
    "chat": cmd_chat,
    "serve": cmd_serve,
    "eval": cmd_eval,
}

if __name__ == "__main__":
    sys.exit(main())
