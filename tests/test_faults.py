"""Faults during `qa index` and while reading: kills, concurrent runs, damaged files, full or read-only disks.

The promise under test: whatever happens to a build, the index answers exactly as before the build or
exactly as after it, and a damaged index is refused with a message that says to rebuild.

Run as a script, this file is also the helper process of the kill test (`python tests/test_faults.py
serve-forks` / `open-each`); see `ForkServer`.
"""

from __future__ import annotations

import ctypes
import errno
import faulthandler
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from helpers import SHARED, free_port

ROOT = Path(__file__).resolve().parent.parent
HK = ROOT / "corpus" / "hong-kong-ai.txt"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"

NOTE_A = "The lighthouse keeper feeds the harbour cats every Tuesday morning before the ferries sail.\n"
NOTE_B = "The observatory opens its large telescope to visitors on clear Friday nights after sunset.\n"
EXTRA_B = "Tickets for the night ferry to the outer islands are sold only at the pier kiosk.\n"
QUERIES = ("Who feeds the harbour cats?", "When can visitors use the observatory telescope?")
BUILD_LIMIT_S = 180
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # fixed questions answered on one thread


# --- corpus states and what the index answers in each ---------------------------------------------------


def set_state(corpus: Path, state: str) -> None:
    """State A: the AI article and a note about cats; state B: another note and one more file."""
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HK, corpus / HK.name)
    (corpus / "note.txt").write_text(NOTE_A if state == "A" else NOTE_B)
    extra = corpus / "extra.txt"
    if state == "B":
        extra.write_text(EXTRA_B)
    elif extra.exists():
        extra.unlink()


class State:
    """What an opened index holds and answers: its chunks, their vectors, and the hits for fixed questions."""

    def __init__(self, index, questions: tuple[str, ...] = QUERIES) -> None:
        from qa.vectors import contents

        snapshot = index.snapshot
        ids, vectors = contents(snapshot.vectors)
        chunks = snapshot.chunks([int(i) for i in ids])
        keys = [(c.source, c.start, c.end, c.text) for c in (chunks[int(i)] for i in ids)]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self.questions = questions
        self.documents = index.info().documents
        self.chunks = tuple(keys[i] for i in order)
        self.vectors = vectors[order]
        self.hits = tuple(
            tuple((h.chunk.source, h.chunk.start, h.chunk.end, h.score) for h in index.search(q, k=3))
            for q in questions
        )

    def __eq__(self, other: object) -> bool:
        # Vectors may differ in the last bits between processes that run a different number of threads.
        return (
            isinstance(other, State)
            and (self.documents, self.chunks, self.hits) == (other.documents, other.chunks, other.hits)
            and np.allclose(self.vectors, other.vectors, atol=1e-5)
        )

    def __repr__(self) -> str:
        return f"State({self.documents} documents, chunks {[c[:3] for c in self.chunks]}, hits {self.hits})"


def observe(settings, questions: tuple[str, ...] = QUERIES) -> State:
    from qa import open_index

    index = open_index(settings)
    try:
        return State(index, questions)
    finally:
        index.snapshot.close()


def versions(index: Path) -> list[str]:
    return sorted(p.name for p in index.glob("v[0-9]*") if p.is_dir())


def scratch(index: Path) -> list[str]:
    return sorted(p.name for p in index.glob(".v*.tmp"))


def qa_index_args(settings) -> list[str]:
    return ["index", "--corpus", str(settings.corpus), "--index", str(settings.index)]


def qa_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "qa.cli", *args]


@pytest.fixture
def settings_for(settings_for):
    """Float32 in this process and in every child: these tests compare vectors built by different processes, and
    bfloat16 on AMX rounds them differently (by 1e-4) with a different number of threads."""
    return lambda *args, **overrides: settings_for(*args, **{"precision": "float32", **overrides})


def child_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), "QA_PRECISION": "float32", **extra}


def error_line(stderr: str) -> str:
    """The one `error:` line a failing command prints; fails the test on a traceback.

    Searched within lines: `qa index` leaves its progress bar open when it fails, so the error may follow it.
    """
    assert "Traceback" not in stderr, stderr
    lines = re.findall(r"error: [^\r\n]*", stderr)
    assert len(lines) == 1, stderr
    return lines[0]


# --- killing a build at a chosen moment ------------------------------------------------------------------


