"""The index on disk: Chroma for vectors, a SQLite catalog for the rest.

``index_dir`` holds generations. Each is a complete, self-contained index (a
Chroma store and a catalog of sources and chunks); the file ``CURRENT`` names
the one readers use. A writer builds a new generation next to it and replaces
``CURRENT`` atomically only when the build is complete, so a reader never
sees a half-written index and a killed writer leaves the previous one intact.

Not handled on purpose: sharing one generation between concurrent writers
(writers are serialised by the lock in :mod:`assistant.index.building`).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from assistant.errors import IndexMismatchError, IndexMissingError
from assistant.files import fsync_dir, write_atomic
from assistant.index.chroma_reader import open_collection
from assistant.ingest.chunking import CHUNKER_VERSION

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
BUILDING_PREFIX = "building-"
GENERATION_PREFIX = "gen-"
CATALOG = "catalog.sqlite3"
CHROMA_DIR = "chroma"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, author TEXT NOT NULL, date TEXT NOT NULL,
    url TEXT NOT NULL, extra TEXT NOT NULL, content_hash TEXT NOT NULL, text TEXT NOT NULL,
    chunks INTEGER NOT NULL, indexed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, source_id TEXT NOT NULL REFERENCES sources(id), start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, paragraph INTEGER NOT NULL, section TEXT NOT NULL, page INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks(source_id, start);
"""


@dataclass(frozen=True, kw_only=True)
class SourceRecord:
    id: str
    kind: str
    title: str
    author: str
    date: str
    url: str
    extra: dict[str, str]
    content_hash: str
    text: str
    chunks: int
    indexed_at: str


@dataclass(frozen=True, kw_only=True)
class ChunkRecord:
    id: str
    source_id: str
    start: int
    end: int
    paragraph: int
    section: str
    page: int  # 1-based PDF page, 0 when the source has no pages
    text: str


@dataclass(frozen=True)
class IndexInfo:
    """What an index was built with; a reader refuses an index that differs."""

    embedding_model: str
    embedding_dim: int
    chunker: str
    chroma_version: str

    @classmethod
    def current(cls, embedding_model: str, embedding_dim: int, chunk_max_chars: int) -> IndexInfo:
        from importlib.metadata import version

        # The chunk size is part of the chunker: chunks cut at another size are another index.
        chunker = f"{CHUNKER_VERSION} (chunks of at most {chunk_max_chars} characters)"
        # Read from the package metadata: importing chromadb only for its version costs readers a second.
        return cls(embedding_model, embedding_dim, chunker, version("chromadb"))

    def mismatch(self, other: IndexInfo) -> str | None:
        """Why an index built with ``other`` cannot be read by ``self``, or None."""
        if other.embedding_model != self.embedding_model or other.embedding_dim != self.embedding_dim:
            return f"embedding model {other.embedding_model} ({other.embedding_dim}-d), not {self.embedding_model}"
        if other.chunker != self.chunker:
            return f"chunker {other.chunker}, not {self.chunker}"
        if other.chroma_version.split(".")[:2] != self.chroma_version.split(".")[:2]:
            return f"chromadb {other.chroma_version}, not {self.chroma_version}"
        return None


