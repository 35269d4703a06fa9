"""Helpers about files used across the package: content digests, and sizes written for people."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from importlib import metadata
from pathlib import Path


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def package_folder(distribution: str, version: str, module: str, what: str, error: type[Exception]) -> Path:
    """Where the pinned `distribution` keeps `module`'s files; `error` with one line that says how to install
    it when it is missing or another version."""
    install = f"pip install '{distribution}=={version}' (make install does)"
    try:
        installed = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        raise error(f"{what} is not installed: {install}") from None
    if installed != version:
        raise error(f"{what} is version {installed}, qa needs {version}: {install}")
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise error(f"{what}'s files are missing: {install}")
    return Path(spec.origin).parent


def is_recorded(target: Path, fields: dict[str, object]) -> bool:
    """A derived file in a cache is whole and made from what `fields` name: its record (the .json beside it)
    holds them and the file's SHA-256."""
    try:
        recorded = json.loads(target.with_suffix(".json").read_text())
        return all(recorded.get(k) == v for k, v in fields.items()) and recorded.get("sha256") == sha256_file(target)
    except (OSError, ValueError, AttributeError):
        return False


def record(target: Path, fields: dict[str, object]) -> None:
    """Write the record that `is_recorded` checks."""
    target.with_suffix(".json").write_text(json.dumps({**fields, "sha256": sha256_file(target)}))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def human_size(n: int) -> str:
    """Bytes in the largest unit that keeps the number at 1 or more, to three significant digits: "1.23 MB"."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"
