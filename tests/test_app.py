"""The Streamlit chat, driven by AppTest over a real index in tmp_path.

Each test builds the index first (the ``indexer`` fixture) and points the
app at it through ``ASSISTANT_*`` variables. The embedding model is cached
once per process by the app; everything keyed by the settings (the index,
the feedback file) is new in every test.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from assistant import ui
from assistant.index.building import writer_lock
from assistant.safety import CRISIS_RESOURCES

APP = Path(__file__).resolve().parent.parent / "app.py"
STRESS = "Does being kind to myself do anything for my immune system?"


def plain(markdown: str) -> str:
    """What a reader sees of the app's Markdown: highlights and badges unwrapped, escapes undone."""
    unwrapped = None
    while unwrapped != markdown:  # directives nest: :small[:gray[...]], and may have {attributes}
        unwrapped, markdown = (
            markdown,
            re.sub(r":[a-z]+(?:-[a-z]+)?\[((?:\\.|[^\]\\])*)\](?:\{[^}]*\})?", r"\1", markdown),
        )
    markdown = re.sub(r"\\(.)", r"\1", markdown)
    return markdown.replace("  \n", "\n").replace("\u2060", "")


@pytest.fixture
def app_env(monkeypatch, settings, indexer):
    indexer.run()
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ASSISTANT_STREAM_PAUSE", "0")
    return settings


def open_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception
    return at


def ask(at: AppTest, question: str) -> dict:
    at.chat_input(key="question").set_value(question).run()
    assert not at.exception
    return at.session_state["turns"][-1]


