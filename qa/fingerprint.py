"""The embedding model's fingerprint: a SHA-256 of its weight files, which tells apart two models of one name."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from qa.files import sha256_file

WEIGHT_SUFFIXES = frozenset({".safetensors", ".bin", ".pt", ".pth", ".onnx"})


def model_fingerprint(path: str) -> str:
    """The SHA-256 of the model folder's one weight file (what `sha256sum` prints), or of the `sha256sum`
    listing of its weight files when there are several; "" when `path` is not a folder with weights."""
    folder = Path(path)
    if not folder.is_dir():
        return ""
    weights = sorted(p for p in folder.rglob("*") if p.suffix in WEIGHT_SUFFIXES and p.is_file())
    signature = tuple((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in weights)
    return _fingerprint(str(folder), signature)


@lru_cache(maxsize=8)
def _fingerprint(folder: str, signature: tuple[tuple[str, int, int], ...]) -> str:
    """Hashed once per process for files of the same names, sizes and times (a watcher builds many times)."""
    digests = [(name, sha256_file(Path(folder) / name)) for name, _, _ in signature]
    if not digests:
        return ""
    if len(digests) == 1:
        return digests[0][1]
    listing = "".join(f"{digest}  {name}\n" for name, digest in digests)
    return hashlib.sha256(listing.encode()).hexdigest()
