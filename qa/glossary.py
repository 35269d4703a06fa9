"""A question's Chinese and Japanese words looked up in bilingual dictionaries (CC-CEDICT, EDICT2).

The dictionaries ship inside the `edictreader` wheel as plain text (CC BY-SA 3.0); qa reads only those two
files, checked by SHA-256, never the package's code. A question's Chinese or Japanese runs are cut by the
longest headword at each place; qa.translate keeps, of each headword's senses, the one its meaning is closest to.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa import files
from qa.errors import DictionaryError
from qa.files import sha256_file

log = logging.getLogger(__name__)

PACKAGE = "edictreader"
VERSION = "0.2.0"
INSTALL = f"pip install '{PACKAGE}=={VERSION}' (make install does)"
CHINESE = "database/cedict_ts.u8"
JAPANESE = "database/edict2"
FILES = {
    CHINESE: "0edf05f0347d41d8191ab7da9aa429eed39ceb1bf94b21343fa4e7619ab18c5a",
    JAPANESE: "1375e509a9cce487f98a73e2aa30ea0edc0ed2dd5cdcb144f9e7215230fffb83",
}
LONGEST = 12  # characters of a headword at most: "ディストリビューション" has 11
SENSES = 6  # senses kept per headword, in the dictionary's order
KANA = re.compile(r"[\u3040-\u30ff]")
HIRAGANA = re.compile(r"[\u3040-\u309f\u30fc]+")  # endings and particles, never looked up alone
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff]+")
NOTE = re.compile(r"\([^)]*\)|\{[^}]*\}|\[[^]]*\]")
UNUSED = ("CL:", "variant of", "old variant", "surname ", "see ", "abbr. for", "also written", "used in ")

Senses = tuple[str, ...]


@dataclass(frozen=True)
class Dictionary:
    """Headwords of one language and their English senses."""

    senses: Mapping[str, Senses]

    def look_up(self, text: str) -> list[tuple[str, Senses]]:
        """The headwords that cut `text`, the longest at each place, in text order, with their senses."""
        found: list[tuple[str, Senses]] = []
        i = 0
        while i < len(text):
            for n in range(min(LONGEST, len(text) - i), 1, -1):
                word = text[i : i + n]
                if word in self.senses:
                    found.append((word, self.senses[word]))
                    i += n
                    break
            else:
                i += 1
        return found


@dataclass(frozen=True)
class Dictionaries:
    chinese: Dictionary
    japanese: Dictionary

    def look_up(self, question: str) -> list[tuple[str, Senses]]:
        """The question's Chinese or Japanese headwords with their senses, each once (none for other languages)."""
        dictionary = self.japanese if KANA.search(question) else self.chinese
        return list(dict(found for run in CJK.findall(question) for found in dictionary.look_up(run)).items())


def senses(parts: Iterable[str]) -> Senses:
    """The first SENSES senses worth giving, without their notes in brackets."""
    kept = (" ".join(NOTE.sub(" ", p).split()).strip(" ;") for p in parts if p and not p.startswith(UNUSED))
    return tuple(p[:80] for p in kept if p)[:SENSES]


def read_chinese(lines: Iterable[str]) -> dict[str, Senses]:
    """CC-CEDICT lines ("傳統 传统 [chuan2 tong3] /tradition/.../"): both written forms to the first entry's senses,
    leaving out names (a capitalised reading)."""
    found: dict[str, Senses] = {}
    for line in lines:
        head, _, rest = line.partition(" [")
        reading, _, body = rest.partition("] /")
        if line.startswith("#") or not body or reading[:1].isupper():
            continue
        meanings = senses(body.rstrip().rstrip("/").split("/"))
        for word in head.split():
            if meanings and 1 < len(word) <= LONGEST:
                found.setdefault(word, meanings)
    return found


def read_japanese(lines: Iterable[str]) -> dict[str, Senses]:
    """EDICT2 lines ("確認 [かくにん] /(n,vs) (1) confirmation; check/(2) .../EntL...X/"): every written form but
    a pure Hiragana one to its senses, a common entry's (P) before the others'."""
    found: dict[str, Senses] = {}
    common: set[str] = set()
    for line in lines:
        head, _, body = line.partition(" /")
        written, _, readings = head.partition(" [")
        meanings = senses(m.replace("/", "; ").strip("; ") for m in re.split(r"/\(\d+\)", body.split("/Ent")[0]))
        popular = "(P)" in body
        for raw in written.split(";") + readings.rstrip("]").split(";"):
            word = NOTE.sub("", raw)
            wanted = meanings and 1 < len(word) <= LONGEST and not HIRAGANA.fullmatch(word)
            if wanted and (word not in found or (popular and word not in common)):
                found[word] = meanings
                if popular:
                    common.add(word)
    return found


def package_folder() -> Path:
    """Where the installed package keeps its files; a one-line error when it is not installed."""
    return files.package_folder(PACKAGE, VERSION, PACKAGE, "the bilingual dictionaries' package", DictionaryError)


def checked(folder: Path, name: str) -> Path:
    """The dictionary file `name` in `folder`, once its SHA-256 is the one recorded here."""
    path = folder / name
    try:
        found = sha256_file(path)
    except OSError:
        raise DictionaryError(f"the bilingual dictionary {name} is missing; reinstall it: {INSTALL}") from None
    if found != FILES[name]:
        raise DictionaryError(
            f"the bilingual dictionary {name} is damaged (SHA-256 mismatch); "
            f"reinstall it: pip install --force-reinstall '{PACKAGE}=={VERSION}'"
        )
    return path


def load(folder: Path) -> Dictionaries:
    """Both dictionaries, read from `folder` once their checksums hold."""
    with (
        checked(folder, CHINESE).open(encoding="utf-8") as chinese,
        checked(folder, JAPANESE).open(encoding="euc-jp", errors="replace") as japanese,
    ):
        next(japanese, "")  # the file's title line
        return Dictionaries(Dictionary(read_chinese(chinese)), Dictionary(read_japanese(japanese)))


_loading = threading.Lock()


@lru_cache(maxsize=1)
def _loaded() -> Dictionaries | None:
    try:
        return load(package_folder())
    except DictionaryError as exc:
        log.warning("%s; Chinese and Japanese questions are searched without it", exc)
        return None


def dictionaries() -> Dictionaries | None:
    """The dictionaries, read once per process (thread-safe); None, said once in the log, when they cannot be."""
    with _loading:
        return _loaded()