def run_until(at: AppTest, done: Callable[[AppTest], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, "timed out waiting for the app"
        time.sleep(0.3)
        at.run()
        assert not at.exception


def messages(at: AppTest) -> list[tuple[str, str]]:
    return [(m.name, " ".join(plain(md.value) for md in m.markdown)) for m in at.chat_message]


def feedback_rows(settings) -> list[dict]:
    db = sqlite3.connect(settings.data_dir / "feedback.sqlite3")
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM feedback ORDER BY id")]
    finally:
        db.close()


# -- flows -------------------------------------------------------------------------------------------


def help_now(at: AppTest):
    """What the top of the sidebar shows: the "Get help now" expander, or the crisis lines themselves."""
    return at.sidebar.children[0]


def test_welcome_says_what_it_answers_from_and_where_to_get_help(app_env):
    at = open_app()
    welcome = at.main.markdown[0].value
    assert "Healing from Within" in plain(welcome) and "Marissa Mireles" in plain(welcome)
    assert "not therapy and not a crisis service" in plain(welcome)
    # It promises only what the page does: the numbers match the citations listed under an answer.
    assert f"Each number such as {ui.marker(1)} matches a source listed under the answer" in welcome
    assert "top of the sidebar" in welcome
    top = help_now(at)
    assert top.type == "expander" and top.label == "Get help now"
    assert top.markdown[0].value == CRISIS_RESOURCES.strip()
    assert not [e for e in at.main.expander if "help" in e.label.lower()]  # not on the page, where it scrolls away
    titles = [plain(m.value) for m in at.sidebar.markdown]
    assert any(
        t.startswith("**Healing from Within: How Self-Compassion Leads to Lasting Growth**\narticle · 20 passages")
        for t in titles
    )


def test_an_answer_streams_in_with_citations_that_open_on_their_passage(app_env):
    at = open_app()
    turn = ask(at, STRESS)
    answer = turn["answer"]
    assert answer["status"] == "answered" and answer["citations"]
    assert messages(at)[0] == ("user", STRESS)
    shown = at.chat_message[1].markdown[0].value
    assert "improve immune function" in plain(shown)
    assert ui.marker(1) in shown  # the [1] marker
    cited = [e for e in at.chat_message[1].expander if e.label.startswith(ui.marker(1))]
    first = answer["citations"][0]
    assert len(cited) == 1 and first["quote"][:20] in cited[0].label and "Marissa Mireles" in cited[0].label
    assert plain(cited[0].markdown[0].value) == "**Healing from Within: How Self-Compassion Leads to Lasting Growth**"
    passage = cited[0].markdown[1].value
    assert ui.highlight(first["quote"]) in passage  # the quote, highlighted ...
    assert first["quote"] in plain(passage) and len(plain(passage)) > len(first["quote"])  # ... in its paragraph
    assert "Marissa Mireles" in cited[0].caption[0].value
    assert len([e for e in at.chat_message[1].expander if "badge" in e.label]) == len(answer["citations"])


def test_a_cited_web_source_links_to_its_page_and_says_where_it_lands(app_env):
    at = open_app()
    answer = ask(at, "What sources does the article cite?")["answer"]
    links = [m.value for e in at.chat_message[1].expander for m in e.markdown if m.value.startswith("[Read it on")]
    assert links and {c["link"] for c in answer["citations"]} <= {re.search(r"\]\((.*?)\)", x)[1] for x in links}
    for x in links:  # it promises to open at the passage only where the link does
        assert ("opens the page at this passage" in x) == ("#:~:text=" in x), x


def test_a_follow_up_is_asked_with_the_previous_questions(app_env):
    at = open_app()
    ask(at, "How does self-compassion affect stress?")
    follow_up = ask(at, "what about the body?")["answer"]
    assert follow_up["query"].startswith("How does self-compassion affect stress?")
    assert follow_up["status"] == "answered"


def test_fewer_passages_cited_when_the_reader_asks_for_fewer(app_env):
    at = open_app()
    at.slider(key="top_k").set_value(1).run()
    answer = ask(at, "How does self-compassion help me grow?")["answer"]
    assert len(answer["citations"]) == 1


def test_not_found_says_so_and_offers_related_passages_as_such(app_env):
    at = open_app()
    answer = ask(at, "What is the capital of France?")["answer"]
    assert answer["status"] == "not_found"
    said = messages(at)[1][1]
    assert "The sources don't cover this" in said
    assert "Related (not an answer)" in said
    assert len(at.chat_message[1].expander) == len(answer["related"]) > 0
    assert not [b for b in at.button if b.key and b.key.startswith("wrong-")]


def test_a_crisis_shows_help_and_keeps_it_visible_on_the_next_turn(app_env):
    at = open_app()
    answer = ask(at, "I want to kill myself")["answer"]
    assert answer["status"] == "crisis"
    assert any("988" in w.value and "not a crisis service" in w.value for w in at.chat_message[1].warning)
    # At once, the top of the sidebar (which never scrolls away with the chat) shows the lines, unfolded.
    assert help_now(at).type == "warning" and help_now(at).value == CRISIS_RESOURCES.strip()
    ask(at, "How does self-compassion help with stress?")
    assert help_now(at).type == "warning" and help_now(at).value == CRISIS_RESOURCES.strip()
    assert not [e for e in at.sidebar.expander if e.label == "Get help now"]


def test_an_answer_that_mentions_suicide_shows_the_resources(app_env):
    at = open_app()
    answer = ask(at, "What does the article say about suicide?")["answer"]
    assert answer["resources"]
    assert any(i.value == CRISIS_RESOURCES.strip() for i in at.chat_message[1].info)


def test_a_script_in_a_question_is_shown_as_text(app_env):
    at = open_app()
    question = "<script>alert(1)</script> **bold** :red[x]"
    ask(at, question)
    user = at.chat_message[0].markdown[0]
    assert user.value == ui.escape_markdown(question)
    assert plain(user.value) == question
    assert not any(m.proto.allow_html for m in at.markdown)
    assert "unsafe_allow_html" not in APP.read_text(encoding="utf-8")
    assert [h.value for h in at.get("html")] == [ui.PAGE_STYLE]  # the one HTML element: a constant stylesheet


def test_feedback_is_stored_with_the_question_and_nothing_else(app_env):
    at = open_app()
    turn = ask(at, STRESS)
    at.feedback(key=f"rating-{turn['id']}").set_value(0).run()
    at.text_input(key=f"note-{turn['id']}").set_value("The second passage is off topic.")
    at.button(key=f"send-{turn['id']}").click().run()
    at.button(key=f"wrong-{turn['id']}-2").click().run()
    assert not at.exception
    assert "Thank you, your note was saved." in [c.value for c in at.caption]
    rows = feedback_rows(app_env)
    cited = [c["chunk_id"] for c in turn["answer"]["citations"]]
    assert [(r["rating"], r["comment"], r["wrong_chunk_id"]) for r in rows] == [
        ("down", "", ""),
        ("down", "The second passage is off topic.", ""),
        ("", "", cited[1]),
    ]
    assert {r["question"] for r in rows} == {STRESS}
    assert {r["status"] for r in rows} == {"answered"}
    assert {r["citation_chunk_ids"] for r in rows} == {str(cited).replace("'", '"')}
    assert {r["session_id"] for r in rows} == {at.session_state["session_id"]}
    assert set(rows[0]) == {
        "id", "created_at", "session_id", "question", "answer", "status", "citation_chunk_ids", "rating",
        "comment", "wrong_chunk_id",
    }  # fmt: skip


def test_clear_empties_the_conversation(app_env):
    at = open_app()
    ask(at, STRESS)
    assert at.button(key="clear").disabled is False
    at.button(key="clear").click().run()
    assert not at.exception
    assert at.chat_message.len == 0
    assert at.session_state["turns"] == []
    assert at.button(key="clear").disabled is True


def test_two_sessions_never_see_each_other(app_env):
    first, second = open_app(), open_app()
    ask(first, "Who wrote the article?")
    second.run()
    assert second.chat_message.len == 0
    ask(second, "What is the capital of France?")
    first.run()
    assert [m[1] for m in messages(first) if m[0] == "user"] == ["Who wrote the article?"]
    assert [m[1] for m in messages(second) if m[0] == "user"] == ["What is the capital of France?"]
    assert first.session_state["session_id"] != second.session_state["session_id"]


def listed_sources(at: AppTest) -> int:
    return sum(" passage" in m.value and " · indexed " in m.value for m in at.sidebar.markdown)


def test_reindex_reports_what_changed_and_lists_the_new_source(app_env):
    at = open_app()
    indexed = listed_sources(at)  # whatever the corpus holds; the test adds to it
    corpus = app_env.corpus_dir
    (corpus / "notes.md").write_text(
        "# Notes on <b>kindness</b> *today*\n\nSelf-kindness grows in small daily steps.\n", encoding="utf-8"
    )
    (corpus / "odd *name* <b>.xyz").write_text("ignored", encoding="utf-8")
    at.button(key="reindex").click().run()
    run_until(at, lambda at: bool(at.sidebar.success))
    report = plain(at.sidebar.success[0].value)
    assert report.startswith(f"Re-indexed: 1 added, 0 updated, {indexed} unchanged, 0 deleted;")
    assert re.search(r"; [1-9]\d* passages embedded", report)
    assert any("odd *name* <b>.xyz" in plain(w.value) for w in at.sidebar.warning)
    titles = [plain(m.value) for m in at.sidebar.markdown]
    assert any(t.startswith("**Notes on <b>kindness</b> *today***\nuser file · 2 passages") for t in titles)
    assert listed_sources(at) == indexed + 1
    answer = ask(at, "How does self-kindness grow?")["answer"]
    assert "notes-md" in {c["source_id"] for c in answer["citations"]}


def test_reindex_shows_its_progress_while_it_runs(app_env):
    # Enough new text that embedding it takes seconds, long after the click's own rerun.
    paragraphs = [
        f"Note {i}: a small act of self-kindness, repeated each day, changes how I treat myself." for i in range(400)
    ]
    (app_env.corpus_dir / "long-notes.md").write_text("\n\n".join(paragraphs), encoding="utf-8")
    at = open_app()
    assert not at.sidebar.get("progress")
    at.button(key="reindex").click().run()
    shown = [p.text for p in at.sidebar.get("progress")]
    assert len(shown) == 1 and re.fullmatch(
        r"Looking for new or changed sources…|Embedding passages: \d+ of \d+", shown[0]
    )
    run_until(at, lambda at: bool(at.sidebar.success))
    assert not at.sidebar.get("progress")
    assert plain(at.sidebar.success[0].value).startswith("Re-indexed: 1 added,")


def test_reindex_while_another_runs_says_so_and_questions_are_still_answered(app_env):
    at = open_app()
    with writer_lock(app_env.index_dir):
        at.button(key="reindex").click().run()
        run_until(at, lambda at: bool(at.sidebar.error))
        assert "Another re-index" in plain(at.sidebar.error[0].value)
        assert ask(at, STRESS)["answer"]["status"] == "answered"


def test_the_first_run_builds_the_index(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "fresh-index"))
    at = open_app()
    assert (tmp_path / "fresh-index" / "CURRENT").exists()
    assert any("Healing from Within" in plain(m.value) for m in at.sidebar.markdown)
    assert ask(at, STRESS)["answer"]["status"] == "answered"


def test_an_unusable_setup_is_an_error_message_not_a_traceback(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(tmp_path / "missing"))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "empty-index"))
    at = open_app()
    assert "does not exist" in plain(at.error[0].value)
    assert help_now(at).label == "Get help now"  # help is there even when nothing else works


