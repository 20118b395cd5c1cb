"""Build and update the index: the ``assistant index`` use case.

Every run that changes something writes a new generation in the store the
settings name (a folder or a Chroma server, see :mod:`assistant.index.stores`)
and publishes it atomically. Incremental runs reuse the vectors of chunks
whose id is already in the current generation, so only new or changed text is
embedded; an unchanged corpus embeds nothing and writes nothing.
``full=True`` embeds everything afresh.

Chunks stream through: a window of ``write_batch_size`` chunks is embedded (in
batches of ``embed_batch_size``, texts of like length together) and written,
then dropped, so memory does not grow with the corpus beyond its text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.citations import source_fields
from assistant.config import Settings
from assistant.errors import (
    AssistantError,
    IndexDamagedError,
    IndexMismatchError,
    IndexMissingError,
    IndexStorageError,
)
from assistant.index.embeddings import Embedder
from assistant.index.store import ChunkRecord, Generation, IndexInfo, SourceRecord, storage_problem
from assistant.index.stores import IndexStore, open_store
from assistant.index.stores import writer_lock as writer_lock  # the embedded store's lock, where callers expect it
from assistant.ingest.chunking import Chunk, chunk_id, chunk_text, passage_text
from assistant.ingest.corpus import Document, scan

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass
class Plan:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.added or self.updated or self.deleted)


def make_plan(indexed: Mapping[str, str], found: Mapping[str, str]) -> Plan:
    """Compare content hashes by source id: what to add, update, keep, delete.

    >>> p = make_plan({"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "9", "d": "4"})
    >>> (p.added, p.updated, p.unchanged, p.deleted)
    (['d'], ['b'], ['a'], ['c'])
    """
    plan = Plan()
    for sid in sorted(found):
        if sid not in indexed:
            plan.added.append(sid)
        elif indexed[sid] != found[sid]:
            plan.updated.append(sid)
        else:
            plan.unchanged.append(sid)
    plan.deleted = sorted(set(indexed) - set(found))
    return plan


@dataclass(kw_only=True)
class IndexReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    chunks_embedded: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    full: bool = False
    generation: str = ""
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # files indexed with a caveat

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "seconds": round(self.seconds, 3)}


def page_of(chunk: Chunk, pages: tuple[tuple[int, int], ...]) -> int:
    """1-based page holding the chunk's start, or 0 for a source without pages.

    >>> page_of(Chunk(start=12, end=15, text="abc", paragraph=0, section=""), ((0, 10), (12, 20)))
    2
    """
    for number, (start, end) in enumerate(pages, start=1):
        if start <= chunk.start < end:
            return number
    return 0


def chunk_records(document: Document, max_chars: int) -> list[ChunkRecord]:
    sid = document.source.id
    return [
        ChunkRecord(
            # The id covers what is embedded, heading and title included: a renamed heading re-embeds.
            id=chunk_id(sid, c.start, c.end, passage_text(c.text, c.section, document.source.title)),
            source_id=sid,
            start=c.start,
            end=c.end,
            paragraph=c.paragraph,
            section=c.section,
            page=page_of(c, document.pages),
            text=c.text,
        )
        for c in chunk_text(document.text, max_chars)
    ]


def chroma_metadata(record: ChunkRecord, document: Document) -> dict[str, Any]:
    return {
        **source_fields(document.source),
        "start": record.start,
        "end": record.end,
        "paragraph": record.paragraph,
        "section": record.section,
        "page": record.page,
    }


class Indexer:
    def __init__(self, settings: Settings, embedder: Embedder | None = None, store: IndexStore | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder.from_settings(settings)
        self.store = store or open_store(settings)

    def expected_info(self) -> IndexInfo:
        return IndexInfo.current(self.embedder.name, self.embedder.dimension, self.settings.chunk_max_chars)

    def run(self, full: bool = False, progress: Progress | None = None) -> IndexReport:
        """Index the corpus; a full disk, a read-only folder or a permission is an :class:`IndexStorageError`."""
        try:
            return self._run(full, progress)
        except AssistantError:
            raise
        except Exception as e:
            if problem := storage_problem(e):
                raise IndexStorageError(
                    f"Could not write the index in {self.store.label}: {problem} The index in use is unchanged."
                ) from e
            raise

    def _run(self, full: bool, progress: Progress | None) -> IndexReport:
        started = time.perf_counter()
        settings = self.settings
        with self.store.writer_lock():
            self.store.clean_up(settings.keep_generations)
            corpus = scan(settings.corpus_dir, settings.max_file_bytes)
            documents = {d.source.id: d for d in corpus.documents}
            previous = self._open_previous(tolerate_mismatch=full)
            try:
                versions = previous.source_versions() if previous else {}
                plan = make_plan(
                    {sid: h for sid, (h, _) in versions.items()}, {sid: d.content_hash for sid, d in documents.items()}
                )
                report = IndexReport(
                    added=len(plan.added),
                    updated=len(plan.updated),
                    unchanged=len(plan.unchanged),
                    deleted=len(plan.deleted),
                    full=full,
                    skipped=corpus.skipped,
                    notes=corpus.notes,
                )
                if previous is not None and not plan.changes and not full:
                    report.chunks_total = previous.count()
                    report.generation = previous.name
                    if previous.warning:  # it answered in place of a lost or damaged one: make it current
                        self.store.make_current(previous)
                else:
                    self._build(documents, plan, previous, versions, report, progress)
            finally:
                if previous is not None:
                    previous.close()
            self.store.clean_up(settings.keep_generations)
        report.seconds = time.perf_counter() - started
        log.info(
            "indexed %s", " ".join(f"{k}={v}" for k, v in report.as_dict().items() if k not in ("skipped", "notes"))
        )
        return report

    def _open_previous(self, tolerate_mismatch: bool) -> Generation | None:
        """The current generation, to compare against and reuse vectors from.

        A full rebuild does not need it to be readable: that is how an index
        built by another model, chunker or Chroma version gets replaced. When
        the current generation is missing or damaged, the newest intact one is
        compared and reused instead; when none is intact, everything is embedded.
        """
        try:
            previous = self.store.open_current(self.expected_info())
        except IndexMissingError:
            return None
        except IndexDamagedError as e:
            log.warning("rebuilding an index whose files are damaged store=%s reason=%s", self.store.label, e)
            return None
        except IndexMismatchError:
            if tolerate_mismatch:
                log.warning("replacing an index that cannot be read store=%s", self.store.label)
                return None
            raise
        if previous.warning:
            log.warning("%s", previous.warning)
        return previous

    def _build(
        self,
        documents: dict[str, Document],
        plan: Plan,
        previous: Generation | None,
        versions: dict[str, tuple[str, str]],
        report: IndexReport,
        progress: Progress | None,
    ) -> None:
        """Write the next generation, streaming: a window of chunks at a time is chunked, embedded and written.

        An incremental run starts from a copy of the previous generation where
        the store can copy cheaply (the embedded store copies its files), and
        then touches only the sources that changed; otherwise it writes every
        source, reusing the vectors of chunks the previous generation has.
        Either way no more than one window of vectors is held at once.
        """
        settings = self.settings
        reuse = previous if not report.full else None
        generation, copied = self.store.create(self.expected_info(), base=reuse)
        try:
            if copied:
                for sid in plan.deleted:
                    generation.remove_source(sid)
                todo = sorted(plan.added + plan.updated)
            else:
                todo = sorted(documents)
            # Chunk ids already in the new generation (copied), or whose vectors can be fetched from the old one.
            have: dict[str, set[str]] = {}
            known = reuse.chunk_ids() if reuse is not None and not copied else set()
            total = 0
            for sid in todo:
                have[sid] = generation.chunk_ids(sid) if copied and sid in plan.updated else set()
                ids = [r.id for r in chunk_records(documents[sid], settings.chunk_max_chars)]
                total += sum(1 for cid in ids if cid not in have[sid] and cid not in known)
            del known
            report.chunks_embedded = total
            writer = _Writer(self.embedder, generation, reuse if not copied else None, total, progress)
            window = min(settings.write_batch_size, generation.max_batch)
            now = _now()
            # A source keeps the time it was first indexed while its text stays the same (a full rebuild resets it).
            kept = set(plan.unchanged) & set(versions) if not report.full else set()
            for sid in todo:
                document = documents[sid]
                records = chunk_records(document, settings.chunk_max_chars)
                fresh = {r.id for r in records}
                if have[sid]:
                    generation.delete_chunks(have[sid] - fresh)
                for record in records:
                    if record.id not in have[sid]:
                        writer.push(record, document)
                        if len(writer.pending) >= window:
                            writer.flush()
                s = document.source
                generation.put_source(
                    SourceRecord(
                        id=sid, kind=s.kind, title=s.title, author=s.author, date=s.date, url=s.url,
                        extra=dict(s.extra), content_hash=document.content_hash, text=document.text,
                        chunks=len(records), indexed_at=versions[sid][1] if sid in kept else now,
                    )
                )  # fmt: skip
            writer.flush()
            generation.write_info(self.expected_info())
            generation.commit()
            report.chunks_total = generation.count()
        except BaseException:
            self.store.discard(generation)  # half a build is of no use, and may fill the disk
            raise
        report.generation = self.store.publish(generation)


class _Writer:
    """Gathers chunks, embeds those without a vector in one call, and writes them in one batch."""

    def __init__(
        self,
        embedder: Embedder,
        generation: Generation,
        reuse: Generation | None,
        total: int,
        progress: Progress | None,
    ) -> None:
        self.embedder = embedder
        self.generation = generation
        self.reuse = reuse
        self.total = total
        self.done = 0
        self.progress = progress
        self.pending: list[tuple[ChunkRecord, Document]] = []
        if progress:
            progress(0, total)

    def push(self, record: ChunkRecord, document: Document) -> None:
        self.pending.append((record, document))

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        vectors: dict[str, Any] = self.reuse.embeddings([r.id for r, _ in batch]) if self.reuse is not None else {}
        missing = [(r, d) for r, d in batch if r.id not in vectors]
        embedded = self.embedder.embed_array([passage_text(r.text, r.section, d.source.title) for r, d in missing])
        for (record, _), vector in zip(missing, embedded, strict=True):
            vectors[record.id] = vector
        self.generation.add([(r, vectors[r.id], chroma_metadata(r, d)) for r, d in batch])
        self.done += len(missing)
        if self.progress:
            self.progress(self.done, self.total)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