def _pointer(index: Path) -> bytes:
    try:
        return (index / "CURRENT").read_bytes()
    except OSError:
        return b""


def _version_folders(index: Path) -> dict[str, tuple[int, int]]:
    """Scratch and version folders by (inode, ctime): a killed build's leftover scratch folder is replaced, not new."""
    found = {}
    for path in [*index.glob(".v*.tmp"), *index.glob("v[0-9]*")]:
        try:
            info = path.stat()
        except OSError:
            continue
        found[path.name] = (info.st_ino, info.st_ctime_ns)
    return found


def watch_and_kill(
    alive: Callable[[], bool], kill: Callable[[], None], index: Path, anchor: str, delay: float, started: float
) -> dict:
    """Poll a running build; SIGKILL it `delay` s after its start or after its new version folder appears.

    anchor is "start", "write" (the scratch folder of the new version appeared) or "never" (only measure).
    """
    before = _version_folders(index)
    pointer = _pointer(index)
    wrote_at = committed_at = None
    while alive():
        now = time.monotonic()
        if wrote_at is None and any(before.get(n) != identity for n, identity in _version_folders(index).items()):
            wrote_at = now
        if committed_at is None and _pointer(index) != pointer:
            committed_at = now
        due = started + delay if anchor == "start" else None if wrote_at is None else wrote_at + delay
        hung = now - started > BUILD_LIMIT_S
        if hung or (anchor != "never" and due is not None and now >= due):
            kill()
            return {
                "kill_sent": True,
                "wrote": wrote_at is not None,
                "committed": committed_at is not None,
                "at": now - started,
                "hung": hung,
            }
        time.sleep(0.0005)
    return {
        "kill_sent": False,
        "hung": False,
        "wrote": wrote_at is not None,
        "committed": committed_at is not None,
        "write_after": None if wrote_at is None else wrote_at - started,
        "commit_after": None if committed_at is None else committed_at - started,
        "at": time.monotonic() - started,
    }


def serve_forks() -> None:
    """Pay once for the imports and the model, then run each requested `qa index` in a forked child.

    The child runs `qa.cli.main`, the same code as `python -m qa.cli index`, with its own process, files
    and lock; only the seconds of importing torch are shared. This process is the child's parent, so it
    kills it with SIGKILL at the requested moment without any risk of hitting a reused pid.
    """
    import tempfile
    import threading

    import tqdm

    import qa.cli
    from qa import build_index
    from qa.config import Settings

    tqdm.tqdm.monitor_interval = 0  # its monitor thread takes tqdm's lock now and then; a child would inherit it
    with tempfile.TemporaryDirectory() as warm:  # a throwaway build imports and loads all a build needs
        set_state(Path(warm) / "corpus", "A")
        build_index(Settings(corpus=Path(warm) / "corpus", index=Path(warm) / "index"))
    time.sleep(0.2)  # let the build's helper threads finish returning
    assert threading.active_count() == 1, f"threads alive at fork time: {threading.enumerate()}"
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.dup2(log, 1)
            os.dup2(log, 2)
            faulthandler.dump_traceback_later(BUILD_LIMIT_S / 2, exit=True)  # a stuck build shows where
            code = 1
            try:
                code = qa.cli.main(request["args"])
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.close(log)
        status: dict[str, int] = {}

        def alive() -> bool:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status["code"] = code
            return not done

        outcome = watch_and_kill(
            alive,
            lambda: os.kill(pid, signal.SIGKILL),
            Path(request["index"]),
            request["anchor"],
            request["delay"],
            started,
        )
        if "code" not in status:
            status["code"] = os.waitpid(pid, 0)[1]
        code = status["code"]
        outcome["killed"] = os.WIFSIGNALED(code) and os.WTERMSIG(code) == signal.SIGKILL
        outcome["exit"] = os.WEXITSTATUS(code) if os.WIFEXITED(code) else None
        outcome["end"] = time.monotonic() - started
        print(json.dumps(outcome), flush=True)