def test_an_index_swapped_for_an_unreadable_one_is_an_error_message(app_env):
    import shutil

    at = open_app()
    index = app_env.index_dir
    current = index / (index / "CURRENT").read_text().strip()
    other = index / "gen-other-model"
    shutil.copytree(current, other)
    db = sqlite3.connect(other / "catalog.sqlite3")
    with db:
        db.execute("UPDATE info SET value = 'another/model' WHERE key = 'embedding_model'")
    db.close()
    (index / "CURRENT").write_text("gen-other-model\n")
    at.chat_input(key="question").set_value(STRESS).run()
    assert not at.exception
    assert any("another/model" in plain(e.value) and "assistant index --full" in plain(e.value) for e in at.main.error)
    assert at.session_state["turns"] == []


# -- the pure helpers behind the page ---------------------------------------------------------------------

NASTY = [
    "<script>alert(1)</script>",
    "*stars* _under_ **bold** `code` ~~gone~~ $x^2$",
    "[link](https://example.org) ![img](x.png) <https://example.org>",
    "# heading\n- item\n+ item\n1. one\n2) two\n> quote\n---\n===",
    "a | b\n-|-\n&amp; &lt; \\ backslash",
    "    indented code\n\ttabbed",
    ":smile: :red[x] :material/home: 10:30 Note: fine",
]


