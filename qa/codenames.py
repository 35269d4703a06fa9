"""Names of code in a question (options, settings, variables: --keep-within, mmap_size, gc.pruneExpire), which a
passage says as written or not at all: their parts ("keep", "within") say nothing."""

from __future__ import annotations

import re

from qa.asking import asking_part
from qa.sparse import terms

CODE_NAME = re.compile(
    r"(?<![\w/.-])(?:--?[a-z][\w-]*[a-z\d]|[a-z]\w*(?:\.\w+)*\.[a-z]\w*[a-z]|[A-Za-z][A-Za-z\d]*(?:_[A-Za-z\d]+)+"
    r"|[a-z]+(?:[A-Z][a-z]+)+)"
    r"(?![\w/-])"
)


CLASS_AFTER = r"(?:settings?|options?|keys?|variables?|parameters?|values?|fields?|entry|entries|attributes?)\b"
# "which rl_config setting": the name of the settings' family, which the passage that lists them says above them


def asked_code_names(question: str) -> list[str]:
    """The options, settings and variables the asking sentence writes as code ("the default of PRAGMA mmap_size"):
    a passage that says none of them is about another one's value."""
    asking = asking_part(question)
    return [name for name in code_names(asking) if not re.search(rf"{re.escape(name)}\s+{CLASS_AFTER}", asking, re.I)]


def code_names(text: str) -> list[str]:
    """The code names `text` writes, each once, in order."""
    return list(dict.fromkeys(CODE_NAME.findall(text)))


def parts(name: str) -> list[str]:
    """The name's terms as the BM25 index holds them: "--keep-within" is "keep" and "within"."""
    return terms(name)


def says(text: str, name: str) -> bool:
    """The text writes the code name whole, in any case: "BORG_FILES_CACHE_TTL" and "mount data cache entries" do
    not say BORG_MOUNT_DATA_CACHE_ENTRIES. A name of one part is said by that part ("SINTAX" for --sintax)."""
    if len(parts(name)) <= 1:
        return set(parts(name)) <= set(terms(text))
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.I) is not None