class ForkServer:
    """Client of `serve_forks`, running in its own process."""

    def __init__(self, log: Path) -> None:
        self.log = log
        # Thread pools (OpenMP in torch and FAISS, the tokenizer's) do not survive a fork: a child that
        # found one started would wait for it forever. One thread each, and there is none to inherit.
        env = child_env(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "serve-forks"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        ready = self.proc.stdout.readline()  # type: ignore[union-attr]
        assert json.loads(ready or "{}").get("ready"), "fork server did not start"

    def index(self, settings, anchor: str = "never", delay: float = 0.0) -> dict:
        request = {
            "args": qa_index_args(settings),
            "index": str(settings.index),
            "anchor": anchor,
            "delay": delay,
            "log": str(self.log),
        }
        self.proc.stdin.write(json.dumps(request) + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        outcome = json.loads(self.proc.stdout.readline())  # type: ignore[union-attr]
        outcome["output"] = self.log.read_text(errors="replace")
        assert not outcome["hung"], f"qa index ran past {BUILD_LIMIT_S} s and was killed: {outcome['output']}"
        return outcome

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run_cli_and_kill(settings, anchor: str, delay: float) -> dict:
    started = time.monotonic()
    proc = subprocess.Popen(
        qa_command(*qa_index_args(settings)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=ROOT,
    )
    outcome = watch_and_kill(lambda: proc.poll() is None, proc.kill, settings.index, anchor, delay, started)
    out, err = proc.communicate(timeout=60)
    assert not outcome["hung"], f"qa index ran past {BUILD_LIMIT_S} s and was killed: {out + err}"
    outcome.update(
        killed=proc.returncode == -signal.SIGKILL,
        exit=proc.returncode,
        output=out + err,
        end=time.monotonic() - started,
    )
    return outcome


# --- SIGKILL during `qa index` ----------------------------------------------------------------------------


def check_after_kill(settings, outcome: dict, old: str, expected: dict[str, State]) -> str:
    """The index answers exactly as in the old or the new state; returns which."""
    seen = observe(settings)
    state = next((name for name, known in expected.items() if known == seen), None)
    assert state is not None, f"index answers neither as before nor as after the build: {seen} ({outcome})"
    if not outcome["wrote"]:
        assert state == old, f"killed before writing, yet the index changed ({outcome})"
    if outcome["committed"]:
        assert state != old, f"CURRENT moved, yet the index answers as before ({outcome})"
    return state


@pytest.mark.slow
def test_sigkill_at_spread_delays_leaves_the_old_or_the_new_index(settings_for, tmp_path):
    from qa import IndexMissingError

    settings = settings_for()
    server = ForkServer(tmp_path / "build.log")
    try:
        set_state(settings.corpus, "A")
        first = server.index(settings, "write", 0.0)
        if first["killed"]:  # a first build killed while writing leaves no index, and says how to build one
            with pytest.raises(IndexMissingError, match="run `qa index`"):
                observe(settings)
        assert server.index(settings)["exit"] == 0
        set_state(settings.corpus, "B")
        measured = [server.index(settings)]
        expected = {"B": observe(settings)}
        set_state(settings.corpus, "A")
        measured.append(server.index(settings))
        expected["A"] = observe(settings)
        assert expected["A"] != expected["B"]
        assert all(m["exit"] == 0 and m["commit_after"] is not None for m in measured), measured

        # Delays from the measured builds: a few while the model loads and embeds; most from the moment the
        # new version's folder appears until CURRENT moves; some during the clean-up and exit after that.
        write_after = min(m["write_after"] for m in measured)
        committed = min(m["commit_after"] - m["write_after"] for m in measured)  # the shortest: kills land inside
        ended = max(m["end"] - m["write_after"] for m in measured)
        plan = [("start", write_after * f) for f in (0.1, 0.3, 0.5, 0.7, 0.9)]
        plan += [("write", committed * 1.05 * i / 19) for i in range(20)]
        plan += [("write", committed + (ended * 1.3 - committed) * i / 4) for i in range(5)]
        random.Random(6).shuffle(plan)

        state, kills, during_write, phases = "A", 0, 0, {}
        for anchor, delay in plan:
            target = "B" if state == "A" else "A"
            set_state(settings.corpus, target)
            outcome = server.index(settings, anchor, delay)
            if not outcome["killed"]:
                assert outcome["exit"] == 0, outcome["output"]
                assert observe(settings) == expected[target]
                state = target
                continue
            kills += 1
            during_write += outcome["wrote"]
            state = check_after_kill(settings, outcome, state, expected)
            phase = (
                "after CURRENT moved"
                if outcome["committed"]
                else "while writing"
                if outcome["wrote"]
                else "before writing"
            )
            result = "as after" if state == target else "as before"
            phases[(phase, result)] = phases.get((phase, result), 0) + 1
        assert kills >= 20, f"only {kills} of {len(plan)} builds were killed before they finished"
        assert during_write >= 5, f"only {during_write} kills landed after the new version folder appeared"

        final = "B" if state == "A" else "A"
        set_state(settings.corpus, final)
        done = server.index(settings)
        assert done["exit"] == 0, done["output"]
        assert observe(settings) == expected[final]
        assert not scratch(settings.index) and len(versions(settings.index)) <= 2
        print(
            f"\n{kills} kills of {len(plan)} builds; killed "
            + "; ".join(
                f"{phase}: index answers {result} the build {n}x" for (phase, result), n in sorted(phases.items())
            )
        )
    finally:
        server.close()


@pytest.mark.slow
def test_sigkill_of_the_real_qa_index_process_while_it_writes(settings_for):
    from qa import build_index

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    set_state(settings.corpus, "B")
    build_index(settings)
    expected = {"B": observe(settings)}
    set_state(settings.corpus, "A")
    build_index(settings)
    expected["A"] = observe(settings)

    state, during_write = "A", 0
    for delay in (0.0, 0.08, 0.5):
        target = "B" if state == "A" else "A"
        set_state(settings.corpus, target)
        outcome = run_cli_and_kill(settings, "write", delay)
        if not outcome["killed"]:
            assert outcome["exit"] == 0, outcome["output"]
            state = target
            continue
        during_write += outcome["wrote"]
        state = check_after_kill(settings, outcome, state, expected)
        print(
            f"\nqa index killed {outcome['at']:.2f} s after start ({delay} s after its new version folder "
            f"appeared; CURRENT moved: {outcome['committed']}): index answers as "
            f"{'after' if state == target else 'before'} the build"
        )
    assert during_write >= 1

    final = "B" if state == "A" else "A"
    set_state(settings.corpus, final)
    done = run_cli_and_kill(settings, "never", 0.0)
    assert done["exit"] == 0, done["output"]
    assert observe(settings) == expected[final]
    assert not scratch(settings.index)


# --- one writer at a time ---------------------------------------------------------------------------------


def test_qa_index_refuses_while_another_process_holds_the_lock(settings_for):
    from qa import build_index, storage

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    before = observe(settings)
    set_state(settings.corpus, "B")
    with storage.build_lock(settings.index):
        result = subprocess.run(
            qa_command(*qa_index_args(settings)),
            capture_output=True,
            text=True,
            env=child_env(),
            cwd=ROOT,
            timeout=120,
        )
    assert result.returncode == 1
    line = error_line(result.stderr)
    assert f"pid {os.getpid()}" in line and "wait for it to finish" in line
    assert observe(settings) == before


@pytest.mark.slow
def test_two_qa_index_at_once_one_refuses_naming_the_other_and_one_completes(settings_for):
    from qa import build_index

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    set_state(settings.corpus, "B")
    first = subprocess.Popen(
        qa_command(*qa_index_args(settings)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while (settings.index / "lock").read_text().strip() != str(first.pid):
            assert first.poll() is None and time.monotonic() < deadline, "the first run never took the lock"
            time.sleep(0.01)
        second = subprocess.run(
            qa_command(*qa_index_args(settings)),
            capture_output=True,
            text=True,
            env=child_env(),
            cwd=ROOT,
            timeout=120,
        )
        assert first.poll() is None, "the first run ended before the second started; the test proves nothing"
        assert second.returncode == 1
        assert f"pid {first.pid}" in error_line(second.stderr)
        out, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err
    assert "updated" in out
    state = observe(settings)
    assert (state.documents, len(state.chunks)) == (3, 6)
    assert len(versions(settings.index)) <= 2 and not scratch(settings.index)


def test_stale_lock_file_of_a_dead_process_does_not_block(settings_for):
    from qa import build_index, storage

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    (settings.index / storage.LOCK).write_text("999999\n")  # left by a process that was killed
    set_state(settings.corpus, "B")
    report = build_index(settings)
    assert report.wrote and report.documents_total == 3
    assert (settings.index / storage.LOCK).read_text().strip() == str(os.getpid())


def test_index_lock_is_released_when_the_build_fails(settings_for):
    from qa import IndexLockedError, build_index, storage

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    with storage.build_lock(settings.index), pytest.raises(IndexLockedError, match=f"pid {os.getpid()}"):
        build_index(settings)
    set_state(settings.corpus, "B")
    assert build_index(settings).wrote


# --- readers during a rebuild -----------------------------------------------------------------------------


@pytest.mark.slow
def test_open_index_keeps_answering_during_a_rebuild_and_switches_on_reload(settings_for):
    from qa import build_index, open_index

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    reader = open_index(settings)
    before = State(reader)
    old_version = reader.info().version

    set_state(settings.corpus, "B")
    proc = subprocess.Popen(
        qa_command(*qa_index_args(settings)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=ROOT,
    )
    answered = 0
    while proc.poll() is None:
        assert State(reader) == before
        answered += 1
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert answered >= 3
    assert State(reader) == before, "a reader must keep its version until it reloads"
    assert reader.reload() is True
    after = State(reader)
    assert after != before and after == observe(settings)
    assert reader.info().version != old_version

    # Two more builds remove the version this reader holds; it keeps answering from memory.
    held = reader.snapshot.folder
    set_state(settings.corpus, "A")
    build_index(settings)
    set_state(settings.corpus, "B")
    build_index(settings)
    assert not held.exists()
    assert State(reader) == after
    assert reader.reload() is True
    assert State(reader) == after


def ask_app(port: int, question: str) -> dict:
    """One question through the running app's HTTP API (the `ask` endpoint)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        body = json.dumps({"data": [question]})
        connection.request("POST", "/gradio_api/call/ask", body, {"Content-Type": "application/json"})
        event = json.loads(connection.getresponse().read())["event_id"]
        connection.request("GET", f"/gradio_api/call/ask/{event}")
        stream = connection.getresponse().read().decode()
    finally:
        connection.close()
    assert "event: complete" in stream, stream[-500:]
    return json.loads(stream.split("event: complete\ndata: ", 1)[1].splitlines()[0])[0]


@pytest.mark.slow
def test_running_app_answers_during_qa_index_and_switches_when_it_completes(settings_for):
    from qa import build_index, open_index
    from qa.web import serve

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    port = free_port()
    app = serve(settings, host="127.0.0.1", port=port, block=False)
    try:
        before = {q: ask_app(port, q)["answer"] for q in QUERIES}
        set_state(settings.corpus, "B")
        proc = subprocess.Popen(
            qa_command(*qa_index_args(settings)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
            cwd=ROOT,
        )
        during = []
        while proc.poll() is None:
            during.append(ask_app(port, QUERIES[0])["answer"])
        assert proc.wait() == 0, proc.stderr.read()  # type: ignore[union-attr]
        after = {q: open_index(settings).ask(q).answer for q in QUERIES}
        assert after != before
        # Each answer came from one complete version, and once the new one was in use the old one never returned.
        assert during and all(a in (before[QUERIES[0]], after[QUERIES[0]]) for a in during), during
        assert during == sorted(during, key=lambda a: a == after[QUERIES[0]])
        time.sleep(1.5)
        assert {q: ask_app(port, q)["answer"] for q in QUERIES} == after
    finally:
        app.close()


def test_open_that_races_a_rebuild_removing_its_version_retries(settings_for, monkeypatch):
    from qa import build_index, open_index, storage
    from qa.storage import snapshot

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    verify, raced = storage.verify, []

    def verify_after_two_builds(folder, manifest, digest=None, later=frozenset()):
        if not raced:  # between reading CURRENT and reading the files, two builds remove this version
            raced.append(folder)
            set_state(settings.corpus, "B")
            build_index(settings)
            set_state(settings.corpus, "A")
            build_index(settings)
        return verify(folder, manifest, digest, later)

    monkeypatch.setattr(snapshot, "verify", verify_after_two_builds)
    index = open_index(settings)
    assert not raced[0].exists() and index.snapshot.folder != raced[0]
    assert index.info().documents == 2


def test_reload_onto_a_damaged_version_keeps_the_old_one(settings_for):
    from qa import IndexCorruptError, build_index, open_index, storage

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    reader = open_index(settings)
    before = State(reader)
    set_state(settings.corpus, "B")
    build_index(settings)
    vectors = storage.current_folder(settings.index) / storage.VECTORS
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2] ^= 0x01
    vectors.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="rebuild"):
        reader.reload()
    assert State(reader) == before


# --- damaged index files ----------------------------------------------------------------------------------


def damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "emptied":
        data = bytearray()
    else:
        at = {"flip-first": 0, "flip-middle": len(data) // 2, "flip-last": len(data) - 1}[how]
        data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def open_each(cases: list[str]) -> None:
    """Open each index, and read what the first question across languages reads, and print one JSON line per
    case; a crash shows as the last 'trying' line."""
    from qa import QAError, storage

    for case in cases:
        print(json.dumps({"trying": case}), flush=True)
        try:
            storage.open_snapshot(Path(case), MODEL).multilingual  # noqa: B018  # the property reads the files
        except QAError as exc:
            print(json.dumps({"case": case, "refused": type(exc).__name__, "message": str(exc)}), flush=True)
        else:
            print(json.dumps({"case": case, "opened": True}), flush=True)


def test_damaged_index_files_are_refused_never_parsed(settings_for, tmp_path):
    from qa import build_index, storage

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    folder = storage.current_folder(settings.index)
    names = [storage.CURRENT] + [str(p.relative_to(settings.index)) for p in sorted(folder.rglob("*")) if p.is_file()]
    assert {f"{folder.name}/{n}" for n in ("manifest.json", "catalog.sqlite", "vectors.faiss")} <= set(names)
    assert any(n.startswith(f"{folder.name}/sparse/") for n in names)
    cases = []
    for number, name in enumerate(names):
        for how in ("truncated", "emptied", "flip-first", "flip-middle", "flip-last", "deleted"):
            if how == "deleted" and name == storage.CURRENT:
                continue
            case = tmp_path / "cases" / f"{number}-{how}"
            shutil.copytree(settings.index, case)
            if how == "deleted":
                (case / name).unlink()
            else:
                damage(case / name, how)
            cases.append((name, how, case))

    result = subprocess.run(
        [sys.executable, __file__, "open-each", *(str(c) for _, _, c in cases)],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"opening a damaged index crashed (exit {result.returncode}):\n" + result.stdout[-2000:] + result.stderr[-2000:]
    )
    outcomes = {Path(r["case"]): r for r in map(json.loads, result.stdout.splitlines()) if "case" in r}
    for name, how, case in cases:
        outcome = outcomes[case]
        assert "opened" not in outcome, f"{name} {how} was opened"
        assert outcome["refused"] in ("IndexCorruptError", "IndexFormatError"), (name, how, outcome)
        assert "qa index --rebuild" in outcome["message"], (name, how, outcome)
        assert "\n" not in outcome["message"]


def test_qa_search_on_a_damaged_index_prints_one_line_that_says_to_rebuild(settings_for):
    from qa import build_index, storage

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    damage(storage.current_folder(settings.index) / storage.CATALOG, "flip-middle")
    result = subprocess.run(
        qa_command("search", "cats", "--corpus", str(settings.corpus), "--index", str(settings.index)),
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 1
    assert "catalog.sqlite" in error_line(result.stderr) and "qa index --rebuild" in result.stderr


def test_update_on_a_damaged_index_refuses_and_rebuild_recovers(settings_for):
    from qa import IndexCorruptError, build_index, storage

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    damage(storage.current_folder(settings.index) / storage.VECTORS, "flip-middle")
    set_state(settings.corpus, "B")
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        build_index(settings)
    assert not scratch(settings.index)
    assert build_index(settings, rebuild=True).wrote
    state = observe(settings)
    assert (state.documents, len(state.chunks)) == (3, 6)


# --- full disk, file size limit, read-only index folder -------------------------------------------------


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small RAM file system: a real disk that fills up, or that can be made read-only."""
    path.mkdir(parents=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the file system of `folder`, leaving about `leave` bytes free."""
    filler = folder / "filler"
    info = os.statvfs(folder)
    room = info.f_bavail * info.f_frsize - leave
    with open(filler, "wb", buffering=0) as f:
        try:
            while room > 0:
                room -= f.write(b"\0" * min(room, 4096))
            if not leave:
                while True:
                    f.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def assert_previous_index_intact(settings, before: State) -> None:
    assert observe(settings, before.questions) == before
    assert not scratch(settings.index)
    assert not (settings.index / ".CURRENT.tmp").exists()


@pytest.mark.slow
def test_disk_full_during_qa_index_is_one_line_and_keeps_the_previous_index(settings_for, tmp_path):
    from qa import build_index

    with tmpfs(tmp_path / "disk", "1m") as disk:
        settings = settings_for().with_(index=disk / "index")
        set_state(settings.corpus, "A")
        build_index(settings)
        before = observe(settings)
        filler = fill(disk)
        set_state(settings.corpus, "B")
        result = subprocess.run(
            qa_command(*qa_index_args(settings)),
            capture_output=True,
            text=True,
            env=child_env(),
            cwd=ROOT,
            timeout=300,
        )
        assert result.returncode == 1
        line = error_line(result.stderr)
        assert "the disk is full" in line and "previous index is still in use" in line
        assert_previous_index_intact(settings, before)
        filler.unlink()
        assert build_index(settings).wrote
        assert observe(settings) != before


@pytest.mark.slow
def test_disk_filling_up_at_any_step_of_a_build_fails_cleanly(settings_for, tmp_path):
    """Leave a little more free space each round, so the disk fills at a different write of the build:
    copying the catalog, SQLite inserts, the BM25 files, the vectors, the multilingual vectors and words,
    VACUUM, the manifest, CURRENT."""
    from qa import IndexWriteError, build_index

    with tmpfs(tmp_path / "disk", "4m") as disk:
        settings = settings_for().with_(index=disk / "index")
        set_state(settings.corpus, "A")
        build_index(settings)
        expected = {"A": observe(settings, questions=())}
        state, failures, successes = "A", set(), 0
        for free_kb in range(0, 2400, 60):
            target = "B" if state == "A" else "A"
            set_state(settings.corpus, target)
            filler = fill(disk, leave=free_kb * 1024)
            try:
                build_index(settings)
            except IndexWriteError as exc:
                assert "the disk is full" in str(exc) and "previous index is still in use" in str(exc)
                failures.add(free_kb)
                assert_previous_index_intact(settings, expected[state])
            else:
                successes += 1
                expected.setdefault(target, observe(settings, questions=()))
                assert observe(settings, questions=()) == expected[target]
                state = target
            finally:
                filler.unlink()
        assert len(failures) >= 3 and successes >= 1, (failures, successes)


def test_disk_filling_up_between_the_parts_of_a_vector_index_keeps_the_previous_index(
    settings_for, tmp_path, monkeypatch
):
    """Indexes written in parts of 2 vectors: wherever the disk fills, after some parts or before any, the build
    fails with one line and the previous version serves; with room enough the next build succeeds."""
    from qa import IndexWriteError, build_index, vectorparts
    from qa.storage import writer

    monkeypatch.setattr(vectorparts, "PART", 2)
    written: list[str] = []
    real = writer._write_index

    def counted(path, index):
        real(path, index)
        written.append(path.name)

    monkeypatch.setattr(writer, "_write_index", counted)
    with tmpfs(tmp_path / "disk", "4m") as disk:
        settings = settings_for().with_(index=disk / "index")
        set_state(settings.corpus, "A")
        build_index(settings)
        assert len(written) >= 4, "the test corpus must make several parts"
        expected = {"A": observe(settings, questions=())}
        state, parts_before_failing = "A", []
        for free_kb in range(0, 2400, 80):
            target = "B" if state == "A" else "A"
            set_state(settings.corpus, target)
            filler = fill(disk, leave=free_kb * 1024)
            written.clear()
            try:
                build_index(settings)
            except IndexWriteError as exc:
                assert "\n" not in str(exc) and "the disk is full" in str(exc)
                assert "previous index is still in use" in str(exc)
                assert_previous_index_intact(settings, expected[state])
                parts_before_failing.append(len(written))
            else:
                expected.setdefault(target, observe(settings, questions=()))
                assert observe(settings, questions=()) == expected[target]
                state = target
            finally:
                filler.unlink()
        assert any(n >= 1 for n in parts_before_failing), parts_before_failing


@pytest.mark.slow
def test_disk_filling_up_in_the_middle_of_a_streamed_build_keeps_the_previous_index(settings_for, tmp_path):
    """A build in slices of a few chunks on a disk with less room each round than it needs: it fails with one
    line wherever the disk fills (a checkpoint part, a slice's rows, the merge), the previous version serving."""
    from qa import IndexWriteError, build_index

    with tmpfs(tmp_path / "disk", "4m") as disk:
        settings = settings_for().with_(index=disk / "index", build_memory=1 << 19, checkpoint_every=8)
        set_state(settings.corpus, "A")
        build_index(settings)
        before = observe(settings)
        for pep in sorted((SHARED / "corpora" / "peps").glob("pep-*.rst"))[:4]:
            shutil.copyfile(pep, settings.corpus / pep.name)
        failures = []
        for free_kb in (0, 48, 160, 320, 640):
            filler = fill(disk, leave=free_kb * 1024)
            try:
                build_index(settings)
            except IndexWriteError as exc:
                message = str(exc)
                assert "\n" not in message and "the disk is full" in message, message
                assert "previous index is still in use" in message
                assert_previous_index_intact(settings, before)
                failures.append(free_kb)
            else:
                break
            finally:
                filler.unlink()
        assert len(failures) >= 3, failures
        build_index(settings)
        assert observe(settings) != before


@pytest.mark.slow
def test_file_size_limit_during_qa_index_is_one_line_and_keeps_the_previous_index(settings_for):
    from qa import build_index

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    before = observe(settings)
    set_state(settings.corpus, "B")

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # so writes past the limit fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))

    result = subprocess.run(
        qa_command(*qa_index_args(settings)),
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=300,
        preexec_fn=limit_file_size,
    )
    assert result.returncode == 1
    line = error_line(result.stderr)
    assert "file size limit" in line and "previous index is still in use" in line
    assert_previous_index_intact(settings, before)


def test_read_only_file_system_refuses_in_one_line_and_keeps_the_index(settings_for, tmp_path):
    from qa import build_index

    with tmpfs(tmp_path / "disk", "4m") as disk:
        settings = settings_for().with_(index=disk / "index")
        set_state(settings.corpus, "A")
        build_index(settings)
        before = observe(settings)
        remount = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True, text=True)
        assert remount.returncode == 0, remount.stderr
        set_state(settings.corpus, "B")
        result = subprocess.run(
            qa_command(*qa_index_args(settings)),
            capture_output=True,
            text=True,
            env=child_env(),
            cwd=ROOT,
            timeout=120,
        )
        assert result.returncode == 1
        line = error_line(result.stderr)
        assert "read-only" in line and str(settings.index) in line
        assert_previous_index_intact(settings, before)


def without_permission_override() -> None:
    """In a child about to exec: drop root's power to write where the mode bits say no (CAP_DAC_*)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="root only: the test drops root's permission override")
def test_index_folder_not_writable_during_qa_index_keeps_the_index(settings_for):
    """Tests run as root, who ignores mode bits; the build runs without that override, the folder mode 0555."""
    from qa import build_index

    settings = settings_for()
    set_state(settings.corpus, "A")
    build_index(settings)
    before = observe(settings)
    set_state(settings.corpus, "B")
    os.chmod(settings.index, 0o555)  # the lock file inside stays writable, so the build gets to its writes
    try:
        result = subprocess.run(
            qa_command(*qa_index_args(settings)),
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
            env=child_env(),
            preexec_fn=without_permission_override,
        )
    except subprocess.SubprocessError as exc:
        pytest.skip(f"cannot drop capabilities here: {exc}")
    finally:
        os.chmod(settings.index, 0o755)
    assert result.returncode == 1, result.stdout + result.stderr
    line = error_line(result.stderr)
    assert "permission denied" in line and "previous index is still in use" in line
    assert_previous_index_intact(settings, before)


def test_index_path_that_is_a_file_is_a_clear_error(settings_for, tmp_path):
    from qa import IndexWriteError, build_index

    settings = settings_for().with_(index=tmp_path / "index-file")
    set_state(settings.corpus, "A")
    settings.index.write_text("not a folder")
    with pytest.raises(IndexWriteError, match="is a file, not a folder"):
        build_index(settings)
    assert settings.index.read_text() == "not a folder"


@pytest.mark.slow
def test_app_answers_32_concurrent_clients_without_a_failure_or_timeout():
    """benchmarks/load.py at the level the app's queue is sized for: 32 clients at once."""
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "load.py"),
            "--clients",
            "32",
            "--requests",
            "1",
            "--min-requests",
            "1",
            "--timeout",
            "180",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    level = json.loads(result.stdout)["levels"][0]
    assert (level["clients"], level["ok"], level["failed"], level["timed_out"]) == (32, 32, 0, 0), level


if __name__ == "__main__":
    if sys.argv[1] == "serve-forks":
        serve_forks()
    elif sys.argv[1] == "open-each":
        open_each(sys.argv[2:])
