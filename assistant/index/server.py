"""Index generations on a Chroma server (``chroma run``), reached through ``HttpClient``.

Everything lives on the server, so that app replicas on several machines can
share one index:

- a generation is two collections: ``<prefix>.<generation>`` holds the chunks
  (vector, text, and in its metadata everything a citation needs) and
  ``<prefix>.<generation>.sources`` the sources (metadata, and their text in
  parts of at most ``SOURCE_PART`` characters under a one-number placeholder
  vector, since Chroma stores no record without one);
- ``<prefix>.registry`` holds the pointer to the current generation (one
  record, replaced in one write, which is the atomic swap), one record per
  published generation, and the writer lease.

The writer lease stands in for the lock file of the embedded store, across
machines: a writer inserts the record ``writer`` (Chroma ignores an insert
of an id it already has, so exactly one of several writers inserts it),
renews it every third of ``writer_lease`` seconds and deletes it when done. A
lease nobody renewed is taken over by the one writer whose takeover record
is inserted first. A writer checks that it still holds the lease before it
moves the pointer. The hosts' clocks must agree to well within the lease.

Not handled on purpose: several Chroma servers behind one address (Chroma's
distributed deployment is the road past one server; see the README).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assistant.config import Settings
from assistant.errors import ConfigError, IndexBusyError, IndexMismatchError, IndexMissingError, IndexUnreachableError
from assistant.index.store import ChunkRecord, Generation, IndexInfo, SourceRecord, generation_stamp

log = logging.getLogger(__name__)

REGISTRY = "registry"
CURRENT_ID = "current"
WRITER_ID = "writer"
SOURCE_PART = 200_000  # characters of a source's text per record
PLACEHOLDER = [1.0]  # the vector of records that are not searched
GENERATION_PREFIX = "gen-"


def connect(settings: Settings) -> Any:
    """A Chroma ``HttpClient`` for ``settings.chroma_url``; telemetry off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    url = urlsplit(settings.chroma_url or "")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(f"chroma_url must look like http://127.0.0.1:8000, not {settings.chroma_url!r}.")
    headers = {"Authorization": f"Bearer {settings.chroma_token.get_secret_value()}"} if settings.chroma_token else None
    try:
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or (443 if url.scheme == "https" else 80), ssl=url.scheme == "https",
            headers=headers, settings=ChromaSettings(anonymized_telemetry=False),
        )  # fmt: skip
    except Exception as e:
        raise IndexUnreachableError(
            f"The Chroma server at {settings.chroma_url} does not answer ({e.__class__.__name__}). Start it with "
            "`chroma run --path chroma-data --host 127.0.0.1 --port 8000`, or unset ASSISTANT_CHROMA_URL."
        ) from e