def _batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of at most ``size`` items.

    >>> [list(b) for b in _batched([1, 2, 3], 2)]
    [[1, 2], [3]]
    """
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Generation:
    """One complete index: a Chroma collection plus its catalog."""

    def __init__(self, path: Path, collection: str, *, writable: bool = False, info: IndexInfo | None = None) -> None:
        self.path = path
        self.writable = writable
        if writable:
            path.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path / CATALOG, check_same_thread=False)
            self.db.executescript(_SCHEMA)
        else:
            if not (path / CATALOG).exists():
                raise IndexMissingError(f"The index at {path} is incomplete. Rebuild it with `assistant index --full`.")
            self.db = sqlite3.connect(f"file:{path / CATALOG}?mode=ro", uri=True, check_same_thread=False)
        if writable:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            self.client = chromadb.PersistentClient(
                path=str(path / CHROMA_DIR),
                settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
            )
            # Vectors are always given explicitly, so Chroma's own default
            # embedding function (which would download a model) is never set.
            # The collection says how it was built too, for anyone reading it with Chroma alone.
            described = {f"assistant:{k}": v for k, v in (info.__dict__ if info else {}).items()}
            self.collection = self.client.get_or_create_collection(
                collection, metadata={"hnsw:space": "cosine", **described}, embedding_function=None
            )
        else:
            self.client, self.collection = open_collection(path / CHROMA_DIR, collection)
        self.max_batch = max(1, self.client.get_max_batch_size())

    @property
    def name(self) -> str:
        return self.path.name

    # -- info -----------------------------------------------------------
    def write_info(self, info: IndexInfo) -> None:
        values = {**info.__dict__, "built_at": _now()}
        self.db.executemany("INSERT OR REPLACE INTO info VALUES (?, ?)", [(k, str(v)) for k, v in values.items()])
        self.db.commit()

    # -- catalog reads ----------------------------------------------------
    def sources(self) -> list[SourceRecord]:
        rows = self.db.execute("SELECT * FROM sources ORDER BY kind = 'user file', kind = 'web snapshot', id")
        return [_source_record(row) for row in rows]

    def source_versions(self) -> dict[str, tuple[str, str]]:
        """Source id -> (content hash, indexed at), without reading any text."""
        return {sid: (h, at) for sid, h, at in self.db.execute("SELECT id, content_hash, indexed_at FROM sources")}

    def source(self, source_id: str) -> SourceRecord | None:
        row = self.db.execute("SELECT * FROM sources WHERE id = ?", (source_id,)).fetchone()
        return _source_record(row) if row else None

    def chunks(self, source_id: str | None = None) -> list[ChunkRecord]:
        columns = 'id, source_id, start, "end", paragraph, section, page, text'
        if source_id is None:
            rows = self.db.execute(f"SELECT {columns} FROM chunks ORDER BY source_id, start")
        else:
            rows = self.db.execute(f"SELECT {columns} FROM chunks WHERE source_id = ? ORDER BY start", (source_id,))
        return [_chunk_record(row) for row in rows]

    def chunk_ids(self, source_id: str | None = None) -> set[str]:
        if source_id is None:
            return {cid for (cid,) in self.db.execute("SELECT id FROM chunks")}
        return {cid for (cid,) in self.db.execute("SELECT id FROM chunks WHERE source_id = ?", (source_id,))}

    def chunk(self, chunk_id: str) -> ChunkRecord | None:
        row = self.db.execute(
            'SELECT id, source_id, start, "end", paragraph, section, page, text FROM chunks WHERE id = ?', (chunk_id,)
        ).fetchone()
        return _chunk_record(row) if row else None

    def count(self) -> int:
        return self.collection.count()

    # -- vectors ----------------------------------------------------------
    def embeddings(self, ids: Sequence[str]) -> dict[str, Any]:
        """Chunk id -> its vector (a float32 array), for those of ``ids`` in this generation."""
        found: dict[str, Any] = {}
        for batch in _batched(list(ids), self.max_batch):
            got = self.collection.get(ids=list(batch), include=["embeddings"])
            vectors = got["embeddings"] if got["embeddings"] is not None else []
            for cid, vector in zip(got["ids"], vectors, strict=True):
                found[cid] = vector
        return found

    def query(self, vector: Sequence[float], n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the ``n`` nearest chunks."""
        total = self.collection.count()
        if total == 0:
            return []
        result = self.collection.query(
            query_embeddings=[list(map(float, vector))],  # type: ignore[arg-type]  # a list of float lists is accepted
            n_results=min(n, total),
            include=["distances"],
        )
        distances = result["distances"] or [[]]
        return [(cid, 1.0 - float(d)) for cid, d in zip(result["ids"][0], distances[0], strict=True)]

    # -- writes -----------------------------------------------------------
    def add(self, records: Sequence[tuple[ChunkRecord, Sequence[float], dict[str, Any]]]) -> None:
        """Add chunks with their vectors and Chroma metadata, within Chroma's batch limit."""
        for batch in _batched(list(records), self.max_batch):
            self.collection.add(
                ids=[c.id for c, _, _ in batch],
                embeddings=[v for _, v, _ in batch],
                documents=[c.text for c, _, _ in batch],
                metadatas=[m for _, _, m in batch],
            )
        self.db.executemany(
            "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(c.id, c.source_id, c.start, c.end, c.paragraph, c.section, c.page, c.text) for c, _, _ in records],
        )

    def delete_chunks(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for batch in _batched(ids, self.max_batch):
            self.collection.delete(ids=list(batch))
        self.db.executemany("DELETE FROM chunks WHERE id = ?", [(cid,) for cid in ids])

    def remove_source(self, source_id: str) -> None:
        """Remove a source and all its chunks."""
        self.delete_chunks(self.chunk_ids(source_id))
        self.db.execute("DELETE FROM sources WHERE id = ?", (source_id,))

    def put_source(self, record: SourceRecord) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id, record.kind, record.title, record.author, record.date, record.url,
                json.dumps(record.extra, ensure_ascii=False), record.content_hash, record.text,
                record.chunks, record.indexed_at,
            ),
        )  # fmt: skip

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.close()
        try:
            self.client.close()  # type: ignore[attr-defined]
        except Exception:
            log.debug("chroma close failed path=%s", self.path, exc_info=True)


