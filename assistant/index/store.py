"""The index on disk: Chroma for vectors, a SQLite catalog for the rest.

``index_dir`` holds generations. Each is a complete, self-contained index (a
Chroma store and a catalog of sources and chunks); the file ``CURRENT`` names
the one readers use. A writer builds a new generation next to it and replaces
``CURRENT`` atomically only when the build is complete, so a reader never
sees a half-written index and a killed writer leaves the previous one intact.

Reading never writes: Chroma writes to its vector files even when it only
answers queries, so a reader opens the catalog read-only and a private copy
of the generation's Chroma files (in the temporary folder), through Chroma's
compiled core (see :mod:`assistant.index.chroma_reader`).

When ``CURRENT`` is missing, names a generation that is gone, or names one
whose files are damaged, readers and writers use the newest intact
generation instead, with a warning; the clean-up never deletes the last
intact one, and deletes damaged ones first.

Not handled on purpose: sharing one generation between concurrent writers
(writers are serialised by the lock or lease of :mod:`assistant.index.stores`), and
damage inside Chroma's vector files that only a query would find.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import secrets
import shutil
import sqlite3
import tempfile
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.errors import IndexDamagedError, IndexMismatchError, IndexMissingError, IndexStorageError
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

    warning = ""  # set when this generation answers in place of a missing or damaged current one

    def __init__(self, path: Path, collection: str, *, writable: bool = False, info: IndexInfo | None = None) -> None:
        self.path = path
        self.writable = writable
        self._discard_copy: weakref.finalize[Any, Any] | None = None
        if writable:
            path.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path / CATALOG, check_same_thread=False)
            self.db.executescript(_SCHEMA)
        else:
            if not (path / CATALOG).exists():
                raise IndexDamagedError(f"The index at {path} is incomplete. Rebuild it with `assistant index --full`.")
            self.db = sqlite3.connect(_read_only_uri(path / CATALOG), uri=True, check_same_thread=False)
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
            private = _private_copy(path / CHROMA_DIR)
            # Removed on close, or when the reader is collected or the process exits.
            self._discard_copy = weakref.finalize(self, shutil.rmtree, private.parent, ignore_errors=True)
            self.client, self.collection = open_collection(private, collection)
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
        self._add_vectors(records)
        self.db.executemany(
            "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(c.id, c.source_id, c.start, c.end, c.paragraph, c.section, c.page, c.text) for c, _, _ in records],
        )

    def delete_chunks(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        self._delete_vectors(ids)
        self.db.executemany("DELETE FROM chunks WHERE id = ?", [(cid,) for cid in ids])

    def _add_vectors(self, records: Sequence[tuple[ChunkRecord, Sequence[float], dict[str, Any]]]) -> None:
        """The Chroma side of :meth:`add`, within Chroma's batch limit."""
        for batch in _batched(list(records), self.max_batch):
            self.collection.add(
                ids=[c.id for c, _, _ in batch],
                embeddings=[v for _, v, _ in batch],
                documents=[c.text for c, _, _ in batch],
                metadatas=[m for _, _, m in batch],
            )

    def _delete_vectors(self, ids: Sequence[str]) -> None:
        for batch in _batched(list(ids), self.max_batch):
            self.collection.delete(ids=list(batch))

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
        if self._discard_copy is not None:
            self._discard_copy()


def _read_only_uri(file: Path, immutable: bool = False) -> str:
    """An SQLite URI that opens ``file`` for reading only (``immutable``: no locks either)."""
    from urllib.parse import quote

    return f"file:{quote(str(file.absolute()))}?mode=ro" + ("&immutable=1" if immutable else "")


def _private_copy(chroma_dir: Path) -> Path:
    """A copy of a generation's Chroma files for one reader, in a folder of its own."""
    if not chroma_dir.is_dir():
        raise IndexDamagedError(f"The index at {chroma_dir.parent} has no {CHROMA_DIR} folder.")
    scratch = Path(tempfile.mkdtemp(prefix="assistant-read-"))
    try:
        shutil.copytree(chroma_dir, scratch / CHROMA_DIR)
    except OSError as e:
        shutil.rmtree(scratch, ignore_errors=True)
        raise IndexStorageError(
            f"Could not copy the index for reading into {scratch.parent}: {storage_problem(e) or e}"
        ) from e
    return scratch / CHROMA_DIR


