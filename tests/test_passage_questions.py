"""Passage questions kept beside the corpus: they steer retrieval, and a broken file costs nothing else."""

from __future__ import annotations

import logging
import tomllib

import pytest

from assistant.answer.assistant import Assistant, Pipeline
from assistant.index.library import Library
from assistant.ingest.questions import QUESTIONS_DIR

SHIPPED = "healing-from-within.toml"


@pytest.fixture
def built(settings, indexer, embedder):
    indexer.run()
    return lambda pipeline=None: Assistant(settings, Library(settings, embedder), pipeline or Pipeline())


def first_cites(answer, quote: str, text: str) -> bool:
    start = text.find(quote)
    c = answer.citations[0] if answer.citations else None
    return c is not None and c.start < start + len(quote) and start < c.end


def test_everyday_questions_written_for_a_passage_find_it_first(built, corpus_dir):
    passages = tomllib.loads((corpus_dir / QUESTIONS_DIR / SHIPPED).read_text(encoding="utf-8"))["passage"]
    with_questions, without = built(), built(Pipeline(passage_questions=False))
    text = with_questions.retriever().sources["healing-from-within"].text
    asked = [(q, p["quote"]) for p in passages for q in p["questions"]]
    hits = sum(first_cites(with_questions.ask(q), quote, text) for q, quote in asked)
    hits_without = sum(first_cites(without.ask(q), quote, text) for q, quote in asked)
    # The product finds the passage a question was written for far more often than the text alone does.
    print(f"first citation on the passage: {hits}/{len(asked)} with its questions, {hits_without} without")
    assert hits >= 0.9 * len(asked) and hits - hits_without >= 0.2 * len(asked), (hits, hits_without, len(asked))


def test_a_broken_questions_file_is_logged_and_answering_goes_on(built, corpus_dir, caplog):
    (corpus_dir / QUESTIONS_DIR / SHIPPED).write_text('[[passage]]\nquote = "unclosed', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="assistant.answer.assistant"):
        answer = built().ask("What is self-compassion?")
    assert answer.status == "answered" and "self-compassion involves" in answer.answer
    assert any("not valid TOML" in r.getMessage() for r in caplog.records)


def test_a_stale_quote_skips_that_passage_only(built, corpus_dir, caplog):
    path = corpus_dir / QUESTIONS_DIR / SHIPPED
    path.write_text(
        path.read_text(encoding="utf-8").replace("We often reserve kindness", "We sometimes reserve kindness", 1),
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="assistant.answer.assistant"):
        assistant = built()
        assert len(assistant.retriever().questions) > 150  # every other passage keeps its questions
    assert any("passage 2: its quote is not in the source's text" in r.getMessage() for r in caplog.records)


def test_the_questions_folder_is_not_indexed_as_a_document(settings, indexer, corpus_dir):
    report = indexer.run()
    library = Library(settings, indexer.embedder)
    assert {s["kind"] for s in library.sources()} == {"article", "reference"}
    assert not any(QUESTIONS_DIR in problem for problem in report.skipped)


def test_their_vectors_are_kept_so_a_later_start_does_not_embed_them_again(settings, indexer, embedder, monkeypatch):
    indexer.run()
    first = Assistant(settings, Library(settings, embedder)).retriever()
    kept = list((settings.data_dir / "vectors").glob("vectors-*.npy"))
    assert len(kept) == 1 and len(first.questions) > 150
    calls = []
    real = type(embedder).embed_array
    monkeypatch.setattr(
        type(embedder), "embed_array", lambda self, texts: calls.append(len(texts)) or real(self, texts)
    )
    again = Assistant(settings, Library(settings, embedder))
    assert again.ask("why am i my own worst critic").status == "answered"
    assert len(again.retriever().questions) == len(first.questions) and calls == []  # read, not embedded
