"""Read access to the current index, for the CLI, the app and the answer path.

A :class:`Library` opens the current generation lazily and reopens it when a
writer has published a new one, so a long-running app picks up a re-index
without a restart and never sees a build in progress. When the current
generation is missing or damaged it answers from the newest intact one, and
:attr:`Library.warning` says so.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from pathlib import Path
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
        self._pointer: tuple[int | None, Path | None] | None = None  # what CURRENT said when it was opened
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
        index_dir = self.settings.index_dir
        with self._lock:
            try:
                mtime: int | None = (index_dir / CURRENT).stat().st_mtime_ns
            except FileNotFoundError:
                mtime = None
            # The name as well as the time: two publications can fall within one clock tick.
            pointer = (mtime, current_generation(index_dir))
            current = self._generation
            if current is not None and pointer == self._pointer:
                return current
            fresh = open_current(index_dir, self.settings.collection, self.expected_info())
            log.info("opened index generation=%s", fresh.path.name)
            self._generation, self._pointer = fresh, pointer
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
