"""The releases a question asks about ("what came with 2.23.0?", "the codename of Debian 14") and whether a text
writes them: a question about a release that no document writes is refused naming it
(qa.retrieval.unwritten_releases)."""

from __future__ import annotations

import re

from qa.asking import asking_part
from qa.kinds import is_name, versions_named

RELEASE_ASKED = re.compile(
    r"\b(?:new|changed?|changes|added|introduced|released?|fixed|fix(?:es)?|removed|dropped|deprecated|came|come|"
    r"features?|ship(?:s|ped)?|arrived?)\b",
    re.I,
)


def releases_asked(question: str) -> list[str]:
    """The release numbers the question asks about ("what came with 2.23.0?", "when was 3.3.1 released?"), not
    those that only say which version the asker runs ("I'm on 1.2.4; how do I prune?")."""
    return versions_named(question) if RELEASE_ASKED.search(asking_part(question)) else []


NAMED_RELEASE = re.compile(r"\b([A-Z][\w+]*[A-Za-z+]) (\d{1,3}(?:\.\d+)?)(?![\w.]?\d|[.,]\d|[:/-]\w)")
REFERENCES = frozenset(
    "chapter section figure table step part appendix page example level version release rule article item phase stage "
    "note line option question exercise lesson volume issue case day week month year".split()
)  # "Chapter 5", "Table 2": a part of the documents or a count, no release
SETUP = re.compile(
    r"\b(?:on|under|with|using|running|in|for|sur|sous|avec|dans|pour|en)\s+$", re.I
)  # "how do I install it on Debian 11", "the default in Postfix 3.7": where the asker stands, not what is asked about
POSSESSIVE = re.compile(r"['’]s\b")  # "Python 3.11's unicodedata module"


def named_releases(question: str) -> list[str]:
    """A product's release the question names by its number ("Debian 14", "Python 3.13", "Bash 6"), in any
    language the question is in; not a part of the documents ("Chapter 5")."""
    asking = asking_part(question)
    return [
        m.group()
        for m in NAMED_RELEASE.finditer(asking)
        if m.group(1).lower() not in REFERENCES
        and is_name(m.group(1), question)
        and not SETUP.search(asking, 0, m.start())
        and not POSSESSIVE.match(asking, m.end())
    ]


def writes_named(text: str, release: str) -> bool:
    """The text writes the release as a name and its number, a word or two apart at most: "Debian 14", "Debian
    GNU/Linux 14"; "Debian 14.1" writes Debian 14 too, "Debian 140" does not; the name in the singular or the plural."""
    name, number = release.rsplit(" ", 1)
    name = re.escape(name[:-1] if name.endswith("s") else name) + "s?"  # "Interstates 15" is written "Interstate 15"
    return (
        re.search(rf"\b{name}\b(?:[ \t\xa0]+[\w/+-]+){{0,2}}?[ \t\xa0]+{re.escape(number)}(?!\d)", text, re.I)
        is not None
    )


def writes_version(text: str, version: str) -> bool:
    """The text writes the release: "v2.22.1" and "2.22.1" write 2.22.1, "2.23" writes 2.23.0, "2.23.5" does not."""
    core = re.sub(r"(?:\.0)+$", "", version)
    return re.search(rf"(?<![\w.])[vV]?{re.escape(core)}(?:\.0)*(?!\w|\.\d)", text) is not None
