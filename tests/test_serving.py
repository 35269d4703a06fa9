"""Several app processes, one index: two real `qa serve` processes on one index folder answer consistently while
an outside `qa index` writes a new version, and each switches to it once it is complete."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import httpx
import pytest
from helpers import DEFAULT_CORPUS, OTTERS, ROOT, free_port, write

from qa import Settings, build_index

pytestmark = pytest.mark.slow
QUESTION = "What do otters hold while they sleep?"
STARTUP_S = 180


def _serve(settings: Settings, port: int) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "QA_CORPUS": str(settings.corpus), "QA_INDEX": str(settings.index)}
    command = [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_ready(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"qa serve exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"qa serve at {url} did not start in {STARTUP_S} s")


def _state(client) -> str:
    """ "new" when the answer cites the otters note (written by the outside build), "old" when it does not."""
    answer = client.predict(QUESTION, api_name="/ask")
    sources = {c["source"] for c in answer["citations"]}
    return "new" if answer["answered"] and sources == {"otters.txt"} else "old"


def test_two_app_processes_follow_an_outside_build(tmp_path, embedder):
    from gradio_client import Client

    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    settings = Settings(corpus=corpus, index=tmp_path / "index")
    build_index(settings)
    ports = [free_port(), free_port()]
    servers = [_serve(settings, port) for port in ports]
    try:
        urls = [f"http://127.0.0.1:{port}/" for port in ports]
        for url, proc in zip(urls, servers):
            _wait_ready(url, proc)
        clients = [Client(url, verbose=False, analytics_enabled=False, download_files=False) for url in urls]
        assert [_state(c) for c in clients] == ["old", "old"]
        same = [c.predict("Which cities are in the Greater Bay Area?", api_name="/ask") for c in clients]
        assert same[0] == same[1], "two processes on one index give one answer"

        write(corpus, "otters.txt", OTTERS)
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        command = [sys.executable, "-m", "qa.cli", "index", "--corpus", str(corpus), "--index", str(settings.index)]
        outside = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        seen: list[list[str]] = [[], []]
        while outside.poll() is None:
            for i, client in enumerate(clients):
                seen[i].append(_state(client))
        assert outside.returncode == 0, outside.stdout.read().decode()[-2000:]
        for i, client in enumerate(clients):
            seen[i].append(_state(client))
            assert seen[i][-1] == "new", f"process {i} did not switch to the new version: {seen[i]}"
            switched = seen[i].index("new")
            assert all(s == "new" for s in seen[i][switched:]), f"process {i} went back to the old version: {seen[i]}"
        assert sum(len(s) for s in seen) > 2, "the processes were asked while the build ran"
    finally:
        for proc in servers:
            proc.terminate()
        for proc in servers:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
            proc.stderr.close()
