"""Incremental indexing against the real model and a real Chroma in tmp_path."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from assistant.errors import IndexBusyError, IndexMismatchError
from assistant.index.library import Library
from assistant.index.server import ServerGeneration
from assistant.index.store import CURRENT, Generation, current_generation, open_current
from assistant.index.stores import open_store
from tests.conftest import ROOT, both_stores, settings_env


def snapshot(settings):
    """(source id -> sorted chunk ids) of the current index, read back from Chroma."""
    library = Library(settings)
    try:
        got = library.generation().collection.get(include=["metadatas"])
        ids: dict[str, list[str]] = {}
        for cid, meta in zip(got["ids"], got["metadatas"], strict=True):
            ids.setdefault(meta["source_id"], []).append(cid)
        return {k: sorted(v) for k, v in ids.items()}
    finally:
        library.close()


@both_stores
def test_reindexing_an_unchanged_corpus_embeds_nothing(indexer, settings):
    first = indexer.run()
    assert (first.added, first.chunks_embedded) == (3, first.chunks_total)
    before = snapshot(settings)
    second = indexer.run()
    assert (second.added, second.updated, second.unchanged, second.deleted) == (0, 0, 3, 0)
    assert second.chunks_embedded == 0
    assert second.chunks_total == first.chunks_total
    assert snapshot(settings) == before


@both_stores
def test_editing_one_source_reembeds_only_its_changed_chunks(indexer, settings, corpus_dir):
    indexer.run()
    before = snapshot(settings)
    article = corpus_dir / "healing-from-within.txt"
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("Updated: Mar 22", "Updated: Mar 23"), encoding="utf-8")
    report = indexer.run()
    after = snapshot(settings)
    assert (report.updated, report.unchanged) == (1, 2)
    assert report.chunks_embedded == 1
    changed = set(after["healing-from-within"]) ^ set(before["healing-from-within"])
    assert len(changed) == 2  # the old byline chunk gone, the new one in
    assert {k: v for k, v in after.items() if k != "healing-from-within"} == {
        k: v for k, v in before.items() if k != "healing-from-within"
    }


@both_stores
def test_a_removed_source_disappears(indexer, settings, corpus_dir):
    (corpus_dir / "notes.md").write_text("# Notes\n\nRest is part of the work.\n", encoding="utf-8")
    indexer.run()
    assert "notes-md" in snapshot(settings)
    (corpus_dir / "notes.md").unlink()
    report = indexer.run()
    assert report.deleted == 1
    assert "notes-md" not in snapshot(settings)
    assert "notes-md" not in {s["id"] for s in Library(settings).sources()}


@both_stores
def test_every_chunk_quotes_its_source_exactly(indexer, settings, corpus_dir):
    (corpus_dir / "page.html").write_text("<p>One kind act.</p><p>Another, gentler one.</p>", encoding="utf-8")
    indexer.run()
    generation = Library(settings).generation()
    texts = {s.id: s.text for s in generation.sources()}
    stored = generation.collection.get(include=["documents", "metadatas"])
    assert len(stored["ids"]) == sum(s.chunks for s in generation.sources())
    for document, meta in zip(stored["documents"], stored["metadatas"], strict=True):
        assert texts[meta["source_id"]][meta["start"] : meta["end"]] == document
        assert meta["title"] and meta["kind"]
    for chunk in generation.chunks():
        assert texts[chunk.source_id][chunk.start : chunk.end] == chunk.text


def test_the_article_is_indexed_without_page_chrome(indexer, settings):
    indexer.run()
    article = Library(settings).generation().source("healing-from-within")
    for chrome in ("top of page", "bottom of page", "Comments", "Commenting on this post", "\nree\n", "\u00a0"):
        assert chrome not in article.text
    assert article.text.startswith("Healing from Within: How Self-Compassion Leads to Lasting Growth")
    assert "Writer: Marissa Mireles" in article.text
    assert (article.author, article.date, article.extra["updated"]) == ("Marissa Mireles", "Mar 19", "Mar 22")


@pytest.mark.skipif(not (ROOT.parent / "shared/seed/healing-from-within.txt").exists(), reason="seed not present")
def test_the_article_keeps_every_paragraph_of_the_page_verbatim():
    seed = (ROOT.parent / "shared/seed/healing-from-within.txt").read_text(encoding="utf-8")
    corpus = (ROOT / "corpus/healing-from-within.txt").read_text(encoding="utf-8")
    body = seed[seed.index("In a world") : seed.index("Comments")]
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip() and p.strip() not in {"ree", "\u00a0"}]
    paragraphs = [p for p in paragraphs if p.replace("\u00a0", "").strip()]
    assert len(paragraphs) == 11
    for paragraph in paragraphs:
        assert paragraph in corpus


def test_a_broken_file_is_skipped_by_name_and_the_rest_indexed(indexer, settings, corpus_dir):
    (corpus_dir / "broken.pdf").write_bytes(b"not a pdf")
    (corpus_dir / "garbage.txt").write_bytes(b"\x00\xff" * 50)
    (corpus_dir / "fine.txt").write_text("Kindness to oneself is a skill.", encoding="utf-8")
    report = indexer.run()
    assert any("broken.pdf" in message for message in report.skipped)
    assert any("garbage.txt" in message for message in report.skipped)
    assert {s["id"] for s in Library(settings).sources()} == {
        "healing-from-within",
        "rogers-2025",
        "tucker-2024",
        "fine-txt",
    }


@both_stores
def test_a_second_writer_is_refused_at_once(indexer, settings):
    with open_store(settings).writer_lock():
        started = time.monotonic()
        with pytest.raises(IndexBusyError, match="Another re-index"):
            indexer.run()
        assert time.monotonic() - started < 2
    assert indexer.run().chunks_total > 0  # released


@both_stores
def test_a_second_index_command_exits_with_a_message(settings):
    env = settings_env(settings)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; from assistant.config import Settings; from assistant.index.stores import open_store\n"
         "with open_store(Settings()).writer_lock():\n print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        result = subprocess.run(
            [sys.executable, "-m", "assistant", "index"], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 1
        assert "Another re-index" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()


@both_stores
def test_writes_stay_within_the_chroma_batch_limit(indexer, settings, corpus_dir, monkeypatch, store):
    sizes: list[int] = []
    kind = ServerGeneration if store == "server" else Generation
    original = kind.__init__

    def small_batches(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.max_batch = 5
        add = self.collection.add

        def recording_add(**kw):
            sizes.append(len(kw["ids"]))
            return add(**kw)

        self.collection.add = recording_add

    monkeypatch.setattr(kind, "__init__", small_batches)
    report = indexer.run()
    assert report.chunks_total == sum(sizes) > 5
    assert max(sizes) == 5


def test_an_index_from_another_model_is_refused_with_how_to_rebuild(indexer, settings):
    indexer.run()
    described = Library(settings).generation().collection.metadata
    assert described["hnsw:space"] == "cosine"
    assert described["assistant:embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert described["assistant:embedding_dim"] == 384 and described["assistant:chunker"]
    import sqlite3

    catalog = current_generation(settings.index_dir) / "catalog.sqlite3"
    with sqlite3.connect(catalog) as db:
        db.execute("UPDATE info SET value = 'other/model' WHERE key = 'embedding_model'")
    with pytest.raises(IndexMismatchError, match=r"other/model.*assistant index --full"):
        open_current(settings.index_dir, settings.collection, indexer.expected_info())
    with pytest.raises(IndexMismatchError):
        indexer.run()
    rebuilt = indexer.run(full=True)
    assert rebuilt.chunks_embedded == rebuilt.chunks_total > 0
    assert Library(settings).sources()


def test_a_killed_full_rebuild_leaves_the_old_index_working(indexer, settings, corpus_dir):
    indexer.run()
    before = snapshot(settings)
    generation_before = (settings.index_dir / CURRENT).read_text()
    for n in range(150):
        (corpus_dir / f"extra-{n:03}.txt").write_text(
            f"Extra note {n}. " + "Self-kindness grows with practice and patience. " * 40, encoding="utf-8"
        )
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus_dir), "ASSISTANT_INDEX_DIR": str(settings.index_dir)}
    writer = subprocess.Popen([sys.executable, "-m", "assistant", "index", "--full", "--json"], env=env)
    try:
        deadline = time.monotonic() + 120
        while not any(p.name.startswith("building-") for p in settings.index_dir.iterdir()):
            assert writer.poll() is None, "the rebuild finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    finally:
        if writer.poll() is None:
            writer.kill()
    assert (settings.index_dir / CURRENT).read_text() == generation_before
    assert snapshot(settings) == before
    report = indexer.run()
    assert report.added == 150
    assert not any(p.name.startswith("building-") for p in settings.index_dir.iterdir())
    assert len(snapshot(settings)) == 153


@both_stores
def test_sources_lists_every_source_with_its_details(indexer, settings, corpus_dir):
    (corpus_dir / "mine.md").write_text("# My notes\n\nBe patient with yourself.\n", encoding="utf-8")
    indexer.run()
    rows = {row["id"]: row for row in Library(settings).sources()}
    assert rows["rogers-2025"]["kind"] == "reference"
    assert rows["rogers-2025"]["date"] == "2025-02-11"
    assert rows["rogers-2025"]["url"].startswith("https://rogersbh.org/")
    assert rows["tucker-2024"]["title"] == "Self-compassion when you’re not doing OK"
    assert rows["mine-md"]["kind"] == "user file"
    assert rows["mine-md"]["title"] == "My notes"
    for row in rows.values():
        assert row["chunks"] >= 1 and len(row["content_hash"]) == 64 and row["indexed_at"]


def test_chunks_cite_a_sentence_or_a_paragraph_not_a_page(indexer, settings):
    indexer.run()
    chunks = Library(settings).generation().chunks()
    assert max(len(c.text) for c in chunks) <= settings.chunk_max_chars
    assert any(c.text.startswith("Studies have shown") or "Studies have shown" in c.text for c in chunks)
