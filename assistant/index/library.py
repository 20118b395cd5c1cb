"""Read access to the current index, for the CLI, the app and the answer path.

A :class:`Library` opens the current generation lazily and, before handing
it out, asks the store which generation is current: one small file read for
the embedded store, one request to a Chroma server. So a re-index published
by any process (this one, another on this machine, or another machine
sharing the server) is seen by the next question, without a restart, and a
build in progress is never seen. When the current generation is missing or
damaged it answers from the newest intact one, and :attr:`Library.warning`
says so.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assistant.config import EmbeddingBackend, Settings
from assistant.index.embeddings import Embedder, model_name
from assistant.index.store import Generation, IndexInfo
from assistant.index.stores import IndexStore, open_store
from assistant.safety.classifier import ADAPTER_DIR

log = logging.getLogger(__name__)


def safety_embedder(settings: Settings) -> Embedder:
    """The crisis check's model (the search model with the safety adapter merged in), one per process."""
    return _safety_embedder(
        settings.embedding_backend, settings.model_dir, settings.embed_batch_size, settings.embed_threads
    )


# The crisis check needs every earlier turn's level on each question. It remembers those levels; when they are
# not remembered (another conversation pushed them out), each earlier turn is read again (two to four texts a
# turn), and its model remembers enough texts that this still costs one new turn's readings, not all of them.
SAFETY_REMEMBER = 4096


@functools.cache
def _safety_embedder(backend: EmbeddingBackend, model_dir: Path, batch_size: int, threads: int) -> Embedder:
    # The settings object is not hashable: the fields Embedder.from_settings reads are the cache key.
    return Embedder(
        backend, model_dir=model_dir, batch_size=batch_size, threads=threads, adapter=ADAPTER_DIR,
        remember=SAFETY_REMEMBER,
    )  # fmt: skip


class Library:
    def __init__(self, settings: Settings, embedder: Embedder | None = None, store: IndexStore | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self.store = store or open_store(settings)
        self._generation: Generation | None = None
        self._pointer: str | None = None  # what the store named as current when the generation was opened
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = Embedder.from_settings(self.settings)
        return self._embedder

    @property
    def safety_embedder(self) -> Embedder:
        return safety_embedder(self.settings)

    def expected_info(self) -> IndexInfo:
        backend = self._embedder.backend if self._embedder is not None else self.settings.embedding_backend
        return IndexInfo.current(model_name(backend), Embedder.dimension, self.settings.chunk_max_chars)

    def generation(self) -> Generation:
        """The current generation, reopened if a newer one was published since the last call."""
        # Compared with what the store named when the generation was opened, not with the generation's own
        # name: a generation answering in place of a missing or damaged current one has another name.
        name = self.store.current()
        with self._lock:
            current = self._generation
            if current is not None and name == self._pointer:
                return current
            fresh = self.store.open_current(self.expected_info())
            log.info("opened index generation=%s", fresh.name)
            self._generation, self._pointer = fresh, name
            if current is not None:
                current.close()
            return fresh

    @property
    def warning(self) -> str:
        """Why the index answering is not the current one ('' when it is)."""
        return self.generation().warning

    def sources(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in asdict(s).items() if k != "text"} for s in self.generation().sources()]

    def close(self) -> None:
        with self._lock:
            if self._generation is not None:
                self._generation.close()
                self._generation = None
