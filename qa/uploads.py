"""Files added from the browser: copied into the corpus under checked names, never outside it."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence

from qa.config import Settings
from qa.files import human_size
from qa.loaders import SUPPORTED


def safe_name(name: str) -> str | None:
    """The bare file name of an upload: no path parts, control characters or leading dots; None if nothing is left."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = base.strip().lstrip(".").strip()
    if not base or len(base.encode()) > 200:
        return None
    return base


def add_documents(
    settings: Settings, paths: Sequence[str], overwrite: bool = False
) -> tuple[list[str], list[tuple[str, str]]]:
    """Copy uploaded files into the corpus; returns the names added and (name, reason) for each refused file."""
    root = os.path.realpath(settings.corpus)
    os.makedirs(root, exist_ok=True)
    added: list[str] = []
    refused: list[tuple[str, str]] = []
    for path in paths:
        shown = os.path.basename(path)
        name = safe_name(shown)
        reason = _refusal(path, name, root, settings, overwrite)
        if reason:
            refused.append((name or shown, reason))
            continue
        assert name is not None
        try:
            _copy_into(path, os.path.join(root, name), root, settings.max_upload_bytes)
        except OSError as exc:
            refused.append((name, f"could not be written ({exc.strerror or exc})"))
            continue
        added.append(name)
    return added, refused


def _refusal(path: str, name: str | None, root: str, settings: Settings, overwrite: bool) -> str:
    if name is None:
        return "the file name is not usable; rename the file"
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in SUPPORTED:
        return f"unsupported type {suffix or '(no extension)'}; supported: {', '.join(sorted(SUPPORTED))}"
    if os.path.getsize(path) > settings.max_upload_bytes:
        return f"larger than the {human_size(settings.max_upload_bytes)} upload limit"
    dest = os.path.join(root, name)
    if os.path.commonpath([root, os.path.realpath(dest)]) != root:
        return "it would be written outside the corpus"
    if os.path.lexists(dest):
        if not overwrite:
            return "a file of that name is already in the corpus; tick Overwrite to replace it"
        if os.path.islink(dest) or not os.path.isfile(dest):
            return "a file of that name is already in the corpus and is not a regular file"
    return ""


def _copy_into(src: str, dest: str, root: str, limit: int) -> None:
    """Write through a hidden temp file in the corpus, then rename, so the indexer never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as data:
            written = 0
            while block := data.read(1 << 20):
                written += len(block)
                if written > limit:
                    raise OSError(f"larger than the {human_size(limit)} upload limit")
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    folder = os.open(root, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
