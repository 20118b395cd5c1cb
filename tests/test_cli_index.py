"""The `assistant index` and `assistant sources` commands, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run(settings, *args):
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_index_then_sources_through_the_command_line(settings):
    first = run(settings, "index", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["added"] == 3 and report["chunks_embedded"] == report["chunks_total"] > 0
    again = json.loads(run(settings, "index", "--json").stdout)
    assert (again["unchanged"], again["chunks_embedded"]) == (3, 0)
    human = run(settings, "index")
    assert "0 chunks embedded" in human.stdout
    listed = json.loads(run(settings, "sources", "--json").stdout)
    assert [s["id"] for s in listed] == ["healing-from-within", "rogers-2025", "tucker-2024"]
    assert {"id", "title", "author", "date", "url", "kind", "chunks", "content_hash", "indexed_at"} <= set(listed[0])


def test_sources_before_any_index_says_how_to_build_it(settings):
    result = run(settings, "sources")
    assert result.returncode == 1
    assert "assistant index" in result.stderr
    assert "Traceback" not in result.stderr
