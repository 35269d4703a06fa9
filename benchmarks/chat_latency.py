"""Time to the first streamed text of an answer in the chat, warm, in a real browser over a real `qa serve`.

Starts `qa serve` on an index (built first when missing), opens the chat in Chromium (Playwright), asks one
warm-up question, then times each question from pressing Enter until the answer's bubble first shows text,
and until the answer is complete (kept in the browser's storage). Prints the CPU, encoder and the medians.

    .venv/bin/python benchmarks/chat_latency.py --corpus /tmp/pep120 --index /tmp/pep120-index
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.api import build_index  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.embedding import resolve  # noqa: E402
from qa.hardware import detect  # noqa: E402
from qa.web import HISTORY_KEY  # noqa: E402

QUESTIONS = (
    "What is the purpose of a PEP?",
    "Who decides whether a PEP is accepted?",
    "How should a PEP be formatted?",
    "What is the Python style guide?",
    "What happens to a rejected PEP?",
    "Which encoding should Python source files use?",
)
FIRST_TEXT = "document.querySelectorAll(\"#chat [data-testid='bot']\").length > {before} && document.querySelectorAll(\"#chat [data-testid='bot']\")[{before}].innerText.trim().length > 0"
KEPT = f"(JSON.parse(localStorage.getItem('{HISTORY_KEY}') || 'null') || {{turns: []}}).turns.length"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    import urllib.request

    began = time.time()
    while time.time() - began < timeout:
        if proc.poll() is not None:
            raise SystemExit("qa serve exited")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("qa serve did not answer")


def ask(page, question: str) -> tuple[float, float]:
    bots = page.locator("#chat [data-testid='bot']").count()
    kept = page.evaluate(KEPT)
    page.fill("#question textarea", question)
    began = time.perf_counter()
    page.press("#question textarea", "Enter")
    page.wait_for_function(FIRST_TEXT.format(before=bots), polling=10)
    first = time.perf_counter() - began
    page.wait_for_function(f"{KEPT} > {kept}", polling=10)
    return first, time.perf_counter() - began


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--index", type=Path, required=True)
    args = p.parse_args()
    settings = Settings.from_env(corpus=args.corpus, index=args.index)
    build_index(settings)
    print(f"{detect().describe()}; encoder {resolve(settings).describe()}")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "serve", "--corpus", str(args.corpus), "--index", str(args.index)]
        + ["--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url, proc)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page()
            page.goto(url)
            page.wait_for_selector("#question textarea")
            ask(page, "What is a PEP?")
            times = [ask(page, q) for q in QUESTIONS]
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    firsts, wholes = [t[0] for t in times], [t[1] for t in times]
    print(
        f"{len(times)} questions, warm: first streamed text p50 {statistics.median(firsts):.2f} s "
        f"(max {max(firsts):.2f}), whole answer p50 {statistics.median(wholes):.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