def _source_record(row: Iterable[Any]) -> SourceRecord:
    values = dict(zip((f.name for f in fields(SourceRecord)), row, strict=True))
    values["extra"] = json.loads(values["extra"])
    return SourceRecord(**values)


def _chunk_record(row: Iterable[Any]) -> ChunkRecord:
    return ChunkRecord(**dict(zip((f.name for f in fields(ChunkRecord)), row, strict=True)))


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# -- generations on disk ---------------------------------------------------


def current_generation(index_dir: Path) -> Path | None:
    """The generation readers should open, or None if no index was built."""
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = index_dir / name
    return path if name and path.is_dir() else None


def new_building_dir(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"{BUILDING_PREFIX}{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"
    return index_dir / name


def publish(index_dir: Path, building: Path) -> Path:
    """Make a finished build the current generation, atomically."""
    final = index_dir / (GENERATION_PREFIX + building.name.removeprefix(BUILDING_PREFIX))
    os.replace(building, final)
    fsync_dir(index_dir)
    write_atomic(index_dir / CURRENT, (final.name + "\n").encode("utf-8"))
    return final


def clean_up(index_dir: Path, keep: int) -> list[Path]:
    """Remove stale builds and all but the ``keep`` newest generations.

    Only call this while holding the writer lock: any build directory then
    belongs to a writer that died.
    """
    removed: list[Path] = []
    current = current_generation(index_dir)
    if not index_dir.is_dir():
        return removed
    for path in index_dir.iterdir():
        if path.name.startswith(BUILDING_PREFIX) or (path.name.startswith(f".{CURRENT}.")):
            _remove(path)
            removed.append(path)
    generations = sorted(p for p in index_dir.iterdir() if p.name.startswith(GENERATION_PREFIX))
    old = [p for p in generations if p != current]
    for path in old[: max(0, len(old) - (keep - 1))]:
        _remove(path)
        removed.append(path)
    return removed


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def open_current(index_dir: Path, collection: str, expected: IndexInfo) -> Generation:
    """Open the current generation for reading, checking how it was built."""
    path = current_generation(index_dir)
    if path is None:
        raise IndexMissingError(f"No index in {index_dir} yet. Build it with `assistant index`.")
    catalog = path / CATALOG
    if catalog.exists():
        # Check before Chroma opens the files: another chromadb might migrate them.
        probe = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
        try:
            rows = dict(probe.execute("SELECT key, value FROM info"))
        except sqlite3.DatabaseError as e:
            raise IndexMismatchError(
                f"The index catalog in {path} is unreadable ({e}). Rebuild it with `assistant index --full`."
            ) from e
        finally:
            probe.close()
        if "embedding_model" in rows:
            found = IndexInfo(
                rows["embedding_model"], int(rows["embedding_dim"]), rows["chunker"], rows["chroma_version"]
            )
            reason = expected.mismatch(found)
            if reason:
                raise IndexMismatchError(
                    f"The index in {index_dir} was built with {reason}. Rebuild it with `assistant index --full`."
                )
    try:
        return Generation(path, collection)
    except (IndexMissingError, IndexMismatchError):
        raise
    except Exception as e:
        raise IndexMismatchError(
            f"The index in {index_dir} could not be opened ({e.__class__.__name__}: {e}). "
            "Rebuild it with `assistant index --full`."
        ) from e
