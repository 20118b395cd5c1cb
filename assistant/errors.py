"""Domain errors.

Every error the assistant can explain to a person derives from
:class:`AssistantError`; its message is written for that person. The CLI and
the Streamlit app turn these into an exit message or ``st.error``; anything
else is an internal failure and is reported as such.
"""

from __future__ import annotations


class AssistantError(Exception):
    """An error with a message meant for the person using the assistant."""


class ConfigError(AssistantError):
    """The settings or the corpus manifest are not usable."""


class LoaderError(AssistantError):
    """One corpus file could not be read; the rest of the corpus is unaffected."""


class IndexMissingError(AssistantError):
    """No index has been built yet."""


class IndexMismatchError(AssistantError):
    """The index was built with another model, chunker or Chroma version."""


class IndexDamagedError(IndexMismatchError):
    """The index's files are missing or unreadable; an older intact generation may still answer."""


class IndexStorageError(AssistantError):
    """The index folder cannot be written or read: a full disk, a read-only file system, a permission."""


class IndexBusyError(AssistantError):
    """Another process is writing the index."""


class SourceNotFoundError(AssistantError):
    """A source id or passage reference does not exist in the index."""


class InvalidQuestionError(AssistantError):
    """The question is empty, too long or otherwise unusable."""


class FetchError(AssistantError):
    """A web source could not be fetched; its previous snapshot is kept."""


class IndexUnreachableError(AssistantError):
    """The Chroma server named in the settings does not answer."""


class BackendError(AssistantError):
    """The language model could not write an answer: server down, timeout, refused key, unusable reply."""