def storage_problem(error: BaseException) -> str:
    """What a storage failure is and what to do about it, or '' for another kind of failure.

    >>> storage_problem(OSError(errno.ENOSPC, "No space left on device"))
    'the disk is full. Free some space, then try again.'
    >>> storage_problem(sqlite3.OperationalError("attempt to write a readonly database"))
    'the file system or the folder is read-only. Point ASSISTANT_INDEX_DIR at a folder you can write, or make it writable.'
    >>> storage_problem(ValueError("bad value"))
    ''
    """
    kinds: tuple[tuple[set[int], tuple[str, ...], str], ...] = (
        ({errno.ENOSPC, errno.EDQUOT}, ("disk is full", "no space left", "quota exceeded"),
         "the disk is full. Free some space, then try again."),
        ({errno.EFBIG}, ("file too large",),
         "a file size limit was reached (File too large). Raise the limit or free some space, then try again."),
        ({errno.EROFS}, ("read-only file system", "readonly database"),
         "the file system or the folder is read-only. "
         "Point ASSISTANT_INDEX_DIR at a folder you can write, or make it writable."),
        ({errno.EACCES, errno.EPERM}, ("permission denied", "unable to open database file"),
         "permission denied. Give this user access to the index folder, or point ASSISTANT_INDEX_DIR elsewhere."),
        (set(), ("disk i/o error",),
         "the disk reported an I/O error: it may be full, limited or failing. Free some space or check it, "
         "then try again."),
    )  # fmt: skip
    chain: list[BaseException] = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    for numbers, phrases, advice in kinds:
        for link in chain:
            if isinstance(link, OSError) and link.errno in numbers:
                return advice
            if any(phrase in str(link).lower() for phrase in phrases):
                return advice
    return ""


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


def generation_stamp() -> str:
    """A new generation's name after its prefix: the time to the microsecond, so names sort in the
    order the builds were made even within one second, and a random tail."""
    return f"{datetime.now().strftime('%Y%m%d%H%M%S%f')}-{secrets.token_hex(3)}"


