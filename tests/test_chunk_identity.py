"""What the index holds follows what is embedded: chunk size, headings and titles."""

from __future__ import annotations

import pytest

from assistant.errors import IndexMismatchError
from assistant.index.building import Indexer
from assistant.index.library import Library


def test_an_index_cut_at_another_chunk_size_is_refused_with_how_to_rebuild(indexer, settings, embedder):
    indexer.run()
    smaller = settings.model_copy(update={"chunk_max_chars": 120})
    with pytest.raises(IndexMismatchError, match=r"120 characters.*assistant index --full"):
        Indexer(smaller, embedder).run()
    rebuilt = Indexer(smaller, embedder).run(full=True)
    assert rebuilt.chunks_embedded == rebuilt.chunks_total
    longest = max(len(c.text) for c in Library(smaller, embedder).generation().chunks())
    assert longest <= 120


def test_a_renamed_heading_re_embeds_the_chunks_under_it(indexer, settings, corpus_dir):
    indexer.run()
    (corpus_dir / "notes.md").write_text("# Rest\n\nSleep restores the body.\n\nRest is kind.\n", encoding="utf-8")
    indexer.run()
    (corpus_dir / "notes.md").write_text("# Recovery\n\nSleep restores the body.\n\nRest is kind.\n", encoding="utf-8")
    report = indexer.run()
    assert report.updated == 1
    assert report.chunks_embedded >= 2  # both passages sit under the renamed heading
