"""Hostile input, broken files and faults: clear messages, nothing lost."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from assistant.answer.assistant import Assistant
from assistant.errors import ConfigError, IndexMismatchError
from assistant.evaluation import robustness
from assistant.index.library import Library
from assistant.index.store import current_generation
from assistant.ingest.corpus import read_manifest, scan


def test_hostile_corpus_files_are_skipped_by_name_and_the_rest_indexed(indexer, settings, corpus_dir):
    files = {
        "empty.md": b"",
        "binary.txt": bytes(range(256)) * 4,
        "not-a-pdf.pdf": b"<html>nope</html>",
        "huge.txt": b"kind words " * 300_000,  # over the limit set below
    }
    for name, data in files.items():
        (corpus_dir / name).write_bytes(data)
    (corpus_dir / "invalid-utf8.txt").write_bytes(
        "Compassion for oneself. Café".encode("cp1252") + b"\xff\xfe more text here"
    )
    (corpus_dir / "broken.html").write_text(
        "<html><body><p>Gentleness <b>helps<p>Unclosed <div style='display:none'>HIDDEN\u200bTEXT</div> tags",
        encoding="utf-8",
    )
    (corpus_dir / "-odd name ünïcödé (1).md").write_text(
        "# Odd\n\nA file with an odd name is still read.", encoding="utf-8"
    )
    indexer.settings = settings.model_copy(update={"max_file_bytes": 1_000_000})
    report = indexer.run()
    for name in ("empty.md", "binary.txt", "not-a-pdf.pdf", "huge.txt"):
        assert any(message.startswith(name) for message in report.skipped), (name, report.skipped)
    library = Library(settings)
    ids = {s["id"] for s in library.sources()}
    assert {"invalid-utf8-txt", "broken-html", "odd-name-unicode-1-md"} <= ids
    texts = " ".join(s.text for s in library.generation().sources())
    assert "Gentleness helps" in texts and "A file with an odd name is still read." in texts
    assert "HIDDEN" not in texts and "\u200b" not in texts
    assert any(m.startswith("invalid-utf8.txt: not valid UTF-8; read as") for m in report.notes), report.notes
    assert not any(m.startswith("invalid-utf8.txt") for m in report.skipped)  # read, not skipped


def _scan(corpus_dir):
    result = scan(corpus_dir, 1_000_000)
    return {d.source.id: d.text for d in result.documents}, result.skipped


def test_links_that_lead_out_of_the_corpus_are_skipped_by_name(tmp_path, corpus_dir):
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text("OUTSIDE private words.", encoding="utf-8")
    (outside / "folder" / "more.txt").write_text("OUTSIDE folder words.", encoding="utf-8")
    (corpus_dir / ".kept").mkdir()
    (corpus_dir / ".kept" / "inner.txt").write_text("Inner words are fine to read.", encoding="utf-8")
    (corpus_dir / "link.txt").symlink_to(outside / "secret.txt")
    (corpus_dir / "folder-link").symlink_to(outside / "folder")
    (corpus_dir / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (corpus_dir / "inner-link.txt").symlink_to(corpus_dir / ".kept" / "inner.txt")
    # A manifest entry is no way around it.
    (corpus_dir / "listed-link.txt").symlink_to(outside / "secret.txt")
    with (corpus_dir / "sources.toml").open("a", encoding="utf-8") as manifest:
        manifest.write('\n[[source]]\nid = "listed"\nkind = "user file"\nfile = "listed-link.txt"\n')
    texts, skipped = _scan(corpus_dir)
    assert "OUTSIDE" not in " ".join(texts.values())
    assert texts["inner-link-txt"] == "Inner words are fine to read."
    for name, reason in [
        ("link.txt", "outside the corpus folder"),
        ("listed-link.txt", "outside the corpus folder"),
        ("folder-link", "outside the corpus folder"),
        ("dangling.txt", "does not exist"),
    ]:
        assert any(m.startswith(f"{name}: ") and reason in m for m in skipped), (name, skipped)
    assert "healing-from-within" in texts


def test_every_corpus_file_that_is_not_indexed_is_named(corpus_dir):
    (corpus_dir / "README").write_text("Notes without an extension.", encoding="utf-8")
    (corpus_dir / "letter.docx").write_bytes(b"PK\x03\x04 not really")
    (corpus_dir / "sub").mkdir()
    (corpus_dir / "sub" / "sources.toml").write_text("[[source]]\n", encoding="utf-8")
    (corpus_dir / "sub" / "plan").write_text("No extension here either.", encoding="utf-8")
    (corpus_dir / "copy.txt").symlink_to(corpus_dir / "healing-from-within.txt")  # read already, as the article
    # Not messages: hidden files, the manifest, and the snapshots' sidecars.
    (corpus_dir / ".DS_Store").write_bytes(b"\x00\x01")
    (corpus_dir / "snapshots").mkdir()
    (corpus_dir / "snapshots" / "page.txt").write_text("A fetched page about rest.", encoding="utf-8")
    (corpus_dir / "snapshots" / "page.json").write_text('{"id": "page", "url": "https://example.org/"}')
    texts, skipped = _scan(corpus_dir)
    assert {"healing-from-within", "page"} <= texts.keys()
    named = sorted(m.split(": ", 1)[0] for m in skipped)
    assert named == sorted(["README", "letter.docx", "sub/sources.toml", "sub/plan", "copy.txt"]), skipped


def test_nothing_reaches_the_network_while_indexing_and_answering(indexer, settings, embedder, monkeypatch):
    attempts: list[object] = []
    original = socket.socket.connect

    def loopback_only(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("/"):
            attempts.append(address)
            raise OSError(f"network blocked in this test: {address}")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    indexer.run(full=True)
    answer = Assistant(settings, Library(settings, embedder)).ask("How does self-compassion help with stress?")
    assert answer.status == "answered"
    assert attempts == []


def test_readers_keep_answering_while_a_rebuild_runs(indexer, settings, corpus_dir, embedder):
    indexer.run()
    assistant = Assistant(settings, Library(settings, embedder))
    before = current_generation(settings.index_dir)
    for n in range(120):
        (corpus_dir / f"extra-{n:03}.txt").write_text("Patience with oneself grows slowly. " * 40, encoding="utf-8")
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus_dir), "ASSISTANT_INDEX_DIR": str(settings.index_dir)}
    writer = subprocess.Popen(
        [sys.executable, "-m", "assistant", "index", "--full", "--json"], env=env, stdout=subprocess.PIPE
    )
    answered_during = 0
    try:
        while writer.poll() is None:
            answer = assistant.ask("What does self-compassion do for resilience?")
            assert answer.status == "answered"
            answered_during += 1
            time.sleep(0.05)
    finally:
        writer.wait(timeout=300)
    assert writer.returncode == 0
    assert answered_during > 0
    assert current_generation(settings.index_dir) != before
    # The reader moves to the new generation on its own.
    assert assistant.ask("What does self-compassion do for resilience?").status == "answered"
    assert assistant.retriever().generation.path == current_generation(settings.index_dir)


def test_an_index_from_another_chromadb_version_is_refused_with_how_to_rebuild(indexer, settings):
    indexer.run()
    catalog = current_generation(settings.index_dir) / "catalog.sqlite3"
    with sqlite3.connect(catalog) as db:
        db.execute("UPDATE info SET value = '0.4.24' WHERE key = 'chroma_version'")
    with pytest.raises(IndexMismatchError, match=r"chromadb 0\.4\.24.*assistant index --full"):
        Library(settings).generation()


def test_a_corrupted_catalog_is_refused_with_how_to_rebuild(indexer, settings):
    indexer.run()
    (current_generation(settings.index_dir) / "catalog.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(IndexMismatchError, match="assistant index --full"):
        Library(settings).generation()
    assert indexer.run(full=True).chunks_total > 0
    assert Library(settings).sources()


def files_of(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_hostile_input_gets_its_expected_status(indexer, settings, embedder):
    indexer.run()
    before = files_of(settings.index_dir)
    rows = robustness(Assistant(settings, Library(settings, embedder)))
    assert [r for r in rows if not r["ok"]] == []
    groups = {r["input"].split(":")[0] for r in rows if ":" in r["input"]}
    assert {"batch line", "cite", "fetch", "CSV export", "corpus file", "sources.toml", "index"} <= groups
    assert files_of(settings.index_dir) == before  # every damage was done to a copy


def _cli(settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
    }
    command = [sys.executable, "-m", "assistant", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def test_a_fifo_named_in_the_manifest_is_skipped_and_the_index_finishes(settings, corpus_dir):
    os.mkfifo(corpus_dir / "pipe.txt")
    with (corpus_dir / "sources.toml").open("a", encoding="utf-8") as manifest:
        manifest.write('\n[[source]]\nid = "pipe"\nkind = "user file"\nfile = "pipe.txt"\n')
    result = _cli(settings, "index", "--json", timeout=240)
    assert result.returncode == 0, result.stderr
    assert any(m.startswith("pipe.txt: not a regular file") for m in json.loads(result.stdout)["skipped"])


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("source = 5", "`source` must be a list of [[source]] tables, not an integer"),
        ("source = ['a']", "source #1 must be a [[source]] table, not text"),
        ('[[source]]\nid = 5\ncitation = "x"', "source #1: `id` must be text, not an integer"),
        ('[[source]]\nid = "a"\nfile = 3', "source #1 ('a'): `file` must be text, not an integer"),
        ('[[source]]\nid = "a"\ncitation = "x"\ntitle = ["T"]', "source #1 ('a'): `title` must be text, not a list"),
        ('[[source]]\nid = "a"\ncitation = "x"\n[source.notes]\nk = 1', "source #1 ('a'): `notes` must be text"),
    ],
)
def test_a_manifest_of_the_wrong_shape_is_refused_naming_the_entry(corpus_dir, manifest, message):
    (corpus_dir / "sources.toml").write_text(manifest + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        read_manifest(corpus_dir / "sources.toml")
    assert message in str(error.value)


def test_a_manifest_of_the_wrong_shape_is_one_line_from_the_command(settings, corpus_dir):
    (corpus_dir / "sources.toml").write_text("source = 5\n", encoding="utf-8")
    result = _cli(settings, "index")
    assert result.returncode == 1
    assert "sources.toml: `source` must be a list" in result.stderr
    assert "Internal error" not in result.stderr and "Traceback" not in result.stderr
