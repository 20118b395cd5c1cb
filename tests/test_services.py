"""What the pages stand on, without a browser: services, conversations, feedback rows, uploads, markup."""

from __future__ import annotations

import sqlite3
import time

import pytest

from assistant.answer.assistant import Assistant
from assistant.answer.kinds import clean_question
from assistant.conversations import Conversation, ConversationStore, is_key, new_key
from assistant.errors import InvalidQuestionError, LoaderError
from assistant.feedback import COLUMNS, AnswerFeedback, FeedbackStore, default_path
from assistant.index.library import Library
from assistant.ingest.uploads import add_upload
from assistant.services import Services
from tests.helpers import write_rc4_pdf

# -- services -------------------------------------------------------------------------------------------


def test_services_get_ready_in_the_background_and_answer_with_each_passage_in_its_paragraph(
    settings, indexer, embedder
):
    indexer.run()
    services = Services(settings, embedder)
    assert services.readiness().state == "starting"  # nothing loads before start()
    services.start()
    assert services.wait_until_ready(120).ready
    answer = services.ask("How does self-compassion affect stress?")
    assert answer["status"] == "answered"
    for c in answer["citations"]:
        source = services.source(c["source_id"])
        assert source is not None
        context = c["context"]
        assert source.text[c["start"] - len(context["before"]) : c["end"] + len(context["after"])] == (
            context["before"] + c["quote"] + context["after"]
        )
    assert services.refusal("   ") == "Please type a question."
    assert "the limit is 1,000" in services.refusal("x" * 1001)
    assert services.refusal("Why rest?") == ""


def test_services_that_cannot_start_say_why(settings, embedder, tmp_path):
    broken = settings.model_copy(update={"corpus_dir": tmp_path / "missing", "index_dir": tmp_path / "empty"})
    services = Services(broken, embedder).start()
    readiness = services.wait_until_ready(120)
    assert readiness.state == "failed" and "does not exist" in readiness.message


# -- markup in a question -----------------------------------------------------------------------------------

SAME_QUESTION = [
    "How does <b>self-compassion</b> affect stress?",
    "# How does self-compassion affect stress?",
    "How does **self-compassion** affect `stress`?",
    "<script>alert(1)</script>How does self-compassion affect stress?<!-- hidden -->",
    "> How does [self-compassion](https://example.org) affect _stress_?",
    "How does self&#45;compassion affect stress?",
]


@pytest.mark.parametrize("question", SAME_QUESTION)
def test_markup_around_a_question_leaves_the_question(question):
    assert clean_question(question) == "How does self-compassion affect stress?"


def test_markup_only_is_no_question_and_hidden_markup_is_markup_too():
    with pytest.raises(InvalidQuestionError, match="Please type a question"):
        clean_question("<b></b> <script>alert(1)</script>")
    assert clean_question("&lt;b&gt;Why rest?&lt;/b&gt; <<b>i>") == "Why rest?"
    assert clean_question("Is 5 * 3 < 20 & why_not?") == "Is 5 * 3 < 20 & why_not?"  # not markup: kept
    long_stars = "*" * 50_000 + "Why rest?"  # too long to read for markup; refused at once
    with pytest.raises(InvalidQuestionError, match="the limit is 1,000"):
        clean_question(long_stars)


def test_the_same_question_with_or_without_markup_gets_the_same_answer(settings, indexer, embedder):
    indexer.run()
    assistant = Assistant(settings, Library(settings, embedder))
    plain = assistant.ask("How does self-compassion affect stress?")
    for question in SAME_QUESTION[:4]:
        marked = assistant.ask(question)
        assert (marked.answer, [c.chunk_id for c in marked.citations]) == (
            plain.answer,
            [c.chunk_id for c in plain.citations],
        )


# -- conversations -------------------------------------------------------------------------------------------


@pytest.fixture
def conversations(tmp_path):
    return ConversationStore(tmp_path / "data" / "conversations.sqlite3")


def turn(question: str) -> dict:
    return {"id": new_key()[:12], "question": question, "answer": {"status": "answered", "answer": "A. [1]"}}


def test_a_conversation_is_kept_and_listed_only_for_its_browser(conversations):
    mine, theirs = new_key(), new_key()
    first = conversations.save(Conversation(owner=mine, turns=[turn("Why rest?")]))
    time.sleep(0.01)
    second = conversations.save(Conversation(owner=mine, turns=[turn("What is self-compassion?")]))
    conversations.save(Conversation(owner=theirs, turns=[turn("Their question")]))
    assert [s.title for s in conversations.listed(mine)] == ["What is self-compassion?", "Why rest?"]
    assert [s.title for s in conversations.listed(theirs)] == ["Their question"]
    loaded = conversations.get(first.id)
    assert loaded is not None and loaded.turns == first.turns and loaded.owner == mine
    assert conversations.delete(second.id, theirs) is False  # only its own browser deletes it
    assert conversations.delete(second.id, mine) is True and conversations.get(second.id) is None


