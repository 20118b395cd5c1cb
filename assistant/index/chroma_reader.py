"""Read-only access to an embedded Chroma store through Chroma's compiled core.

Importing the ``chromadb`` Python package costs a question's cold start about
0.8 s of CPU (telemetry, HTTP clients, every embedding function); its
compiled core, ``chromadb_rust_bindings``, imports in a few milliseconds and
serves reads the same way ``chromadb.PersistentClient`` does, since that
client is a thin layer over it. Readers (the answer path, ``assistant
sources``, ``assistant cite``) open published generations with
:func:`open_collection`; writers keep the full client.

The core's calling convention is the one ``chromadb.api.rust`` uses in the
pinned chromadb release. Should it differ (another chromadb), opening falls
back to ``chromadb.PersistentClient``, which is slower to import and
otherwise the same. The store is opened with migrations validated, never
applied. Either way Chroma still writes to the vector files it loads (their
headers), so :mod:`assistant.index.store` hands readers a private copy of a
generation's Chroma folder, never the published one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TENANT, DATABASE = "default_tenant", "default_database"


class ReadOnlyCollection:
    """The part of ``chromadb.Collection`` that readers use, over the compiled core."""

    def __init__(self, bindings: Any, collection: Any) -> None:
        self._bindings = bindings
        self._id = str(collection.id)
        self.name = collection.name
        self.metadata = dict(collection.metadata or {})

    def count(self) -> int:
        return int(self._bindings.count(self._id, TENANT, DATABASE))

    def get(
        self,
        ids: Sequence[str] | None = None,
        where: dict[str, Any] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        include: Sequence[str] = ("metadatas", "documents"),
    ) -> dict[str, Any]:
        got = self._bindings.get(
            self._id, list(ids) if ids is not None else None, json.dumps(where) if where else None,
            limit, offset or 0, None, list(include), TENANT, DATABASE,
        )  # fmt: skip
        return {
            "ids": got.ids,
            "embeddings": got.embeddings if "embeddings" in include else None,
            "documents": got.documents if "documents" in include else None,
            "metadatas": got.metadatas if "metadatas" in include else None,
        }

    def query(
        self, query_embeddings: Sequence[Sequence[float]], n_results: int, include: Sequence[str]
    ) -> dict[str, Any]:
        got = self._bindings.query(
            self._id, None, [list(map(float, v)) for v in query_embeddings], n_results, None, None, list(include),
            TENANT, DATABASE,
        )  # fmt: skip
        return {"ids": got.ids, "distances": got.distances if "distances" in include else None}


class _Reader:
    """Stands in for the client: what ``Generation`` asks of it."""

    def __init__(self, bindings: Any) -> None:
        self._bindings = bindings

    def get_max_batch_size(self) -> int:
        return int(self._bindings.get_max_batch_size())

    def close(self) -> None:
        self._bindings = None


def open_collection(chroma_dir: Path, name: str) -> tuple[Any, Any]:
    """(client, collection) for reading ``name`` in the store at ``chroma_dir``."""
    try:
        import chromadb_rust_bindings as core

        config = core.SqliteDBConfig(
            url=str(chroma_dir / "chroma.sqlite3"),
            hash_type=core.MigrationHash.MD5,
            migration_mode=core.MigrationMode.Validate,
        )
        bindings = core.Bindings(
            allow_reset=False, sqlite_db_config=config, persist_path=str(chroma_dir), hnsw_cache_size=1000
        )
        collection = ReadOnlyCollection(bindings, bindings.get_collection(name, TENANT, DATABASE))
        collection.count()
        return _Reader(bindings), collection
    except (ImportError, AttributeError, TypeError) as e:
        log.info("reading through chromadb.PersistentClient reason=%s", e)
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(
        path=str(chroma_dir), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )
    return client, client.get_collection(name, embedding_function=None)
