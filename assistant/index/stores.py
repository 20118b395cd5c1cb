"""Where index generations live: a folder on this machine, or a Chroma server.

Both kinds of store offer the same few operations, so that building
(:mod:`assistant.index.building`) and reading (:mod:`assistant.index.library`)
do not care which one the settings chose:

- ``current()``: the name of the generation readers use, cheap enough to ask
  before every question (a re-index in another process is then seen at once);
- ``open_current()``: that generation, checked against how it must be built;
- ``create()`` / ``publish()`` / ``discard()``: a writer's new generation, made
  visible to readers in one atomic step; ``make_current()`` points readers
  back at a published one;
- ``clean_up()``: stale builds and old generations removed;
- ``writer_lock()``: one writer at a time; a second fails at once.

:class:`LocalStore` keeps generations in ``index_dir`` (see
:mod:`assistant.index.store`) and serialises writers with a lock file.
:class:`~assistant.index.server.ServerStore` keeps them in a Chroma server
and serialises writers with a lease stored there, which works across machines.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from pathlib import Path
from typing import Protocol

from assistant.config import Settings
from assistant.errors import IndexBusyError
from assistant.index.store import (
    CATALOG,
    CHROMA_DIR,
    Generation,
    IndexInfo,
    clean_up,
    current_generation,
    new_building_dir,
    open_current,
    point_at,
    publish,
)

log = logging.getLogger(__name__)

LOCK_NAME = ".write.lock"


class IndexStore(Protocol):
    label: str  # where the index is, for messages

    def current(self) -> str | None: ...

    def open_current(self, expected: IndexInfo) -> Generation: ...

    def create(self, info: IndexInfo, base: Generation | None = None) -> tuple[Generation, bool]:
        """A new writable generation; True when it starts as a copy of ``base``."""
        ...

    def publish(self, generation: Generation) -> str: ...

    def make_current(self, generation: Generation) -> None:
        """Point readers at ``generation``, a published one: how a lost or damaged current pointer is repaired."""
        ...

    def discard(self, generation: Generation) -> None: ...

    def clean_up(self, keep: int) -> None: ...

    def writer_lock(self) -> AbstractContextManager[None]: ...


def open_store(settings: Settings) -> IndexStore:
    """The store the settings name: a Chroma server when ``chroma_url`` is set, else ``index_dir``."""
    if settings.chroma_url:
        from assistant.index.server import ServerStore

        return ServerStore(settings)
    return LocalStore(settings.index_dir, settings.collection)


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """Hold the single-writer lock, or fail at once if another writer has it."""
    from filelock import FileLock, Timeout

    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / LOCK_NAME), timeout=0)
    try:
        lock.acquire()
    except Timeout as e:
        raise IndexBusyError(
            f"Another re-index of {index_dir} is running. Wait for it to finish, then try again."
        ) from e
    try:
        yield
    finally:
        lock.release()


class LocalStore:
    """Generations in a folder; the operating system's file lock serialises writers on this machine."""

    def __init__(self, index_dir: Path, collection: str) -> None:
        self.index_dir = index_dir
        self.collection = collection
        self.label = str(index_dir)

    def current(self) -> str | None:
        path = current_generation(self.index_dir)
        return path.name if path is not None else None

    def open_current(self, expected: IndexInfo) -> Generation:
        return open_current(self.index_dir, self.collection, expected)

    def create(self, info: IndexInfo, base: Generation | None = None) -> tuple[Generation, bool]:
        building = new_building_dir(self.index_dir)
        if base is not None:
            copy_generation(base.path, building)
        return Generation(building, self.collection, writable=True, info=info), base is not None

    def publish(self, generation: Generation) -> str:
        generation.close()
        return publish(self.index_dir, generation.path).name

    def make_current(self, generation: Generation) -> None:
        point_at(self.index_dir, generation.path)

    def discard(self, generation: Generation) -> None:
        generation.close()
        shutil.rmtree(generation.path, ignore_errors=True)

    def clean_up(self, keep: int) -> None:
        clean_up(self.index_dir, keep)

    def writer_lock(self) -> AbstractContextManager[None]:
        return writer_lock(self.index_dir)


def copy_generation(source: Path, target: Path) -> None:
    """Copy a published generation as the start of the next one.

    Costs a file copy, not re-inserting every vector. Published generations
    are never written again; the two SQLite files are still copied through
    SQLite's backup, so that a reader holding them open cannot tear the copy.
    """
    databases = {CATALOG, "chroma.sqlite3"}
    shutil.copytree(source, target, ignore=lambda folder, names: [n for n in names if n.split("-")[0] in databases])
    for name in (CATALOG, f"{CHROMA_DIR}/chroma.sqlite3"):
        if (source / name).exists():
            with (
                closing(sqlite3.connect(f"file:{source / name}?mode=ro", uri=True)) as src,
                closing(sqlite3.connect(target / name)) as dst,
            ):
                src.backup(dst)