def test_ids_are_unguessable_and_anything_else_is_not_looked_up(conversations):
    ids = {new_key() for _ in range(1000)}
    assert len(ids) == 1000 and all(is_key(i) and len(i) == 24 for i in ids)
    assert conversations.get("' OR 1=1 --") is None and conversations.get(None) is None
    assert conversations.listed("short") == []


def test_a_shared_conversation_continues_in_a_copy_with_ids_of_its_own():
    original = Conversation(owner=new_key(), turns=[turn("Why rest?")])
    copy = original.fork(new_key())
    assert copy.turns == original.turns and copy.turns is not original.turns
    assert copy.id != original.id and copy.feedback_id != original.feedback_id and copy.owner != original.owner


def test_old_conversations_are_pruned(conversations):
    kept = conversations.save(Conversation(owner=new_key(), turns=[turn("Why rest?")]))
    db = sqlite3.connect(conversations.path)
    with db:
        db.execute("UPDATE conversations SET updated_at = ?", (time.time() - 100 * 86400,))
    db.close()
    assert conversations.prune(90) == 1 and conversations.get(kept.id) is None


# -- feedback rows ---------------------------------------------------------------------------------------------


def test_a_rating_and_a_note_for_one_answer_are_one_row_updated(tmp_path):
    store = FeedbackStore(default_path(tmp_path / "data"))
    common = {"session_id": "s1", "answer_id": "a1", "question": "Why?", "answer": "Because. [1]", "status": "answered"}
    store.record(**common, rating="down")
    store.record(**common, comment="  The quote is off topic. ")
    store.record(**common, rating="up")
    store.record(**common, wrong_chunk_id="c2")
    store.record(**common, wrong_chunk_id="c2")  # flagged twice: still one flag
    store.record(**{**common, "session_id": "s2"}, rating="down")
    rows = store.all()
    assert [(r.session_id, r.rating, r.comment, r.wrong_chunk_id) for r in rows] == [
        ("s1", "up", "The quote is off topic.", ""),
        ("s1", "", "", "c2"),
        ("s2", "down", "", ""),
    ]
    assert rows[0].updated_at and rows[2].updated_at == ""
    assert store.for_session("s1") == {
        "a1": AnswerFeedback(rating="up", comment="The quote is off topic.", flagged=frozenset({"c2"}))
    }
    assert store.for_session("s3") == {}


def test_an_older_feedback_file_gains_the_new_columns_and_keeps_its_rows(tmp_path):
    path = default_path(tmp_path / "data")
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    with db:
        db.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, session_id TEXT "
            "NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, status TEXT NOT NULL, citation_chunk_ids TEXT "
            "NOT NULL, rating TEXT NOT NULL, comment TEXT NOT NULL, wrong_chunk_id TEXT NOT NULL)"
        )
        db.execute("INSERT INTO feedback VALUES (1, 't', 's', 'q', 'a', 'answered', '[]', 'up', '', '')")
    db.close()
    store = FeedbackStore(path)
    assert [(r.rating, r.answer_id) for r in store.all()] == [("up", "")]
    db = sqlite3.connect(path)
    assert [row[1] for row in db.execute("PRAGMA table_info(feedback)")] == COLUMNS
    db.close()


# -- uploads ------------------------------------------------------------------------------------------------------


def test_an_upload_is_kept_only_when_its_loader_reads_it(tmp_path):
    corpus = tmp_path / "corpus"
    added = add_upload(corpus, "../notes <b>.md", b"# Rest\n\nRest is part of the work.\n", 1_000_000)
    assert added.path == corpus / "uploads" / "notes -b-.md" and added.message == "notes -b-.md: added."
    again = add_upload(corpus, "notes <b>.md", b"# Rest\n\nRest is part of the work.\n", 1_000_000)
    assert again.message == "notes -b-.md: already in the corpus, unchanged."
    write_rc4_pdf(tmp_path / "locked.pdf", ["Kindness is a skill."], user_password="secret")
    refused = [
        ("locked.pdf", (tmp_path / "locked.pdf").read_bytes(), "is encrypted and password-protected"),
        ("empty.txt", b"   \n", "contains no readable text"),
        ("big.txt", b"x" * 2000, "bytes is over the 1,000-byte limit"),
        ("notes.docx", b"PK\x03\x04", "unsupported file type .docx"),
    ]
    for name, data, reason in refused:
        with pytest.raises(LoaderError, match=reason) as caught:
            add_upload(corpus, name, data, 1_000)
        assert str(caught.value).startswith(f"{name}: ")
    assert sorted(p.name for p in (corpus / "uploads").iterdir()) == ["notes -b-.md"]
