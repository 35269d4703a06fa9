"""One exception class per kind of failure; each message says what to do."""


class QAError(Exception):
    """Base class: the message is one line a user can act on."""


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
