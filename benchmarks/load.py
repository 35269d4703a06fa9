"""Load test: drive the running app's HTTP API from N concurrent clients on loopback.

    python benchmarks/load.py                      # 1, 8 and 32 clients against a fresh index of corpus/
    python benchmarks/load.py --clients 1,8,32 --requests 2 --json

Starts `qa serve` on a free loopback port (with the app's own queue settings), sends questions through
the public REST API of the `ask` endpoint (POST /gradio_api/call/ask, then read the event stream), and
reports throughput and p50/p95 latency per level. Every level is bounded in requests and in time; the
exit status is 1 when any request failed or timed out.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = (
    "What does the government do to support AI?",
    "Which cities are in the Greater Bay Area?",
    "How is AI used in finance?",
    "What challenges does Hong Kong's AI sector face?",
    "Where do AI startups in Hong Kong get funding?",
    "What is the capital of Australia?",
)


@dataclass
class Level:
    clients: int
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    timeouts: int = 0
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies) + len(self.failures) + self.timeouts

    def row(self) -> dict:
        ok = sorted(self.latencies)
        pick = lambda q: ok[min(len(ok) - 1, int(q * len(ok)))] if ok else float("nan")  # noqa: E731
        return {
            "clients": self.clients,
            "requests": self.requests,
            "ok": len(ok),
            "failed": len(self.failures),
            "timed_out": self.timeouts,
            "seconds": round(self.seconds, 1),
            "throughput_rps": round(len(ok) / self.seconds, 2) if self.seconds else 0.0,
            "p50_s": round(statistics.median(ok), 2) if ok else None,
            "p95_s": round(pick(0.95), 2) if ok else None,
            "max_s": round(ok[-1], 2) if ok else None,
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ask(port: int, question: str, timeout: float) -> dict:
    """One question through the app's REST API; returns the answer JSON or raises."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = json.dumps({"data": [question]})
        connection.request("POST", "/gradio_api/call/ask", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"POST {response.status}: {payload[:200]!r}")
        event = json.loads(payload)["event_id"]
        connection.request("GET", f"/gradio_api/call/ask/{event}")
        response = connection.getresponse()
        stream = response.read().decode()
    finally:
        connection.close()
    if "event: complete" not in stream:
        raise RuntimeError(f"no answer: {stream.strip()[-200:]!r}")
    answer = json.loads(stream.split("event: complete\ndata: ", 1)[1].splitlines()[0])[0]
    if not isinstance(answer, dict) or "answered" not in answer:
        raise RuntimeError(f"unexpected reply: {str(answer)[:200]}")
    return answer


def run_level(port: int, clients: int, per_client: int, timeout: float, deadline_s: float) -> Level:
    level = Level(clients)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(number: int) -> None:
        start.wait()
        for i in range(per_client):
            if time.monotonic() > stop_at[0]:
                return
            question = QUESTIONS[(number + i) % len(QUESTIONS)]
            began = time.monotonic()
            try:
                ask(port, question, timeout)
            except TimeoutError:
                with lock:
                    level.timeouts += 1
                continue
            except Exception as exc:  # a failure of any kind is a result to report, not a crash
                with lock:
                    level.failures.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                level.latencies.append(time.monotonic() - began)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    stop_at[0] = began + deadline_s
    start.wait()
    for thread in threads:
        thread.join(deadline_s + timeout + 30)
    level.seconds = time.monotonic() - began
    return level


def wait_until_up(port: int, server: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"qa serve exited with status {server.returncode} before answering")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/gradio_api/info")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"qa serve did not answer within {seconds:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients per level, comma separated")
    parser.add_argument("--requests", type=int, default=2, help="questions each client asks per level")
    parser.add_argument("--min-requests", type=int, default=8, help="at least this many requests per level")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one request may take")
    parser.add_argument("--level-seconds", type=float, default=240.0, help="no new requests after this per level")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--index", type=Path, help="an existing index (default: build one in a temp folder)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="qa-load-"))
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    server = None
    log = open(work / "serve.log", "w")  # noqa: SIM115 - the server writes to it until the finally below
    try:
        index = args.index
        if index is None:
            index = work / "index"
            built = subprocess.run(
                [sys.executable, "-m", "qa.cli", "index", "--corpus", str(args.corpus), "--index", str(index)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            if built.returncode != 0:
                raise SystemExit(f"qa index failed: {built.stderr.strip()[-500:]}")
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qa.cli",
                "serve",
                "--corpus",
                str(args.corpus),
                "--index",
                str(index),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until_up(port, server, 180)
        ask(port, QUESTIONS[0], args.timeout)  # warm up: first answer loads what is loaded lazily

        rows = []
        for clients in (int(c) for c in args.clients.split(",") if c.strip()):
            per_client = max(args.requests, -(-args.min_requests // clients))
            level = run_level(port, clients, per_client, args.timeout, args.level_seconds)
            rows.append(level.row())
            for failure in sorted(set(level.failures))[:5]:
                print(f"  {clients} clients: {failure}", file=sys.stderr)
        machine = f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
        if args.json:
            print(json.dumps({"machine": machine, "levels": rows}, indent=2))
        else:
            print(
                f"qa serve on loopback ({machine}); {args.requests}+ questions per client, timeout {args.timeout:.0f} s"
            )
            print("| clients | requests | ok | failed | timed out | seconds | answers/s | p50 s | p95 s | max s |")
            print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for r in rows:
                print(
                    f"| {r['clients']} | {r['requests']} | {r['ok']} | {r['failed']} | {r['timed_out']} | "
                    f"{r['seconds']} | {r['throughput_rps']} | {r['p50_s']} | {r['p95_s']} | {r['max_s']} |"
                )
        return 1 if any(r["failed"] or r["timed_out"] for r in rows) else 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
