"""Keep the index in line with the corpus as files change: `qa watch` and the app's `--watch`."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from qa import indexer
from qa.config import Settings
from qa.errors import CorpusError, IndexLockedError, QAError
from qa.status import changes
from qa.storage import now_iso
from qa.types import BuildProgress, BuildReport, Skipped, SyncState, WatchEvent

log = logging.getLogger(__name__)

Listener = Callable[[WatchEvent], None]
POLL_MS = 200  # how often the loop wakes without events, to see that changes have settled or a stop was asked
MAX_WAIT = 30.0  # seconds: a corpus that never stops changing is still indexed this often
LOCK_RETRY = 2.0  # seconds before trying again when another `qa index` holds the lock


class Stopped(Exception):
    """Raised inside a build's progress callback to abandon it when the watcher is asked to stop."""


class Watcher:
    """Re-indexes the corpus incrementally once file changes have settled, in a thread of its own.

    Every pass runs the ordinary incremental build, so unchanged files are never embedded again and the
    index in use is replaced atomically; a failed build is reported once and the previous index stays.
    """

    def __init__(self, settings: Settings, listener: Listener | None = None, settle: float | None = None) -> None:
        self.settings = settings
        self.listener = listener
        self.settle = settings.watch_settle if settle is None else settle
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state = SyncState("starting")
        self._reported: set[tuple[str, str, tuple[int, int] | None]] = set()
        self._last_error = ""
        self._thread: threading.Thread | None = None
        self._corpus = os.path.realpath(settings.corpus)
        self._index = os.path.realpath(settings.index)
        if not os.path.isdir(self._corpus):
            raise CorpusError(f"corpus folder '{settings.corpus}' does not exist: create it, or pass --corpus DIR")

    def start(self) -> Watcher:
        """Bring the index in line with the corpus, then follow its changes, in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="qa-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to stop and wait for it (not from a listener, which runs in it).

        A build still embedding is abandoned, leaving the index as it was; one writing its version finishes first.
        """
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True when it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self._thread is None or not self._thread.is_alive()

    def state(self) -> SyncState:
        with self._lock:
            return self._state

    def sync(self) -> bool:
        """Bring the index in line with the corpus now; False when it should be tried again soon (lock held)."""
        try:
            work = indexer.plan(self.settings)
            pending = changes(work)
            files = pending.files if work.base is not None else tuple(sorted(f.source for f in work.added))
            if not (work.full or files):
                self._done(None, work.skipped + list(pending.noted))
                return True
            self._set(SyncState("updating", files=len(files), error=self._last_error))
            self._emit(WatchEvent("updating", files=files))
            report = indexer.build(self.settings, progress=self._progress)
        except Stopped:
            return True
        except IndexLockedError as exc:
            self._failed(str(exc))
            return False
        except QAError as exc:
            self._failed(str(exc))
        except Exception as exc:  # a watcher that dies on one bad pass stops keeping the index in sync
            log.exception("updating the index failed")
            self._failed(f"updating the index failed ({type(exc).__name__}: {exc}); the server log has details")
        else:
            self._done(report, list(report.skipped))
        return True

    def _run(self) -> None:
        from watchfiles import watch

        # The first pass runs once the OS watch is in place, so nothing changed in between goes unseen.
        pending, retry, first, last, failed_at = True, False, 0.0, float("-inf"), 0.0
        try:
            for batch in watch(
                self._corpus,
                watch_filter=self._wanted,
                debounce=int(MAX_WAIT * 1000),
                step=50,
                stop_event=self._stop,
                rust_timeout=POLL_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
            ):
                now = time.monotonic()
                if batch:
                    first = now if not pending else first
                    pending, last = True, now
                settled = pending and (now - last >= self.settle or now - first >= MAX_WAIT)
                if settled or (retry and now - failed_at >= LOCK_RETRY):
                    pending = False
                    retry = not self.sync()
                    failed_at = time.monotonic()
        except Exception as exc:  # the folder vanished, or the OS ran out of watches
            log.exception("watching %s failed", self._corpus)
            self._failed(f"stopped watching {self.settings.corpus} ({exc}); restart to watch again")
        finally:
            with self._lock:
                self._state = SyncState("stopped", error=self._state.error, checked_at=self._state.checked_at)

    def _wanted(self, change: Any, path: str) -> bool:
        """Changes the index can follow: not hidden files (never indexed), not the index itself."""
        if path == self._index or path.startswith(self._index + os.sep):
            return False
        relative = os.path.relpath(path, self._corpus)
        return relative == "." or not any(part.startswith(".") for part in relative.split(os.sep))

    def _progress(self, _: BuildProgress) -> None:
        if self._stop.is_set():
            raise Stopped()

    def _done(self, report: BuildReport | None, skipped: list[Skipped]) -> None:
        self._last_error = ""
        self._set(SyncState("in_sync", checked_at=now_iso()))
        if report is not None and report.wrote:
            self._emit(WatchEvent("updated", report=report))
        fresh = tuple(s for s in skipped if self._first_time(s))
        if fresh:
            self._emit(WatchEvent("skipped", skipped=fresh))

    def _failed(self, message: str) -> None:
        with self._lock:
            self._state = SyncState("error", error=message, checked_at=self._state.checked_at)
        if message != self._last_error:
            self._last_error = message
            self._emit(WatchEvent("error", error=message))

    def _first_time(self, skipped: Skipped) -> bool:
        """True once per file, reason and file version: a file that still fails after other edits is not repeated."""
        try:
            info = os.stat(os.path.join(self._corpus, skipped.source))
            version: tuple[int, int] | None = (info.st_size, info.st_mtime_ns)
        except OSError:
            version = None
        key = (skipped.source, skipped.reason, version)
        if key in self._reported:
            return False
        self._reported.add(key)
        return True

    def _set(self, state: SyncState) -> None:
        with self._lock:
            self._state = state

    def _emit(self, event: WatchEvent) -> None:
        if self.listener is None:
            return
        try:
            self.listener(event)
        except Exception:
            log.exception("the watch listener failed on %s", event.kind)