class ServerGeneration(Generation):
    """One generation on a Chroma server: the chunks' collection and the sources' collection."""

    def __init__(self, client: Any, prefix: str, name: str, *, writable: bool = False, info: IndexInfo | None = None):
        from chromadb.errors import NotFoundError

        self.path = Path(name)  # a name, not a folder: reports and logs show path.name
        self.writable = writable
        self.client = client
        chunks, sources = f"{prefix}.{name}", f"{prefix}.{name}.sources"
        if writable:
            described = {f"assistant:{k}": v for k, v in (info.__dict__ if info else {}).items()}
            self.collection = client.create_collection(
                chunks, metadata={"hnsw:space": "cosine", **described}, embedding_function=None
            )
            self.sources_collection = client.create_collection(sources, embedding_function=None)
        else:
            try:
                self.collection = client.get_collection(chunks, embedding_function=None)
                self.sources_collection = client.get_collection(sources, embedding_function=None)
            except NotFoundError as e:
                raise IndexMissingError(
                    f"The index generation {name} is missing from the Chroma server. "
                    "Rebuild it with `assistant index --full`."
                ) from e
        self.max_batch = max(1, client.get_max_batch_size())

    def info(self) -> IndexInfo | None:
        meta = self.collection.metadata or {}
        try:
            return IndexInfo(
                meta["assistant:embedding_model"], int(meta["assistant:embedding_dim"]),
                meta["assistant:chunker"], meta["assistant:chroma_version"],
            )  # fmt: skip
        except KeyError:
            return None

    def write_info(self, info: IndexInfo) -> None:
        """Written with the collection itself, when it is created."""

    # -- catalog reads ------------------------------------------------------
    def _all(self, collection: Any, include: list[str], where: dict[str, Any] | None = None) -> Iterator[Any]:
        """(id, document, metadata) of every record, read in pages of Chroma's maximum batch."""
        offset = 0
        while True:
            got = collection.get(where=where, include=include, limit=self.max_batch, offset=offset)
            documents = got.get("documents") or [None] * len(got["ids"])
            metadatas = got.get("metadatas") or [None] * len(got["ids"])
            yield from zip(got["ids"], documents, metadatas, strict=True)
            if len(got["ids"]) < self.max_batch:
                return
            offset += self.max_batch

    def _sources(self, where: dict[str, Any] | None) -> list[SourceRecord]:
        parts: dict[str, list[tuple[int, str]]] = {}
        heads: dict[str, dict[str, Any]] = {}
        for _, document, meta in self._all(self.sources_collection, ["documents", "metadatas"], where):
            parts.setdefault(meta["source_id"], []).append((meta["part"], document or ""))
            if meta["part"] == 0:
                heads[meta["source_id"]] = meta
        records = []
        for sid, meta in heads.items():
            text = "".join(piece for _, piece in sorted(parts[sid]))
            values = {f.name: meta.get(f.name) for f in fields(SourceRecord)}
            records.append(SourceRecord(**{**values, "id": sid, "text": text, "extra": json.loads(meta["extra"])}))
        return sorted(records, key=lambda s: (s.kind == "user file", s.kind == "web snapshot", s.id))

    def sources(self) -> list[SourceRecord]:
        return self._sources(None)

    def source(self, source_id: str) -> SourceRecord | None:
        found = self._sources({"source_id": source_id})
        return found[0] if found else None

    def source_versions(self) -> dict[str, tuple[str, str]]:
        return {
            meta["source_id"]: (meta["content_hash"], meta["indexed_at"])
            for _, _, meta in self._all(self.sources_collection, ["metadatas"], {"part": 0})
        }

    def chunks(self, source_id: str | None = None) -> list[ChunkRecord]:
        where = {"source_id": source_id} if source_id is not None else None
        found = [
            _chunk(cid, text, meta) for cid, text, meta in self._all(self.collection, ["documents", "metadatas"], where)
        ]
        return sorted(found, key=lambda c: (c.source_id, c.start))

    def chunk_ids(self, source_id: str | None = None) -> set[str]:
        where = {"source_id": source_id} if source_id is not None else None
        return {cid for cid, _, _ in self._all(self.collection, [], where)}

    def chunk(self, chunk_id: str) -> ChunkRecord | None:
        got = self.collection.get(ids=[chunk_id], include=["documents", "metadatas"])
        if not got["ids"]:
            return None
        return _chunk(got["ids"][0], (got["documents"] or [""])[0], (got["metadatas"] or [{}])[0])

    # -- writes ---------------------------------------------------------------
    def add(self, records: Sequence[tuple[ChunkRecord, Sequence[float], dict[str, Any]]]) -> None:
        """Chunks with their vectors; the metadata already holds every field of a chunk record."""
        self._add_vectors(records)

    def delete_chunks(self, ids: Iterable[str]) -> None:
        self._delete_vectors(list(ids))

    def remove_source(self, source_id: str) -> None:
        self.collection.delete(where={"source_id": source_id})
        self.sources_collection.delete(where={"source_id": source_id})

    def put_source(self, record: SourceRecord) -> None:
        self.sources_collection.delete(where={"source_id": record.id})
        text = record.text
        pieces = [text[i : i + SOURCE_PART] for i in range(0, len(text), SOURCE_PART)] or [""]
        head = {
            "source_id": record.id, "kind": record.kind, "title": record.title, "author": record.author,
            "date": record.date, "url": record.url, "extra": json.dumps(record.extra, ensure_ascii=False),
            "content_hash": record.content_hash, "chunks": record.chunks, "indexed_at": record.indexed_at,
        }  # fmt: skip
        self.sources_collection.add(
            ids=[f"{record.id}#{n}" for n in range(len(pieces))],
            embeddings=[PLACEHOLDER] * len(pieces),
            documents=pieces,
            metadatas=[
                {**head, "part": 0} if n == 0 else {"source_id": record.id, "part": n} for n in range(len(pieces))
            ],
        )

    def commit(self) -> None:
        """Each write is durable on the server when it returns."""

    def close(self) -> None:
        """The client belongs to the store, which outlives its generations."""


