"""The answerability check: near-topic questions the article does not answer are refused, and nothing else is."""

from __future__ import annotations

import pytest

from assistant.answer.answerability import ROOT, digest, load, model_path
from assistant.answer.assistant import NEAR_TOPIC_NOTE, Assistant, Pipeline
from assistant.index.library import Library

ARTICLE = "healing-from-within"
NEAR_TOPIC = "Which app teaches self-compassion?"  # the article names no app


@pytest.fixture
def make(settings, indexer, embedder):
    def build(pipeline: Pipeline | None = None) -> Assistant:
        indexer.run()
        return Assistant(settings, Library(settings, embedder), pipeline or Pipeline())

    return build


def test_the_shipped_check_was_built_from_the_training_files_as_they_are():
    check = load(model_path(ROOT / "corpus", ARTICLE))
    assert check is not None, "run: python -m assistant.answer.answerability"
    assert check.digest == digest(ROOT / "corpus", ARTICLE), "stale weights: python -m assistant.answer.answerability"


def test_a_near_topic_question_is_refused_with_a_note_and_the_nearest_passages(make):
    answer = make().ask(NEAR_TOPIC)
    assert answer.status == "not_found" and answer.citations == []
    assert answer.answer.endswith(NEAR_TOPIC_NOTE) and answer.related
    # Without the check the closest passages would have been offered as the answer.
    assert make(Pipeline(answerability=False)).ask(NEAR_TOPIC).status == "answered"


def test_questions_the_article_answers_pass_the_check(make):
    assistant = make()
    for question in ("Why do I forgive others but not myself?", "Does being kind to myself help my body?"):
        assert assistant.ask(question).status == "answered", question


def test_a_source_without_a_check_is_never_vetoed(make, corpus_dir):
    (corpus_dir / "apps.md").write_text(
        "# Apps\n\nSeveral phone apps teach self-compassion with short guided exercises each morning.\n",
        encoding="utf-8",
    )
    answer = make().ask(NEAR_TOPIC)
    assert answer.status == "answered" and answer.citations[0].kind == "user file"


def test_an_unreadable_check_is_skipped_and_logged(make, corpus_dir, caplog):
    model_path(corpus_dir, ARTICLE).write_bytes(b"not a numpy archive")
    assert make(Pipeline()).ask(NEAR_TOPIC).status == "answered"
    assert any("answerability check unreadable" in r.getMessage() for r in caplog.records)
