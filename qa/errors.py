"""One exception class per kind of failure; each message says what to do."""


class QAError(Exception):
    """Base class: the message is one line a user can act on."""


class DocumentError(QAError):
    """One corpus file cannot be read; the message says why and what to do."""


class CorpusError(QAError):
    """The corpus folder is missing, empty or unreadable."""


class IndexMissingError(QAError):
    """No index has been built yet."""


class IndexFormatError(QAError):
    """The index was built with another model or format version."""


class IndexCorruptError(QAError):
    """An index file does not match its checksum or is unreadable."""


class IndexLockedError(QAError):
    """Another process is building the index."""


class IndexWriteError(QAError):
    """The index could not be written (disk full, read-only folder)."""


class LLMError(QAError):
    """The generative endpoint failed; callers fall back to extractive answers."""


class EncoderError(QAError):
    """The requested backend, device or precision cannot run on this machine."""


class DictionaryError(QAError):
    """A bilingual dictionary is missing or damaged; questions are searched without it."""


def first_line(exc: BaseException, limit: int = 160) -> str:
    """The first line of an exception's message, cut to `limit` characters, for a one-line error."""
    lines = str(exc).strip().strip("'\"").splitlines()
    first = lines[0] if lines else type(exc).__name__
    return first if len(first) <= limit else first[: limit - 3] + "..."