@pytest.mark.parametrize("text", NASTY)
def test_escaped_text_renders_as_exactly_that_text(text):
    html = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(ui.escape_markdown(text))
    assert html.count("<p>") == 1  # no heading, list, quote, code block or table
    inner = re.sub(r"<br />\n?", "\n", html.removeprefix("<p>").removesuffix("</p>\n"))
    assert "<" not in inner.replace("&lt;", "")  # no element at all
    unescaped = (
        inner.replace("\u2060", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&amp;", "&")
    )
    assert unescaped == "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n"))


def test_a_quote_is_highlighted_inside_its_own_paragraph_only():
    text = "Title\n\nFirst thought. Be kind to yourself. Last thought.\n\nNext paragraph."
    start = text.index("Be kind")
    context = ui.paragraph_context(text, start, start + len("Be kind to yourself."))
    assert (context.before, context.quote, context.after) == (
        "First thought. ",
        "Be kind to yourself.",
        " Last thought.",
    )
    assert (
        context.to_markdown() == f"First thought. :color[Be kind to yourself.]{{{ui.HIGHLIGHT_COLORS}}} Last thought."
    )


def test_long_paragraphs_are_clipped_at_words():
    text = "word " * 400 + "THE QUOTE." + " more" * 400
    start = text.index("THE QUOTE.")
    context = ui.paragraph_context(text, start, start + 10, max_chars=50)
    assert context.clipped_before and context.clipped_after
    assert len(context.before) <= 50 and context.before.startswith("word")
    assert context.to_markdown().startswith("…word") and context.to_markdown().endswith("more…")


def test_the_conversation_download_keeps_every_citation():
    turns = [
        {
            "question": "Who <b>wrote</b> it?",
            "answer": {
                "status": "answered", "answer": "Writer: Marissa Mireles [1]", "resources": "", "related": [],
                "citations": [{
                    "n": 1, "title": "Healing from Within", "author": "Marissa Mireles", "date": "Mar 19",
                    "quote": "Writer: Marissa Mireles", "url": "https://example.org/a", "link": "https://example.org/a#:~:text=Writer",
                }],
            },
        },
        {"question": "I want to die", "answer": {"status": "crisis", "answer": "**Call 988**", "resources": "x", "citations": [], "related": []}},
    ]  # fmt: skip
    document = ui.conversation_markdown(turns)
    assert "Who \\<b\\>wrote\\</b\\> it?" in document
    assert "1. Healing from Within — Marissa Mireles, Mar 19 — <https://example.org/a#:~:text=Writer>" in document
    assert "   > Writer: Marissa Mireles" in document
    assert "**Call 988**" in document
