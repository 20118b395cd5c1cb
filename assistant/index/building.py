"""Build and update the index: the ``assistant index`` use case.

Every run that changes something writes a new generation (see
:mod:`assistant.index.store`) and publishes it atomically. Incremental runs reuse
the vectors of chunks whose id is already in the current generation, so only
new or changed text is embedded; an unchanged corpus embeds nothing and
writes nothing. ``full=True`` embeds everything afresh.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from assistant.answer.citations import source_fields
from assistant.config import Settings
from assistant.errors import (
    AssistantError,
    IndexBusyError,
    IndexDamagedError,
    IndexMismatchError,
    IndexMissingError,
    IndexStorageError,
)
from assistant.index.embeddings import Embedder
from assistant.index.store import (
    ChunkRecord,
    Generation,
    IndexInfo,
    SourceRecord,
    clean_up,
    new_building_dir,
    open_current,
    point_at,
    publish,
    storage_problem,
)
from assistant.ingest.chunking import Chunk, chunk_id, chunk_text, passage_text
from assistant.ingest.corpus import Document, scan

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
LOCK_NAME = ".write.lock"


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


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """Hold the single-writer lock, or fail at once if another writer has it."""
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


class Indexer:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(batch_size=settings.embed_batch_size)

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
                    f"Could not write the index in {self.settings.index_dir}: {problem} The index in use is unchanged."
                ) from e
            raise

    def _run(self, full: bool, progress: Progress | None) -> IndexReport:
        started = time.perf_counter()
        settings = self.settings
        with writer_lock(settings.index_dir):
            clean_up(settings.index_dir, settings.keep_generations)
            corpus = scan(settings.corpus_dir, settings.max_file_bytes)
            documents = {d.source.id: d for d in corpus.documents}
            previous = self._open_previous(tolerate_mismatch=full)
            try:
                indexed = {s.id: s.content_hash for s in previous.sources()} if previous else {}
                plan = make_plan(indexed, {sid: d.content_hash for sid, d in documents.items()})
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
                    report.generation = previous.path.name
                    if previous.warning:  # it answered in place of a lost or damaged one: make it current
                        point_at(settings.index_dir, previous.path)
                else:
                    self._build(documents, plan, previous, report, progress)
            finally:
                if previous is not None:
                    previous.close()
            clean_up(settings.index_dir, settings.keep_generations)
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
            previous = open_current(self.settings.index_dir, self.settings.collection, self.expected_info())
        except IndexMissingError:
            return None
        except IndexDamagedError as e:
            log.warning(
                "rebuilding an index whose files are damaged index_dir=%s reason=%s", self.settings.index_dir, e
            )
            return None
        except IndexMismatchError:
            if tolerate_mismatch:
                log.warning("replacing an index that cannot be read index_dir=%s", self.settings.index_dir)
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
        report: IndexReport,
        progress: Progress | None,
    ) -> None:
        settings = self.settings
        building = new_building_dir(settings.index_dir)
        generation = Generation(building, settings.collection, writable=True, info=self.expected_info())
        try:
            records = {sid: chunk_records(doc, settings.chunk_max_chars) for sid, doc in documents.items()}
            all_ids = [r.id for rs in records.values() for r in rs]
            vectors = previous.embeddings(all_ids) if previous is not None and not report.full else {}
            missing = [(r, documents[sid]) for sid, rs in records.items() for r in rs if r.id not in vectors]
            report.chunks_embedded = len(missing)
            self._embed(missing, vectors, progress)
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            unchanged = set(plan.unchanged)
            for sid, doc in sorted(documents.items()):
                reuse = sid in unchanged and not report.full
                old = previous.source(sid) if previous is not None and reuse else None
                generation.add([(r, vectors[r.id], chroma_metadata(r, doc)) for r in records[sid]])
                s = doc.source
                generation.put_source(
                    SourceRecord(
                        id=sid, kind=s.kind, title=s.title, author=s.author, date=s.date, url=s.url,
                        extra=dict(s.extra), content_hash=doc.content_hash, text=doc.text,
                        chunks=len(records[sid]), indexed_at=old.indexed_at if old else now,
                    )
                )  # fmt: skip
            generation.write_info(self.expected_info())
            generation.commit()
            report.chunks_total = generation.count()
        except BaseException:
            generation.close()
            shutil.rmtree(building, ignore_errors=True)  # half a build is of no use, and may fill the disk
            raise
        generation.close()
        report.generation = publish(settings.index_dir, building).name

    def _embed(
        self,
        missing: list[tuple[ChunkRecord, Document]],
        vectors: dict[str, list[float]],
        progress: Progress | None,
    ) -> None:
        batch = self.settings.embed_batch_size
        done = 0
        if progress:
            progress(0, len(missing))
        for start in range(0, len(missing), batch):
            part = missing[start : start + batch]
            embedded = self.embedder.embed_documents([passage_text(r.text, r.section, d.source.title) for r, d in part])
            for (record, _), vector in zip(part, embedded, strict=True):
                vectors[record.id] = vector
            done += len(part)
            if progress:
                progress(done, len(missing))
