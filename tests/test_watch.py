"""`qa watch` and the app's --watch: real file system events in a temp corpus, the index following by itself."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from helpers import ROOT, free_port, write

from qa import Settings, Watcher, WatchEvent, open_index, storage
from qa.service import Service
from qa.types import SyncState
from qa.views import sync_markdown
from qa.web import serve

pytestmark = pytest.mark.filterwarnings(  # pandas deprecations raised inside gradio's queue
    "ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated"
)
WAIT = 60.0  # seconds: the bound on every wait; a pass takes a few on 2 busy cores
SETTLE = 1.0
OTTERS = "Sea otters hold hands while they sleep so that they do not drift apart in the kelp forest.\n"
PANDAS = "Giant pandas in Sichuan eat bamboo for up to fourteen hours every day.\n"
ZORBLAX = "The Zorblax festival is held every spring in the mountain town of Quillmere.\n"


class Recorder:
    """Collects the watcher's events; safe to read from the test thread."""

    def __init__(self) -> None:
        self.events: list[WatchEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: WatchEvent) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: str) -> list[WatchEvent]:
        with self._lock:
            return [e for e in self.events if e.kind == kind]

    def skipped(self) -> list[str]:
        return [s.source for e in self.of("skipped") for s in e.skipped]


def wait_until(condition, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def top_sources(settings: Settings, query: str) -> list[str]:
    index = open_index(settings)
    try:
        return [hit.chunk.source for hit in index.search(query, k=3)]
    finally:
        index.snapshot.close()


def indexed(settings: Settings) -> set[str]:
    index = open_index(settings)
    try:
        return set(index.snapshot.documents())
    finally:
        index.snapshot.close()


def scratch(settings: Settings) -> list[str]:
    return [p.name for p in settings.index.glob(".*.tmp")]


@pytest.fixture
def watched(settings_for):
    """A corpus of one file, watched; the index has been built by the watcher's first pass."""
    settings = settings_for()
    write(settings.corpus, "otters.txt", OTTERS)
    recorder = Recorder()
    watcher = Watcher(settings, listener=recorder, settle=SETTLE).start()
    wait_until(lambda: watcher.state().state == "in_sync", "the first pass builds the index")
    yield settings, watcher, recorder
    watcher.stop()


def updates_of(recorder: Recorder, source: str) -> list:
    return [e.report for e in recorder.of("updated") if source in e.report.added + e.report.changed]


def test_the_first_pass_builds_a_missing_index(watched):
    settings, watcher, recorder = watched
    assert indexed(settings) == {"otters.txt"}
    assert [e.report.added for e in recorder.of("updated")] == [("otters.txt",)]
    assert watcher.state().checked_at


def test_a_new_file_becomes_searchable(watched):
    settings, _, _ = watched
    write(settings.corpus, "pandas.txt", PANDAS)
    wait_until(lambda: top_sources(settings, "What do giant pandas eat?")[:1] == ["pandas.txt"], "pandas.txt is found")
    assert indexed(settings) == {"otters.txt", "pandas.txt"}


def test_several_saves_of_one_file_embed_it_once(watched):
    settings, watcher, recorder = watched
    watcher.settle = 3.0  # room for a busy machine to pause the test between saves
    for draft in range(1, 6):
        path = write(settings.corpus, "festival.txt", f"Draft {draft}. {ZORBLAX}")
        with open(path, "rb") as f:
            os.fsync(f.fileno())
        time.sleep(0.05)

    def final_draft_indexed() -> bool:
        index = open_index(settings)
        try:
            hits = index.search("Where is the Zorblax festival held?", k=1)
            return bool(hits) and hits[0].chunk.text.startswith("Draft 5.")
        finally:
            index.snapshot.close()

    wait_until(final_draft_indexed, "the last save is indexed")
    time.sleep(2)
    assert watcher.state().state == "in_sync"
    builds = updates_of(recorder, "festival.txt")
    assert len(builds) == 1, [b.added + b.changed for b in builds]
    assert builds[0].added == ("festival.txt",) and builds[0].chunks_embedded == 1


def test_an_edit_replaces_the_old_text(watched):
    settings, _, recorder = watched
    write(settings.corpus, "otters.txt", PANDAS)
    wait_until(lambda: updates_of(recorder, "otters.txt")[1:], "the edit is indexed")
    index = open_index(settings)
    chunks = index.snapshot.chunks([int(i) for i in index.snapshot.sparse.ids])
    assert [c.text for c in chunks.values()] == [PANDAS.strip()]


def test_a_rename_moves_the_hits_to_the_new_name_without_embedding(watched):
    settings, _, recorder = watched
    os.rename(settings.corpus / "otters.txt", settings.corpus / "sea-otters.txt")
    wait_until(lambda: indexed(settings) == {"sea-otters.txt"}, "the index holds the new name only")
    assert top_sources(settings, "Why do otters hold hands?") == ["sea-otters.txt"]
    rename = recorder.of("updated")[-1].report
    assert rename.added == ("sea-otters.txt",) and rename.removed == ("otters.txt",)
    assert rename.chunks_embedded == 0


def test_a_deleted_file_leaves_the_index(watched):
    settings, _, _ = watched
    write(settings.corpus, "pandas.txt", PANDAS)
    wait_until(lambda: indexed(settings) == {"otters.txt", "pandas.txt"}, "pandas.txt is indexed")
    (settings.corpus / "otters.txt").unlink()
    wait_until(lambda: indexed(settings) == {"pandas.txt"}, "otters.txt leaves the index")
    assert "otters.txt" not in top_sources(settings, "Why do otters hold hands?")


def test_moving_whole_folders_in_within_and_out_of_the_corpus(watched, tmp_path):
    settings, _, _ = watched
    outside = tmp_path / "outside" / "animals"
    write(outside, "pandas.txt", PANDAS)
    write(outside, "deep/festival.txt", ZORBLAX)
    shutil.move(str(outside), str(settings.corpus / "animals"))
    wanted = {"otters.txt", "animals/pandas.txt", "animals/deep/festival.txt"}
    wait_until(lambda: indexed(settings) == wanted, "a folder moved in is indexed")
    os.makedirs(settings.corpus / "archive")
    os.rename(settings.corpus / "animals", settings.corpus / "archive" / "zoo")
    wanted = {"otters.txt", "archive/zoo/pandas.txt", "archive/zoo/deep/festival.txt"}
    wait_until(lambda: indexed(settings) == wanted, "a folder moved within is indexed under its new path")
    assert top_sources(settings, "Where is the Zorblax festival held?")[0] == "archive/zoo/deep/festival.txt"
    shutil.move(str(settings.corpus / "archive"), str(tmp_path / "outside" / "archive"))
    wait_until(lambda: indexed(settings) == {"otters.txt"}, "a folder moved out leaves the index")


def test_a_file_that_fails_to_parse_is_reported_once(watched):
    settings, _, recorder = watched
    (settings.corpus / "broken.txt").write_bytes(b"\x00\x01\x02\x03binary")
    wait_until(lambda: "broken.txt" in recorder.skipped(), "the broken file is reported")
    for n, text in enumerate((PANDAS, ZORBLAX), start=1):
        write(settings.corpus, "more.txt", text)
        wait_until(lambda: len(updates_of(recorder, "more.txt")) == n, f"edit {n} is indexed")
    assert recorder.skipped().count("broken.txt") == 1
    assert recorder.of("error") == []
    assert indexed(settings) == {"otters.txt", "more.txt"}


def test_hidden_files_and_the_index_inside_the_corpus_trigger_nothing(settings_for):
    settings = settings_for()
    settings = settings.with_(index=settings.corpus / "index")
    write(settings.corpus, "otters.txt", OTTERS)
    recorder = Recorder()
    watcher = Watcher(settings, listener=recorder, settle=SETTLE).start()
    try:
        wait_until(lambda: watcher.state().state == "in_sync", "the first pass builds the index")
        write(settings.corpus, ".draft.txt.swp", PANDAS)
        time.sleep(4 * SETTLE)
        assert len(recorder.of("updated")) == 1, "building the index inside the corpus must not start another build"
        assert recorder.of("updating")[0].files == ("otters.txt",)
    finally:
        watcher.stop()


def test_a_locked_index_is_reported_once_and_retried(watched):
    settings, _, recorder = watched
    with storage.build_lock(settings.index):
        write(settings.corpus, "pandas.txt", PANDAS)
        wait_until(lambda: recorder.of("error"), "the lock is reported")
        time.sleep(3)
    wait_until(lambda: "pandas.txt" in indexed(settings), "the update is retried once the lock is free")
    errors = recorder.of("error")
    assert len(errors) == 1 and "another `qa index`" in errors[0].error


def test_stopping_during_an_update_keeps_the_previous_index_and_no_scratch(watched):
    settings, watcher, recorder = watched
    before = storage.current_folder(settings.index)

    def stop_when_updating(event: WatchEvent) -> None:
        recorder(event)
        if event.kind == "updating":
            watcher.stop()

    watcher.listener = stop_when_updating
    write(settings.corpus, "pandas.txt", PANDAS)
    assert wait_until(lambda: watcher.join(0.1), "the watcher stops")
    assert watcher.state().state == "stopped"
    assert storage.current_folder(settings.index) == before
    assert indexed(settings) == {"otters.txt"} and scratch(settings) == []
    assert recorder.of("updating")[-1].files == ("pandas.txt",)


def test_qa_watch_follows_the_corpus_and_stops_on_ctrl_c(tmp_path, embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus, "otters.txt", OTTERS)
    process = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "watch", "--corpus", str(corpus), "--index", str(index)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "QA_WATCH_SETTLE": str(SETTLE)},
        # a test run started in the background (`make test &`) ignores SIGINT, and children inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        wait_until(lambda: sum(line.startswith("updated:") for line in lines) == 1, "the first pass", timeout=120)
        write(corpus, "pandas.txt", PANDAS)
        wait_until(lambda: sum(line.startswith("updated:") for line in lines) == 2, "the new file is indexed")
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            code = None
        assert code == 0, f"qa watch did not stop within {WAIT:.0f} s of SIGINT; it printed: {lines}"
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(5)
    assert lines[0].startswith(f"watching {corpus}")
    assert "updating: 1 file(s) changed: pandas.txt\n" in lines
    assert lines[-1] == f"stopped watching {corpus}\n"
    assert [p.name for p in index.glob(".*.tmp")] == []
    assert indexed(Settings(corpus=corpus, index=index)) == {"otters.txt", "pandas.txt"}


