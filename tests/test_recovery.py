"""A damaged index: answers go on from an intact generation, nothing intact is deleted, storage errors say what they are."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.answer.assistant import Assistant
from assistant.files import write_atomic
from assistant.index.library import Library
from assistant.index.store import CURRENT, clean_up, current_generation

QUESTION = "How does self-compassion help with stress?"


def cli(settings, *args: str, limit_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
    }

    def limited() -> None:  # the largest file this process may write, as a full disk would allow
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    command = [sys.executable, "-m", "assistant", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, preexec_fn=limited)


def two_generations(indexer, settings, corpus_dir) -> tuple[Path, Path]:
    """An older and a newer (current) generation, both intact."""
    indexer.run()
    older = current_generation(settings.index_dir)
    (corpus_dir / "walks.md").write_text("# Walks\n\nA short walk after a setback steadies the breath.\n")
    indexer.run()
    newer = current_generation(settings.index_dir)
    assert older and newer and older != newer and older.is_dir()
    return older, newer


def files(index_dir: Path) -> dict[str, tuple[str, int, int]]:
    """Every file of the index: its hash, size and modification time."""
    return {
        str(p.relative_to(index_dir)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_size,
            p.stat().st_mtime_ns,
        )
        for p in sorted(index_dir.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("damage", ["CURRENT missing", "CURRENT names a missing generation"])
def test_a_lost_pointer_answers_from_the_newest_generation_and_reindexing_embeds_nothing(
    indexer, settings, corpus_dir, damage
):
    _, newer = two_generations(indexer, settings, corpus_dir)
    if damage == "CURRENT missing":
        (settings.index_dir / CURRENT).unlink()
    else:
        write_atomic(settings.index_dir / CURRENT, b"gen-20000101000000-abcdef\n")
    library = Library(settings, indexer.embedder)
    answer = Assistant(settings, library).ask(QUESTION)
    assert answer.status == "answered"
    assert library.generation().path == newer
    assert "run `assistant index`" in library.warning
    asked = cli(settings, "ask", QUESTION)
    assert asked.returncode == 0 and "run `assistant index`" in asked.stderr, asked.stderr
    clean_up(settings.index_dir, keep=1)
    assert newer.is_dir()  # the last intact generation is never deleted
    report = indexer.run()
    assert report.chunks_embedded == 0  # the vectors of the intact generation are reused
    assert current_generation(settings.index_dir) is not None
    assert Library(settings).warning == ""


def test_a_damaged_current_generation_falls_back_and_the_clean_up_keeps_the_intact_one(indexer, settings, corpus_dir):
    older, newer = two_generations(indexer, settings, corpus_dir)
    (newer / "chroma" / "chroma.sqlite3").write_bytes(b"not a database " * 1000)
    library = Library(settings, indexer.embedder)
    answer = Assistant(settings, library).ask(QUESTION)
    assert answer.status == "answered"
    assert library.generation().path == older
    assert "damaged" in library.warning and older.name in library.warning
    clean_up(settings.index_dir, keep=1)
    assert older.is_dir()
    report = indexer.run()  # no --full needed
    walks = Library(settings).generation().chunks("walks-md")
    assert report.added == 1 and report.chunks_embedded == len(walks) > 0  # only the source the older one lacked
    current = current_generation(settings.index_dir)
    assert current not in (older, newer)
    assert not newer.exists() and older.exists()  # the damaged one goes, the intact one stays
    assert Library(settings).warning == ""


def test_asking_never_writes_to_the_index(indexer, settings):
    indexer.run()
    before = files(settings.index_dir)
    for args in (("ask", QUESTION), ("ask", "--json", "Who wrote the article?"), ("sources",)):
        result = cli(settings, *args)
        assert result.returncode == 0, result.stderr
    chunk = json.loads(cli(settings, "ask", "--json", QUESTION).stdout)["citations"][0]["chunk_id"]
    assert cli(settings, "cite", chunk).returncode == 0
    assert files(settings.index_dir) == before


def test_a_full_disk_while_indexing_says_so_and_the_old_index_still_answers(indexer, settings, corpus_dir):
    indexer.run()
    before = files(settings.index_dir)
    for n in range(100):
        (corpus_dir / f"note-{n:03}.txt").write_text(f"Note {n}. " + "Rest and patience help. " * 12)
    result = cli(settings, "index", "--json", limit_bytes=600_000)  # room to read the index, not to write more
    assert result.returncode == 1
    assert "Could not write the index" in result.stderr
    assert "Internal error" not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert files(settings.index_dir) == before  # the half-built generation is gone, the old one untouched
    assert cli(settings, "ask", QUESTION).returncode == 0


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs a folder no one may write in: /sys")
def test_an_index_folder_that_cannot_be_written_says_so(settings):
    result = cli(settings.model_copy(update={"index_dir": Path("/sys/assistant-index")}), "index", "--json")
    assert result.returncode == 1
    assert "Could not write the index in /sys/assistant-index: " in result.stderr
    assert "permission denied" in result.stderr or "read-only" in result.stderr
    assert "Internal error" not in result.stderr and "Traceback" not in result.stderr


def test_write_atomic_keeps_a_files_mode_and_gives_a_new_one_the_umask(tmp_path):
    kept = tmp_path / "sources.toml"
    kept.write_text("old")
    kept.chmod(0o640)
    write_atomic(kept, b"new")
    assert (kept.read_bytes(), stat.S_IMODE(kept.stat().st_mode)) == (b"new", 0o640)
    old_mask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "fresh.json", b"{}")
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE((tmp_path / "fresh.json").stat().st_mode) == 0o644
