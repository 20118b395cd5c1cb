"""Both index stores, embedded and a real Chroma server: freshness across processes, the writer lease, scaling."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from assistant.answer.assistant import Assistant
from assistant.errors import IndexBusyError, IndexMismatchError
from assistant.index.building import Indexer
from assistant.index.library import Library
from assistant.index.server import ServerStore, WriterLease
from assistant.index.store import Generation
from assistant.index.stores import open_store
from tests.conftest import both_stores, settings_env

NEW_FACT = "Quokkas remind the walkers of Rottnest to pause and breathe before they judge themselves."
QUESTION = "What do quokkas remind the walkers of Rottnest to do?"


def ask_line(reader: subprocess.Popen, question: str) -> dict:
    reader.stdin.write(question + "\n")
    reader.stdin.flush()
    return json.loads(reader.stdout.readline())


@both_stores
def test_a_reindex_in_another_process_is_seen_by_the_next_question(indexer, settings, corpus_dir, embedder):
    indexer.run()
    here = Assistant(settings, Library(settings, embedder))
    assert here.ask(QUESTION).status == "not_found"  # BM25, vocabulary and catalog now hold the old corpus
    # A long-lived reader in another process, answering one question per line.
    reader = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ask", "--json"],
        env=settings_env(settings), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert ask_line(reader, QUESTION)["status"] == "not_found"
        (corpus_dir / "walks.txt").write_text(f"Island walks\n\n{NEW_FACT}\n", encoding="utf-8")
        writer = subprocess.run(
            [sys.executable, "-m", "assistant", "index", "--json"],
            env=settings_env(settings), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert writer.returncode == 0, writer.stderr
        assert json.loads(writer.stdout)["added"] == 1
        there = ask_line(reader, QUESTION)
        assert there["status"] == "answered"
        assert there["citations"][0]["source_id"] == "walks-txt"
    finally:
        reader.stdin.close()
        reader.wait(timeout=60)
    # And this process, which re-indexed nothing, sees it too.
    answer = here.ask(QUESTION)
    assert answer.status == "answered"
    assert answer.citations[0].source_id == "walks-txt"
    assert "walks-txt" in {s.id for s in here.retriever().sources.values()}


@both_stores
def test_an_index_built_by_another_backend_is_refused_with_how_to_rebuild(indexer, settings):
    indexer.run()
    other = settings.model_copy(
        update={"embedding_backend": "onnx-int8" if indexer.embedder.backend != "onnx-int8" else "onnx"}
    )
    with pytest.raises(IndexMismatchError, match=r"all-MiniLM-L6-v2.*assistant index --full"):
        Library(other).generation()
    rebuilt = Indexer(other).run(full=True)
    assert rebuilt.chunks_embedded == rebuilt.chunks_total > 0
    assert Library(other).generation().count() == rebuilt.chunks_total


def test_an_incremental_run_copies_the_generation_and_writes_only_what_changed(
    indexer, settings, corpus_dir, monkeypatch
):
    first = indexer.run()
    (corpus_dir / "walks.txt").write_text(f"Island walks\n\n{NEW_FACT}\n", encoding="utf-8")
    added: list[int] = []
    original = Generation.add
    monkeypatch.setattr(Generation, "add", lambda self, records: added.append(len(records)) or original(self, records))
    second = indexer.run()
    assert second.chunks_embedded == sum(added) == second.chunks_total - first.chunks_total > 0
    before = Library(settings).generation().chunk_ids()
    article = corpus_dir / "healing-from-within.txt"
    article.write_text(article.read_text(encoding="utf-8").replace("Updated: Mar 22", "Updated: Mar 23"), "utf-8")
    added.clear()
    third = indexer.run()
    assert (third.updated, third.chunks_embedded, sum(added)) == (1, 1, 1)
    after = Library(settings).generation().chunk_ids()
    assert len(before - after) == len(after - before) == 1  # the old byline chunk out, the new one in


@both_stores
def test_indexing_holds_one_window_of_chunks_at_a_time(settings, corpus_dir, embedder, monkeypatch):
    for n in range(30):
        (corpus_dir / f"notes-{n:02}.txt").write_text(f"Note {n}. " + "Rest is part of the work. " * 30, "utf-8")
    small = settings.model_copy(update={"write_batch_size": 16})
    embedded: list[int] = []
    original = type(embedder).embed_array
    monkeypatch.setattr(
        type(embedder), "embed_array", lambda self, texts: embedded.append(len(texts)) or original(self, texts)
    )
    report = Indexer(small, embedder).run()
    assert max(embedded) <= 16 and sum(embedded) == report.chunks_embedded == report.chunks_total > 16 * 5


def test_the_writer_lease_refuses_a_second_writer_and_is_taken_over_when_it_expires(chroma_server, settings):
    store = ServerStore(settings.model_copy(update={"chroma_url": chroma_server, "collection": "leasetest"}))
    registry = store._registry(create=True)
    first = WriterLease(registry, seconds=5, label="test")
    first.acquire()
    first._stop.set()  # a writer that was killed: it renews no more
    second = WriterLease(registry, seconds=5, label="test")
    with pytest.raises(IndexBusyError, match=r"Another re-index of test is running \(process \d+"):
        second.acquire()
    deadline = time.monotonic() + 30
    while first.holds():
        assert time.monotonic() < deadline
        time.sleep(0.5)
    second.acquire()  # the expired lease is taken over
    assert second.holds() and not first.holds()
    third = WriterLease(registry, seconds=5, label="test")
    with pytest.raises(IndexBusyError):
        third.acquire()
    second.release()
    first.release()  # no longer its lease: releasing it changes nothing
    third.acquire()
    assert third.holds()
    third.release()


def test_a_writer_that_lost_its_lease_publishes_nothing(chroma_server, settings, indexer, monkeypatch):
    server = settings.model_copy(update={"chroma_url": chroma_server, "collection": "lostlease"})
    Indexer(server, indexer.embedder).run()
    store = open_store(server)
    before = store.current()
    monkeypatch.setattr(WriterLease, "holds", lambda self: False)
    with pytest.raises(IndexBusyError, match="lost its writer lease"):
        Indexer(server, indexer.embedder).run(full=True)
    assert store.current() == before
    monkeypatch.undo()
    assert Indexer(server, indexer.embedder).run(full=True).generation != before


def test_a_killed_server_build_leaves_the_old_index_answering(chroma_server, settings, corpus_dir, embedder):
    server = settings.model_copy(update={"chroma_url": chroma_server, "collection": "killed"})
    Indexer(server, embedder).run()
    store = open_store(server)
    before = store.current()
    for n in range(150):
        (corpus_dir / f"extra-{n:03}.txt").write_text(f"Extra {n}. " + "Patience grows with practice. " * 40, "utf-8")
    # A short lease, so that the next writer need not wait long once this one is killed.
    writer = subprocess.Popen(
        [sys.executable, "-m", "assistant", "index", "--full", "--json"],
        env={**settings_env(server), "ASSISTANT_WRITER_LEASE": "5"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        client = store.client  # type: ignore[attr-defined]
        while len([c for c in client.list_collections() if c.name.startswith("killed.gen-")]) < 4:
            assert writer.poll() is None, "the rebuild finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(1.0)
    finally:
        writer.kill()
        writer.wait()
    assert store.current() == before
    answer = Assistant(server, Library(server, embedder)).ask("What does self-compassion do for resilience?")
    assert answer.status == "answered"
    deadline = time.monotonic() + 60
    while True:  # until the killed writer's lease expires
        try:
            report = Indexer(server, embedder).run()
            break
        except IndexBusyError:
            assert time.monotonic() < deadline
            time.sleep(1)
    assert report.added == 150
    names = {c.name for c in client.list_collections() if c.name.startswith("killed.gen-")}
    assert len(names) <= 2 * server.keep_generations  # the unfinished build was removed


def test_the_app_answers_from_an_index_on_a_chroma_server(chroma_server, settings, indexer, monkeypatch):
    from tests.test_app import ask, open_app

    server = settings.model_copy(update={"chroma_url": chroma_server, "collection": "app"})
    Indexer(server, indexer.embedder).run()
    for key, value in settings_env(server).items():
        if key.startswith("ASSISTANT_"):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("ASSISTANT_STREAM_PAUSE", "0")
    turn = ask(open_app(), "How does self-compassion help with stress?")
    assert turn["answer"]["status"] == "answered"
    assert turn["answer"]["citations"][0]["source_id"] == "healing-from-within"
    assert not (settings.index_dir / "CURRENT").exists()  # nothing was written to the embedded store
