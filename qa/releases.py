"""The releases a question asks about ("what came with 2.23.0?") and whether a text writes them: a question about
a release that no document writes is refused naming it (qa.retrieval.unwritten_releases)."""

from __future__ import annotations

import re

from qa.asking import asking_part
from qa.kinds import versions_named

RELEASE_ASKED = re.compile(
    r"\b(?:new|changed?|changes|added|introduced|released?|fixed|fix(?:es)?|removed|dropped|deprecated|came|come|"
    r"features?|ship(?:s|ped)?|arrived?)\b",
    re.I,
)


def releases_asked(question: str) -> list[str]:
    """The release numbers the question asks about ("what came with 2.23.0?", "when was 3.3.1 released?"), not
    those that only say which version the asker runs ("I'm on 1.2.4; how do I prune?")."""
    return versions_named(question) if RELEASE_ASKED.search(asking_part(question)) else []


def writes_version(text: str, version: str) -> bool:
    """The text writes the release: "v2.22.1" and "2.22.1" write 2.22.1, "2.23" writes 2.23.0, "2.23.5" does not."""
    core = re.sub(r"(?:\.0)+$", "", version)
    return re.search(rf"(?<![\w.])[vV]?{re.escape(core)}(?:\.0)*(?!\w|\.\d)", text) is not None
