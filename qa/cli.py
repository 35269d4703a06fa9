"""The `qa` command: a thin skin over the public API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence, TextIO

from qa.config import Settings
from qa.errors import QAError


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus=getattr(args, "corpus", None),
        index=getattr(args, "index", None),
        precision=getattr(args, "precision", None),
        index_factory=getattr(args, "factory", None),
        llm_url=getattr(args, "llm_url", None),
        llm_model=getattr(args, "llm_model", None),
        auth=getattr(args, "auth", None),
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="qa", description="Ask questions about a folder of documents, with citations.")
    sub = top.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--corpus", type=Path, help="documents folder (default ./corpus, or $QA_CORPUS)")
        p.add_argument("--index", type=Path, help="index folder (default ./index, or $QA_INDEX)")
        return p

    p = command("index", "build or update the index, re-embedding only changed files")
    p.add_argument("--rebuild", action="store_true", help="rebuild from scratch")
    p.add_argument("--precision", choices=["auto", "float32", "bfloat16"], help="embedding precision (default auto)")
    p.add_argument("--factory", help='FAISS index: "auto", "Flat" or a factory string such as "IVF1024,Flat"')
    for name, help_text in (("search", "show the passages that match a query"), ("ask", "answer a question with citations")):
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
    _llm_options(p)
    p = sub.add_parser("eval", help="measure retrieval and answers on a SQuAD-format file")
    p.add_argument("dataset", type=Path)
    p.add_argument("--k", default="1,5,20", help="recall cut-offs, comma separated")
    p.add_argument("--articles", help="only these article titles, comma separated")
    p.add_argument("--json", action="store_true")
    return top


def _llm_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--llm-url", help="OpenAI-compatible base URL, e.g. http://localhost:11434/v1 (or $QA_LLM_URL)")
    p.add_argument("--llm-model", help="model name at that endpoint (or $QA_LLM_MODEL)")
    p.add_argument("--mode", choices=["auto", "llm", "extractive"], default="auto")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def cmd_index(args: argparse.Namespace) -> int:
    from qa import build_index

    settings = settings_from(args)
    bar = _ProgressBar()
    try:
        report = build_index(settings, rebuild=args.rebuild, progress=bar)
    finally:
        bar.close()
    for skipped in report.skipped:
        kind = "note" if skipped.partial else "skipped"
        print(f"{kind}: {skipped.source}: {skipped.reason}", file=sys.stderr)
    action = "updated" if report.wrote else "up to date:"
    print(
        f"{action} {settings.index} from {settings.corpus}: added {len(report.added)}, changed {len(report.changed)}, "
        f"removed {len(report.removed)}, unchanged {report.unchanged} files; "
        f"{report.chunks_embedded} chunks embedded; {report.documents_total} documents, "
        f"{report.chunks_total} chunks in the index; {report.seconds:.1f} s"
    )
    return 0


class _ProgressBar:
    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="embedding", unit="chunk", file=sys.stderr)
        self.bar.update(done - self.bar.n)

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
            answer = _final(index.stream(question, args.k, mode=args.mode))
            print(json.dumps(answer_json(answer), ensure_ascii=False), flush=True)
        else:
            _print_streamed(index, question, args.k, (), args.mode)
    return 0


def _final(parts: Any) -> Any:
    answer = None
    for part in parts:
        if not isinstance(part, str):
            answer = part
    if answer is not None and answer.notice:
        print(f"note: {answer.notice}", file=sys.stderr)
    return answer


def _print_streamed(index: Any, question: str, k: int | None, history: Any, mode: str) -> Any:
    answer = None
    for part in index.stream(question, k, history, mode=mode):
        if isinstance(part, str):
            print(part, end="", flush=True)
        else:
            answer = part
    print()
    if answer is None:
        return None
    for sentence in answer.unsupported_sentences:
        print(f"  unsupported: {sentence}")
    if answer.citations:
        print("\nClosest passages:" if not answer.answered else "\nSources:")
    for c in answer.citations:
        page = f", page {c.page}" if c.page else ""
        lines = f"line {c.line_start}" if c.line_start == c.line_end else f"lines {c.line_start}-{c.line_end}"
        print(f"  [{c.id}] {c.source}, {lines}{page}: {' '.join(c.text.split())[:300]}")
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
    from qa.evaluation import evaluate, format_report

    cutoffs = [int(k) for k in args.k.split(",") if k.strip()]
    articles = [a.strip() for a in args.articles.split(",")] if args.articles else None
    report = evaluate(args.dataset, Settings.from_env(), cutoffs, articles=articles)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


COMMANDS = {
    "index": cmd_index, "search": cmd_search, "ask": cmd_ask, "chat": cmd_chat, "serve": cmd_serve, "eval": cmd_eval,
}

if __name__ == "__main__":
    sys.exit(main())