def test_the_index_panel_shows_the_sync_state():
    assert sync_markdown(SyncState("in_sync", checked_at="2025-01-01T00:00:00Z")).startswith("in sync")
    assert "updating: 3 files" in sync_markdown(SyncState("updating", files=3))
    assert "last error" in sync_markdown(SyncState("error", error="the disk is full"))
    assert "the disk is full" in sync_markdown(SyncState("error", error="the disk is full"))


def test_service_info_names_the_watchers_state(watched):
    settings, watcher, _ = watched
    info = Service(settings, watcher).info_markdown()
    assert "**Sync with the corpus:** in sync" in info and "Corpus changed since" not in info


def test_app_with_watch_answers_a_saved_file_without_a_click(settings_for):
    from gradio_client import Client

    settings = settings_for(watch=True, watch_settle=SETTLE)
    write(settings.corpus, "otters.txt", OTTERS)
    port = free_port()
    app = serve(settings, port=port, block=False)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, analytics_enabled=False, download_files=False)
        wait_until(lambda: app.corpus_watcher.state().state == "in_sync", "the app's watcher builds the index")
        write(settings.corpus, "festival.txt", ZORBLAX)

        def answered() -> bool:
            result = client.predict("Where is the Zorblax festival held?", api_name="/ask")
            return result["answered"] and "Quillmere" in result["answer"]

        wait_until(answered, "the saved file is answered")
        result = client.predict("Where is the Zorblax festival held?", api_name="/ask")
        assert [c["source"] for c in result["citations"]][:1] == ["festival.txt"]
    finally:
        app.close()
    assert app.corpus_watcher.state().state == "stopped"


def test_the_index_tab_follows_a_saved_file_without_a_reload(settings_for):
    from playwright.sync_api import sync_playwright

    settings = settings_for(watch=True, watch_settle=SETTLE)
    write(settings.corpus, "otters.txt", OTTERS)
    port = free_port()
    app = serve(settings, port=port, block=False)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
            page = browser.new_page()
            page.set_default_timeout(WAIT * 1000)
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_role("tab", name="Index").click()
            info = page.locator("#index-info")
            info.get_by_text("in sync, watching for changes").wait_for()
            assert "Documents: 1" in info.inner_text()
            write(settings.corpus, "festival.txt", ZORBLAX)
            info.get_by_text("Documents: 2").wait_for()
            assert "in sync" in info.inner_text() and "Sync with the corpus" in info.inner_text()
            browser.close()
    finally:
        app.close()
