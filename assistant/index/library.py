"""Read access to the current index, for the CLI, the app and the answer path.

A :class:`Library` opens the current generation lazily and reopens it when a
writer has published a new one, so a long-running app picks up a re-index
without a restart and never sees a build in progress.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from typing import Any

from assistant.config import Settings
from assistant.index.embeddings import Embedder
from assistant.index.store import CURRENT, Generation, IndexInfo, current_generation, open_current

log = logging.getLogger(__name__)


class Library:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._generation: Generation | None = None
        self._pointer_mtime: float | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = Embedder(batch_size=self.settings.embed_batch_size)
        return self._embedder

    def expected_info(self) -> IndexInfo:
        return IndexInfo.current(Embedder.name, Embedder.dimension, self.settings.chunk_max_chars)

    def generation(self) -> Generation:
        """The current generation, reopened if a newer one was published."""
        pointer = self.settings.index_dir / CURRENT
        with self._lock:
            try:
                mtime = pointer.stat().st_mtime_ns
            except FileNotFoundError:
                mtime = None
            current = self._generation
            if (
                current is not None
                and mtime == self._pointer_mtime
                and current.path == current_generation(self.settings.index_dir)
            ):
                return current
            fresh = open_current(self.settings.index_dir, self.settings.collection, self.expected_info())
            log.info("opened index generation=%s", fresh.path.name)
            self._generation, self._pointer_mtime = fresh, mtime
            if current is not None:
                current.close()
            return fresh

    def sources(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in asdict(s).items() if k != "text"} for s in self.generation().sources()]

    def close(self) -> None:
        with self._lock:
            if self._generation is not None:
                self._generation.close()
                self._generation = None