def _chunk(chunk_id: str, text: str | None, meta: Mapping[str, Any]) -> ChunkRecord:
    return ChunkRecord(
        id=chunk_id, source_id=meta["source_id"], start=int(meta["start"]), end=int(meta["end"]),
        paragraph=int(meta["paragraph"]), section=str(meta["section"]), page=int(meta["page"]), text=text or "",
    )  # fmt: skip


class ServerStore:
    """Generations, the current pointer and the writer lease, all on one Chroma server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.prefix = settings.collection
        self.label = f"{settings.chroma_url} (collections {self.prefix}.*)"
        self._client: Any = None
        self._lock = threading.Lock()
        self._lease: WriterLease | None = None

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = connect(self.settings)
            return self._client

    def _registry(self, create: bool = False) -> Any:
        from chromadb.errors import NotFoundError

        name = f"{self.prefix}.{REGISTRY}"
        if create:
            return self.client.get_or_create_collection(name, embedding_function=None)
        try:
            return self.client.get_collection(name, embedding_function=None)
        except NotFoundError:
            return None

    def _record(self, registry: Any, record_id: str) -> dict[str, Any] | None:
        got = registry.get(ids=[record_id], include=["metadatas"])
        return dict(got["metadatas"][0]) if got["ids"] and got["metadatas"] else None

    def current(self) -> str | None:
        try:
            registry = self._registry()
            found = self._record(registry, CURRENT_ID) if registry is not None else None
        except IndexUnreachableError:
            raise
        except Exception as e:
            raise IndexUnreachableError(
                f"The Chroma server at {self.settings.chroma_url} failed to answer ({e.__class__.__name__}: {e})."
            ) from e
        return str(found["generation"]) if found else None

    def open_current(self, expected: IndexInfo) -> Generation:
        name = self.current()
        if name is None:
            raise IndexMissingError(f"No index on {self.label} yet. Build it with `assistant index`.")
        generation = ServerGeneration(self.client, self.prefix, name)
        found = generation.info()
        reason = expected.mismatch(found) if found else "no record of how it was built"
        if reason:
            raise IndexMismatchError(
                f"The index on {self.label} was built with {reason}. Rebuild it with `assistant index --full`."
            )
        return generation

    def create(self, info: IndexInfo, base: Generation | None = None) -> tuple[Generation, bool]:
        # Chroma copies a collection on the server only in its distributed deployment, so a new
        # generation starts empty and the writer streams the unchanged vectors over from the old one.
        name = f"{GENERATION_PREFIX}{generation_stamp()}"
        return ServerGeneration(self.client, self.prefix, name, writable=True, info=info), False

    def publish(self, generation: Generation) -> str:
        registry = self._registry(create=True)
        if self._lease is None or not self._lease.holds():
            raise IndexBusyError(
                "This re-index lost its writer lease to another writer; the index was not changed. Try again."
            )
        registry.upsert(
            ids=[f"{GENERATION_PREFIX.rstrip('-')}:{generation.name}", CURRENT_ID],
            embeddings=[PLACEHOLDER, PLACEHOLDER],
            metadatas=[{"published_at": time.time()}, {"generation": generation.name, "published_at": time.time()}],
        )
        log.info("published generation=%s server=%s", generation.name, self.settings.chroma_url)
        return generation.name

    def make_current(self, generation: Generation) -> None:
        self._registry(create=True).upsert(
            ids=[CURRENT_ID],
            embeddings=[PLACEHOLDER],
            metadatas=[{"generation": generation.name, "published_at": time.time()}],
        )

    def discard(self, generation: Generation) -> None:
        self._delete_generation(generation.name)

    def _delete_generation(self, name: str) -> None:
        for collection in (f"{self.prefix}.{name}", f"{self.prefix}.{name}.sources"):
            try:
                self.client.delete_collection(collection)
            except Exception:
                log.debug("could not delete collection=%s", collection, exc_info=True)

    def clean_up(self, keep: int) -> None:
        """Delete unpublished builds and all but the ``keep`` newest generations (the current one kept)."""
        registry = self._registry(create=True)
        current = self.current()
        marker = f"{GENERATION_PREFIX.rstrip('-')}:"
        got = registry.get(include=["metadatas"])
        published = sorted(
            (float(meta.get("published_at", 0)), rid.removeprefix(marker))
            for rid, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
            if rid.startswith(marker)
        )
        kept = {current} | {name for _, name in published[-max(0, keep - 1) :]} if keep > 1 else {current}
        names = {
            c.name.removeprefix(f"{self.prefix}.").removesuffix(".sources")
            for c in self.client.list_collections()
            if c.name.startswith(f"{self.prefix}.{GENERATION_PREFIX}")
        }
        for name in sorted(names - kept):
            self._delete_generation(name)
            log.info("removed generation=%s server=%s", name, self.settings.chroma_url)
        stale = [f"{marker}{name}" for _, name in published if name not in kept]
        old_takeovers = [
            rid
            for rid, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
            if rid.startswith("takeover:") and float(meta.get("at", 0)) < time.time() - 86400
        ]
        if stale or old_takeovers:
            registry.delete(ids=stale + old_takeovers)

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        lease = WriterLease(self._registry(create=True), self.settings.writer_lease, self.label)
        lease.acquire()
        self._lease = lease
        try:
            yield
        finally:
            self._lease = None
            lease.release()


class WriterLease:
    """The single-writer lease on a Chroma server; see the module docstring."""

    def __init__(self, registry: Any, seconds: float, label: str) -> None:
        self.registry = registry
        self.seconds = seconds
        self.label = label
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _holder(self, record_id: str = WRITER_ID) -> dict[str, Any] | None:
        got = self.registry.get(ids=[record_id], include=["metadatas"])
        return dict(got["metadatas"][0]) if got["ids"] and got["metadatas"] else None

    def _claim(self) -> dict[str, Any]:
        now = time.time()
        return {"owner": self.owner, "expires": now + self.seconds, "since": now}

    def acquire(self) -> None:
        self.registry.add(ids=[WRITER_ID], embeddings=[PLACEHOLDER], metadatas=[self._claim()])
        holder = self._holder()
        if holder is None or holder["owner"] != self.owner:
            if holder is not None and float(holder["expires"]) > time.time():
                host, pid, _ = str(holder["owner"]).rsplit(":", 2)
                raise IndexBusyError(
                    f"Another re-index of {self.label} is running (process {pid} on {host}). "
                    "Wait for it to finish, then try again."
                )
            # Nobody renewed it: exactly one of the writers who saw that takes it over.
            takeover = f"takeover:{holder['owner'] if holder else 'none'}"
            self.registry.add(
                ids=[takeover], embeddings=[PLACEHOLDER], metadatas=[{"owner": self.owner, "at": time.time()}]
            )
            taker = self._holder(takeover)
            if taker is None or taker["owner"] != self.owner:
                raise IndexBusyError(f"Another re-index of {self.label} is starting. Wait for it, then try again.")
            log.warning("took over an expired writer lease previous=%s", holder["owner"] if holder else "none")
            self.registry.upsert(ids=[WRITER_ID], embeddings=[PLACEHOLDER], metadatas=[self._claim()])
        self._thread = threading.Thread(target=self._renew, name="writer-lease", daemon=True)
        self._thread.start()

    def holds(self) -> bool:
        holder = self._holder()
        return holder is not None and holder["owner"] == self.owner and float(holder["expires"]) > time.time()

    def _renew(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                if not self.holds():
                    log.error("lost the writer lease owner=%s", self.owner)
                    return
                self.registry.upsert(ids=[WRITER_ID], embeddings=[PLACEHOLDER], metadatas=[self._claim()])
            except Exception:
                log.warning("could not renew the writer lease", exc_info=True)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            holder = self._holder()
            if holder is not None and holder["owner"] == self.owner:
                self.registry.delete(ids=[WRITER_ID])
        except Exception:
            log.warning("could not release the writer lease; it expires by itself", exc_info=True)