def new_building_dir(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"{BUILDING_PREFIX}{generation_stamp()}"
    return index_dir / name


def publish(index_dir: Path, building: Path) -> Path:
    """Make a finished build the current generation, atomically."""
    final = index_dir / (GENERATION_PREFIX + building.name.removeprefix(BUILDING_PREFIX))
    os.replace(building, final)
    fsync_dir(index_dir)
    point_at(index_dir, final)
    return final


def point_at(index_dir: Path, generation: Path) -> None:
    """Make ``generation`` the one readers use, atomically: how a lost or wrong ``CURRENT`` is repaired."""
    write_atomic(index_dir / CURRENT, (generation.name + "\n").encode("utf-8"))


def generations(index_dir: Path) -> list[Path]:
    """Every published generation, the newest first (their names start with the time they were built)."""
    if not index_dir.is_dir():
        return []
    return sorted((p for p in index_dir.iterdir() if p.name.startswith(GENERATION_PREFIX) and p.is_dir()), reverse=True)


def damage(path: Path) -> str:
    """Why a generation's files cannot be read ('' when they look whole): a missing or damaged database.

    A file this user may not read is not damage: that raises :class:`IndexStorageError`.
    """
    for name in (CATALOG, f"{CHROMA_DIR}/chroma.sqlite3"):
        file = path / name
        if not file.is_file():
            return f"{name} is missing"
        try:
            with file.open("rb") as opened:
                header = opened.read(16)
        except OSError as e:
            raise IndexStorageError(f"Could not read the index in {path.parent}: {storage_problem(e) or e}") from e
        if header != b"SQLite format 3\x00":
            return f"{name} is damaged (not an SQLite database)"
        try:
            db = sqlite3.connect(_read_only_uri(file, immutable=True), uri=True)
            try:
                verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                db.close()
        except sqlite3.DatabaseError as e:
            return f"{name} is damaged ({e})"
        if verdict != "ok":
            return f"{name} is damaged ({verdict})"
    return ""


def clean_up(index_dir: Path, keep: int) -> list[Path]:
    """Remove stale builds and all but the ``keep`` newest generations, damaged ones first.

    The current generation is kept, and so is the newest intact one when the
    current one is missing or damaged: the last intact generation is never removed.
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
    intact = [p for p in generations(index_dir) if p != current and not damage(p)]
    kept = set(intact[: max(0, keep - 1)])
    if current is None or damage(current):
        kept |= set(intact[:1])
    for path in generations(index_dir):
        if path != current and path not in kept:
            _remove(path)
            removed.append(path)
    return removed


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def open_current(index_dir: Path, collection: str, expected: IndexInfo) -> Generation:
    """Open the current generation for reading, checking how it was built.

    When ``CURRENT`` is missing, names a generation that is gone or a damaged
    one, the newest intact generation is opened instead and its ``warning``
    says so. An index built another way (model, chunker, Chroma) is refused.
    """
    current = current_generation(index_dir)
    others = [p for p in generations(index_dir) if p != current]
    if current is None and not others:
        raise IndexMissingError(f"No index in {index_dir} yet. Build it with `assistant index`.")
    failure: IndexDamagedError | None = None
    why = f"{index_dir / CURRENT} is missing or names a generation that is gone"
    if current is not None:
        try:
            return _open(current, collection, expected, index_dir)
        except IndexDamagedError as e:
            failure = e
            why = f"the current index {current.name} cannot be used: {damage(current) or 'Chroma cannot open it'}"
    for path in others:
        try:
            generation = _open(path, collection, expected, index_dir)
        except IndexMismatchError:
            continue  # damaged, or built another way: not one to answer from
        generation.warning = (
            f"Warning: {why}. Answering from {path.name}, the newest intact one; run `assistant index` to repair it."
        )
        log.warning("index fallback generation=%s reason=%s", path.name, why)
        return generation
    if failure is not None:
        raise failure
    raise IndexMissingError(f"No usable index in {index_dir}. Build it with `assistant index --full`.")


def _open(path: Path, collection: str, expected: IndexInfo, index_dir: Path) -> Generation:
    """One generation for reading; :class:`IndexDamagedError` when its files cannot be read."""
    if problem := damage(path):
        raise IndexDamagedError(f"{path.name}: {problem}. Rebuild it with `assistant index --full`.")
    catalog = path / CATALOG
    # Check before Chroma opens the files: another chromadb might migrate them.
    probe = sqlite3.connect(_read_only_uri(catalog), uri=True)
    try:
        rows = dict(probe.execute("SELECT key, value FROM info"))
    except sqlite3.DatabaseError as e:
        raise IndexDamagedError(
            f"The index catalog in {path} is unreadable ({e}). Rebuild it with `assistant index --full`."
        ) from e
    finally:
        probe.close()
    if "embedding_model" in rows:
        found = IndexInfo(rows["embedding_model"], int(rows["embedding_dim"]), rows["chunker"], rows["chroma_version"])
        reason = expected.mismatch(found)
        if reason:
            raise IndexMismatchError(
                f"The index in {index_dir} was built with {reason}. Rebuild it with `assistant index --full`."
            )
    try:
        return Generation(path, collection)
    except (IndexMissingError, IndexMismatchError, IndexStorageError):
        raise
    except Exception as e:
        if problem := storage_problem(e):
            raise IndexStorageError(f"Could not read the index in {index_dir}: {problem}") from e
        raise IndexDamagedError(
            f"The index in {index_dir} could not be opened ({e.__class__.__name__}: {e}). "
            "Rebuild it with `assistant index --full`."
        ) from e
