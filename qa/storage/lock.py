"""The writer lock of an index folder: one build at a time, released by the kernel if its holder dies."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.errors import IndexLockedError, IndexWriteError
from qa.storage.atomic import reason, write_error
from qa.storage.names import LOCK


@contextmanager
def build_lock(index: Path) -> Iterator[None]:
    """Hold the index's writer lock; the kernel drops it if the holder dies, so stale locks recover."""
    if index.exists() and not index.is_dir():
        raise IndexWriteError(f"index path {index} is a file, not a folder; remove it or pass --index DIR")
    try:
        index.mkdir(parents=True, exist_ok=True)
        fd = os.open(index / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise IndexWriteError(f"cannot write to index folder {index} ({reason(exc)}); check its permissions") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLockedError(
                f"another `qa index` (pid {_holder(fd)}) is building {index}; wait for it to finish and run again"
            ) from None
        try:
            pid = f"{os.getpid()}\n".encode()
            os.pwrite(fd, pid, 0)
            os.ftruncate(fd, len(pid))  # after the write, so a waiting process never reads an empty file
        except OSError as exc:
            raise write_error(index, exc) from exc
        yield
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        first = os.pread(fd, 32, 0).decode("ascii", errors="replace").split("\n")[0].strip()
    except OSError:
        first = ""
    return first if first.isdigit() else "unknown"
