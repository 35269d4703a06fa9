"""Writes that reach the disk or fail loudly: fsync of files and folders, and errno turned into a reason."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from qa.errors import IndexWriteError
from qa.storage.names import MANIFEST

REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EFBIG: "a file would exceed the file size limit (ulimit -f)",
}


def write_file(path: Path, data: bytes | memoryview) -> None:
    """Write and fsync, so a full disk surfaces here as an OSError instead of as a short file later."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def data_files(folder: Path) -> list[Path]:
    """Every file of a version but the manifest, in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    for path in [*data_files(folder), folder / MANIFEST]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for sub in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        fsync_dir(sub)


def reason(exc: OSError) -> str:
    return REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


def write_error(index: Path, exc: OSError) -> IndexWriteError:
    return IndexWriteError(f"could not write the index at {index}: {reason(exc)}; the previous index is still in use")
