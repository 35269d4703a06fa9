"""Vectors that an interrupted build embedded, kept beside its scratch version so the next build embeds only the rest.

The checkpoint is a folder of parts, each an `.npz` of plain arrays (no pickle) named by its own SHA-256 and
written atomically, so a part is either whole and checked or absent. Vectors are keyed by the SHA-256 of the
chunk text, which is what decides a vector together with the recipe (model, precision, backend, chunking).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.storage.atomic import fsync_dir, write_file
from qa.storage.names import CHECKPOINT
from qa.storage.textkeys import NONE, KeyMap, KeySet

RECIPE = "recipe.json"
PART = re.compile(r"part-([0-9]{6})-([0-9]+)-([0-9a-f]{64})\.npz")  # number, chunks, SHA-256 of the bytes

Embedded = tuple[np.ndarray, np.ndarray]  # a chunk's vector and its sentences' vectors


@dataclass(frozen=True)
class Recipe:
    """What a vector depends on besides the text: a checkpoint made with another recipe is discarded."""

    model: str
    model_sha256: str
    precision: str
    backend: str
    chunk_tokens: int
    chunk_overlap: int

    def differences(self, other: Recipe) -> list[str]:
        ours, theirs = asdict(self), asdict(other)
        return [f"{name} {theirs[name] or '?'} (now {value})" for name, value in ours.items() if theirs[name] != value]


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class Checkpoint:
    """The parts of one recipe under `index/.checkpoint`; `note` says why an earlier checkpoint was discarded."""

    def __init__(self, index: Path, recipe: Recipe) -> None:
        self.folder = index / CHECKPOINT
        self.recipe = recipe
        self.note = ""
        kept = _read_recipe(self.folder)
        if kept is not None and kept != recipe:
            why = f"made with {'; '.join(recipe.differences(kept))}" if isinstance(kept, Recipe) else "damaged"
            self.note = f"discarded the checkpoint of an interrupted build ({why}); embedding from the start"
            self.discard()
        self._parts = sorted(self.folder.glob("part-*.npz")) if kept == recipe else []
        self._number = 1 + max((int(m.group(1)) for p in self._parts if (m := PART.fullmatch(p.name))), default=0)
        self._paths = list(self._parts)  # every part this build has known, numbered for `_where`
        self._where: KeyMap | None = None  # the part that holds each key, read once when first asked

    def take(self, texts: Iterable[str]) -> dict[str, Embedded]:
        """The kept vectors of those of `texts` an earlier build (or this one) embedded; only the parts that hold
        some are read, so a streamed build asks slice by slice. A damaged part is dropped."""
        wanted = {text_key(t): t for t in texts}
        found: dict[str, Embedded] = {}
        if not wanted:
            return found
        numbers = self._locations().get(list(wanted))
        for number in np.unique(numbers[numbers != NONE]).tolist():
            path = self._paths[number]
            arrays = _read_part(path)
            if arrays is None:
                self._drop(path)
                continue
            keys, matrix, sentences, counts = arrays
            ends = np.cumsum(counts)
            for key, vector, end, count in zip(keys, matrix, ends, counts):
                text = wanted.get(bytes(key))
                if text is not None:
                    found[text] = (vector, sentences[end - count : end])
        return found

    def _locations(self) -> KeyMap:
        """The part that holds each key, by its number in `_paths`; every part is read the first time."""
        if self._where is None:
            self._where = KeyMap()
            for number, path in enumerate(list(self._paths)):
                arrays = _read_part(path)
                if arrays is None:
                    self._drop(path)
                    continue
                self._where.put(arrays[0], number)
        return self._where

    def _drop(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self._parts = [p for p in self._parts if p != path]
        if self._where is not None:
            self._where.drop(self._paths.index(path))

    def keys(self) -> KeySet:
        """The text keys of every chunk the checkpoint holds, to tell workers what need not be embedded."""
        held = KeySet()
        for path in self._parts:
            if (arrays := _read_part(path)) is not None:
                held.add(arrays[0])
        return held

    def save(self, texts: Sequence[str], matrix: np.ndarray, sentences: Sequence[np.ndarray]) -> None:
        """Keep one slice of embedded chunks: their vectors and each one's sentence vectors."""
        if not texts:
            return
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True)
            write_file(self.folder / RECIPE, json.dumps(asdict(self.recipe), indent=1).encode())
            fsync_dir(self.folder.parent)
        buffer = io.BytesIO()
        np.savez(
            buffer,
            keys=np.frombuffer(b"".join(text_key(t) for t in texts), np.uint8).reshape(len(texts), 32),
            matrix=np.asarray(matrix, np.float32),
            sentences=np.concatenate([np.asarray(s, np.float16) for s in sentences]),
            counts=np.array([len(s) for s in sentences], np.int64),
        )
        data = buffer.getvalue()
        name = f"part-{self._number:06d}-{len(texts)}-{hashlib.sha256(data).hexdigest()}.npz"
        scratch = self.folder / f".{name}.tmp"
        write_file(scratch, data)
        os.replace(scratch, self.folder / name)
        fsync_dir(self.folder)
        self._parts.append(self.folder / name)
        self._paths.append(self.folder / name)
        self._number += 1
        if self._where is not None:
            self._where.put([text_key(t) for t in texts], len(self._paths) - 1)

    def discard(self) -> None:
        discard_checkpoint(self.folder.parent)
        self._parts, self._paths = [], []
        self._where = None


def _read_recipe(folder: Path) -> Recipe | str | None:
    """The recipe a checkpoint was made with; None when there is none, "damaged" when it cannot be read."""
    try:
        raw = (folder / RECIPE).read_bytes()
    except FileNotFoundError:
        return None if not folder.exists() else "damaged"
    except OSError:
        return "damaged"
    try:
        return Recipe(**json.loads(raw))
    except (ValueError, TypeError):
        return "damaged"


def _read_part(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """A part's arrays once its bytes match the digest in its name; None for a damaged one."""
    match = PART.fullmatch(path.name)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if match is None or hashlib.sha256(data).hexdigest() != match.group(3):
        return None
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            keys, matrix, sentences, counts = (arrays[n] for n in ("keys", "matrix", "sentences", "counts"))
    except (ValueError, KeyError, OSError):
        return None
    if len(keys) != len(matrix) or len(counts) != len(keys) or int(counts.sum()) != len(sentences):
        return None
    if len(keys) != int(match.group(2)):
        return None
    return keys, matrix, sentences, counts


def checkpoint_chunks(index: Path) -> int:
    """How many chunks an interrupted build left in the checkpoint, by the parts' names (nothing is read)."""
    return sum(int(m.group(2)) for p in (index / CHECKPOINT).glob("part-*.npz") if (m := PART.fullmatch(p.name)))


def discard_checkpoint(index: Path) -> None:
    shutil.rmtree(index / CHECKPOINT, ignore_errors=True)
