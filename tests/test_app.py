"""The reader's page, driven by AppTest over a real index in tmp_path.

Each test builds the index first (the ``indexer`` fixture) and points the
app at it through ``ASSISTANT_*`` variables. The embedding model is cached
once per process by the app; everything keyed by the settings (the index,
the feedback and conversation files) is new in every test.
"""

from __future__ import annotations

import re
import shutil
import sqlite3

import pytest
from streamlit.testing.v1 import AppTest

from assistant import ui
from assistant.answer.citations import PassageContext
from assistant.conversations import ConversationStore, new_key
from assistant.feedback import FeedbackStore
from assistant.index.building import writer_lock
from assistant.safety import CONCERN_NOTE, CRISIS_RESOURCES
from tests import apptest
from tests.apptest import APP, STRESS, ask, messages, open_app, plain, run_until
from tests.llm_server import Script, ScriptedServer, passages_in


@pytest.fixture
def app_env(monkeypatch, settings, indexer):
    indexer.run()
    apptest.use_settings(monkeypatch, settings)
    return settings


def help_now(at: AppTest):
    """What the top of the sidebar shows: the "Get help now" expander, or the crisis lines themselves."""
    return at.sidebar.children[0]


def conversations(settings) -> ConversationStore:
    return ConversationStore(settings.data_dir / "conversations.sqlite3")


# -- the page before any question ----------------------------------------------------------------


def test_the_chat_box_is_there_while_the_assistant_gets_ready(monkeypatch, settings, indexer):
    apptest.use_settings(monkeypatch, settings)
    with writer_lock(settings.index_dir):  # another process is building the first index: the app has to wait
        at = AppTest.from_file(str(APP), default_timeout=180).run()
        assert not at.exception
        assert apptest.getting_ready(at)  # the model and the index open in the background ...
        assert at.chat_input(key="question").max_chars == settings.max_question_chars  # ... and the box is there
    indexer.run()  # that build finishes
    at.chat_input(key="question").set_value(STRESS).run()  # a question asked now waits for the index, then is answered
    assert not at.exception
    assert at.session_state["conversation"].turns[0]["answer"]["status"] == "answered"


def test_welcome_help_and_starter_questions(app_env):
    at = open_app()
    welcome = at.main.markdown[0].value
    assert "Healing from Within" in plain(welcome) and "Marissa Mireles" in plain(welcome)
    assert "not therapy and not a crisis service" in plain(welcome)
    assert f"Each number such as {ui.marker(1)} matches a source listed under the answer" in welcome
    top = help_now(at)
    assert top.type == "expander" and top.label == "Get help now"
    lines = top.markdown[0].value
    assert lines == ui.dial_links(CRISIS_RESOURCES).strip()
    assert "[**988**](tel:988)" in lines and "(sms:988)" in lines and "[**116 123**](tel:116123)" in lines
    beside_the_box = at.get("popover")[0]  # shown in place of the sidebar on narrow screens (ui.PAGE_STYLE)
    assert beside_the_box.proto.popover.label == "Get help now"
    assert beside_the_box.markdown[0].value == lines
    starters = [b for b in at.main.button if b.key and b.key.startswith("starter-")]
    assert 4 <= len(starters) <= 6
    assert [plain(b.label) for b in starters] == app_env.starter_questions
    titles = [plain(m.value) for m in at.sidebar.markdown]
    assert any(
        t.startswith("**Healing from Within: How Self-Compassion Leads to Lasting Growth**\narticle") for t in titles
    )


def test_a_starter_question_is_asked_when_chosen(app_env):
    at = open_app()
    at.button(key="starter-1").click().run()
    assert not at.exception
    turn = at.session_state["conversation"].turns[0]
    assert turn["question"] == app_env.starter_questions[1]
    assert turn["answer"]["status"] == "answered"
    assert not [b for b in at.main.button if b.key and b.key.startswith("starter-")]


# -- answers -----------------------------------------------------------------------------------------


def test_an_answer_has_markers_that_lead_to_citations_open_on_their_paragraph(app_env):
    at = open_app()
    turn = ask(at, STRESS)
    answer, tid = turn["answer"], turn["id"]
    assert answer["status"] == "answered" and answer["citations"]
    assert messages(at)[0] == ("user", STRESS)
    shown = at.chat_message[1].markdown[0].value
    assert "improve immune function" in plain(shown)
    for c in answer["citations"]:  # each marker is a link to the citation with that key
        assert ui.marker_link(c["n"], tid) in shown
        assert at.chat_message[1].expander(key=ui.citation_anchor(tid, c["n"])) is not None
    first = answer["citations"][0]
    context = first["context"]  # the answer carries the paragraph the page shows
    assert context["before"] or context["after"]
    cited = at.chat_message[1].expander(key=ui.citation_anchor(tid, 1))
    assert first["quote"][:20] in cited.label and "Marissa Mireles" in cited.label
    passage = cited.markdown[1].value
    assert passage == ui.context_markdown(first["quote"], PassageContext(**context))
    assert ui.highlight(first["quote"]) in passage and len(plain(passage)) > len(first["quote"])
    whole = [m.value for m in cited.markdown if m.value.startswith("[Read the whole source]")]
    assert whole and f"source?id={first['source_id']}&from={first['start']}&to={first['end']}" in whole[0]


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


def test_a_crisis_shows_help_with_numbers_to_call_and_keeps_it_visible(app_env):
    at = open_app()
    answer = ask(at, "I want to kill myself")["answer"]
    assert answer["status"] == "crisis"
    reply = at.chat_message[1].warning[0].value
    assert reply == ui.dial_links(answer["answer"]).strip()
    assert "[**988**](tel:988)" in reply and "not a crisis service" in reply
    assert help_now(at).type == "warning" and help_now(at).value == ui.dial_links(CRISIS_RESOURCES).strip()
    ask(at, "How does self-compassion help with stress?")
    assert help_now(at).type == "warning"
    assert not [e for e in at.sidebar.expander if e.label == "Get help now"]


def test_a_concern_gets_the_answer_with_a_gentle_line_and_the_numbers(app_env):
    at = open_app()
    answer = ask(at, "i've been having dark thoughts again. how do i be kinder to myself?")["answer"]
    assert answer["safety"] == "concern" and answer["status"] != "crisis"
    assert answer["resources"].startswith(CONCERN_NOTE) and CRISIS_RESOURCES in answer["resources"]
    assert any(i.value == ui.dial_links(answer["resources"]).strip() for i in at.chat_message[1].info)


# -- input -----------------------------------------------------------------------------------------------


def test_markup_is_shown_as_typed_and_does_not_change_the_answer(app_env):
    at = open_app()
    marked = "How does <b>self-compassion</b> affect **stress**? <script>alert(1)</script>"
    with_markup = ask(at, marked)
    user = at.chat_message[0]
    assert [t.value for t in user.text] == [marked] and not user.markdown  # exactly what was typed, as text
    assert "\u2060" not in user.text[0].value
    at.button(key="new_conversation").click().run()
    without = ask(at, "How does self-compassion affect stress?")
    assert with_markup["answer"]["answer"] == without["answer"]["answer"]
    assert [c["chunk_id"] for c in with_markup["answer"]["citations"]] == [
        c["chunk_id"] for c in without["answer"]["citations"]
    ]
    assert not any(m.proto.allow_html for m in at.markdown)
    assert [h.value for h in at.get("html")] == [ui.PAGE_STYLE]  # the one HTML element: a constant stylesheet


@pytest.mark.parametrize("blank", ["", "   ", "\n\t \u200b"])
def test_blank_input_draws_nothing_and_says_why(app_env, blank):
    at = open_app()
    at.chat_input(key="question").set_value(blank).run()
    assert not at.exception
    assert at.chat_message.len == 0
    assert [plain(i.value) for i in at.main.info] == ["Please type a question."]
    assert at.session_state["conversation"].turns == []
    assert conversations(app_env).listed(at.session_state["browser"]) == []


# -- feedback -------------------------------------------------------------------------------------------


def test_thumbs_and_note_for_one_answer_are_one_row(app_env):
    at = open_app()
    turn = ask(at, STRESS)
    tid = turn["id"]
    at.feedback(key=f"rating-{tid}").set_value(0).run()
    at.text_input(key=f"note-{tid}").set_value("The second passage is off topic.")
    at.button(key=f"send-{tid}").click().run()
    at.feedback(key=f"rating-{tid}").set_value(1).run()  # changed their mind
    at.button(key=f"wrong-{tid}-2").click().run()
    assert not at.exception
    assert "Thank you, your note was saved." in [c.value for c in at.caption]
    assert "Thank you: this citation is flagged for review." in [c.value for c in at.caption]
    rows = apptest.feedback_rows(app_env)
    cited = [c["chunk_id"] for c in turn["answer"]["citations"]]
    assert [(r["rating"], r["comment"], r["wrong_chunk_id"], r["answer_id"]) for r in rows] == [
        ("up", "The second passage is off topic.", "", tid),
        ("", "", cited[1], tid),
    ]
    conversation = at.session_state["conversation"]
    # Rows know the conversation by an id of their own, never by the id that opens it.
    assert {r["session_id"] for r in rows} == {conversation.feedback_id} != {conversation.id}
    assert {r["question"] for r in rows} == {STRESS}
    assert {r["citation_chunk_ids"] for r in rows} == {str(cited).replace("'", '"')}


# -- conversations ------------------------------------------------------------------------------------------


def test_a_conversation_comes_back_for_the_same_browser_with_its_feedback(app_env):
    browser = new_key()
    first = open_app(browser=browser)
    turn = ask(first, STRESS)
    first.feedback(key=f"rating-{turn['id']}").set_value(1).run()
    conversation_id = first.query_params["c"]
    assert conversation_id == first.session_state["conversation"].id

    again = open_app(browser=browser, conversation=conversation_id)  # a reload: same browser, same address
    assert [m for m in messages(again) if m[0] == "user"] == [("user", STRESS)]
    assert again.feedback(key=f"rating-{turn['id']}").value == 1
    listed = [b.label for b in again.sidebar.button if b.key and b.key.startswith("conversation-")]
    assert listed == [STRESS]


def test_another_browser_with_the_link_reads_it_and_continues_in_a_copy(app_env):
    owner = new_key()
    first = open_app(browser=owner)
    turn = ask(first, STRESS)
    first.feedback(key=f"rating-{turn['id']}").set_value(0).run()
    conversation_id = first.query_params["c"]

    other = open_app(browser=new_key(), conversation=conversation_id)
    assert [m for m in messages(other) if m[0] == "user"] == [("user", STRESS)]
    assert not other.get("feedback")  # the owner's rating is theirs alone
    assert not [b for b in other.sidebar.button if b.key and b.key.startswith("conversation-")]
    ask(other, "How does self-compassion help me grow?")
    assert other.query_params["c"] != conversation_id
    kept = conversations(app_env).get(conversation_id)
    assert kept is not None and [t["question"] for t in kept.turns] == [STRESS]  # the owner's stays as it was


def test_new_conversation_keeps_the_old_one_listed_and_it_opens_again(app_env):
    at = open_app()
    ask(at, STRESS)
    old = at.query_params["c"]
    at.button(key="new_conversation").click().run()
    assert at.chat_message.len == 0 and "c" not in at.query_params
    ask(at, "What is the capital of France?")
    listed = [b for b in at.sidebar.button if b.key and b.key.startswith("conversation-")]
    assert [b.label for b in listed] == ["What is the capital of France?", STRESS]
    listed[1].click().run()
    assert not at.exception
    assert at.query_params["c"] == old
    assert [m for m in messages(at) if m[0] == "user"] == [("user", STRESS)]


def test_a_conversation_can_be_deleted(app_env):
    at = open_app()
    ask(at, STRESS)
    gone = at.query_params["c"]
    at.button(key="delete_conversation").click().run()
    assert not at.exception
    assert at.chat_message.len == 0
    assert conversations(app_env).get(gone) is None
    assert not [b for b in at.sidebar.button if b.key and b.key.startswith("conversation-")]


def test_two_sessions_never_see_each_other(app_env):
    first, second = open_app(), open_app()
    ask(first, "Who wrote the article?")
    second.run()
    assert second.chat_message.len == 0
    turn = ask(second, "What is the capital of France?")
    second.feedback(key=f"rating-{turn['id']}").set_value(0).run()
    first.run()
    assert [m[1] for m in messages(first) if m[0] == "user"] == ["Who wrote the article?"]
    assert [m[1] for m in messages(second) if m[0] == "user"] == ["What is the capital of France?"]
    assert [b.label for b in first.sidebar.button if b.key and b.key.startswith("conversation-")] == [
        "Who wrote the article?"
    ]
    mine, theirs = first.session_state["conversation"], second.session_state["conversation"]
    assert mine.feedback_id != theirs.feedback_id
    store = FeedbackStore(app_env.data_dir / "feedback.sqlite3")
    assert store.for_session(mine.feedback_id) == {}
    assert list(store.for_session(theirs.feedback_id)) == [turn["id"]]


# -- a reader has no maintainer control ------------------------------------------------------------------------


def test_a_reader_sees_no_maintainer_control_and_without_a_token_there_is_no_maintainer_page(app_env):
    at = open_app()
    ask(at, STRESS)
    labels = [b.label for b in at.button] + [d.proto.label for d in at.get("download_button")]
    assert not [x for x in labels if re.search(r"index|export|upload|feedback", x, re.IGNORECASE)], labels
    assert not at.get("file_uploader")
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page("app_pages/scripts/maintain.py")


# -- failures are messages, never tracebacks ------------------------------------------------------------------


def test_the_first_run_builds_the_index(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "fresh-index"))
    at = open_app()
    assert (tmp_path / "fresh-index" / "CURRENT").exists()
    assert any("Healing from Within" in plain(m.value) for m in at.sidebar.markdown)
    assert ask(at, STRESS)["answer"]["status"] == "answered"


def test_an_unusable_setup_is_an_error_message_not_a_traceback(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(tmp_path / "missing"))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "empty-index"))
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    run_until(at, lambda at: bool(at.error))
    assert "does not exist" in plain(at.error[0].value)
    assert help_now(at).label == "Get help now"  # help is there even when nothing else works


def test_settings_that_are_not_valid_are_named_without_their_values(app_env, monkeypatch):
    monkeypatch.setenv("ASSISTANT_ADMIN_TOKEN", "short-secret")
    monkeypatch.setenv("ASSISTANT_TOP_K", "99")
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    assert not at.exception
    message = plain(at.error[0].value)
    assert "ASSISTANT_ADMIN_TOKEN" in message and "ASSISTANT_TOP_K" in message
    assert "short-secret" not in message and "99" not in message
    assert help_now(at).label == "Get help now"


def test_an_index_swapped_for_an_unreadable_one_is_an_error_message(app_env):
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
    shown = [plain(e.value) for e in at.main.error]
    assert any("another/model" in e and "maintainer can put this right" in e for e in shown)
    assert not any("assistant index" in e for e in shown)  # no command line for a reader
    assert at.session_state["conversation"].turns == []


# -- written answers ------------------------------------------------------------------------------------------


def test_the_reader_is_offered_no_model_when_none_is_configured(app_env):
    at = open_app()
    assert "answer_mode" not in apptest.widget_keys(at)  # quotes only: nothing to choose
    assert ask(at, STRESS)["answer"]["mode"] == "extractive"


def test_a_reader_chooses_between_a_written_answer_and_quotes(monkeypatch, settings, indexer):
    indexer.run()
    with ScriptedServer() as server:
        apptest.use_settings(
            monkeypatch, settings, answer_mode="openai", llm_base_url=server.url + "/v1", llm_model="test-model",
            llm_timeout="5",
        )  # fmt: skip

        def restating(request) -> str:  # a faithful model: it restates passage 1 and cites it
            first = re.split(r"(?<=[.!?])\s+", passages_in(request)[1].strip())[0].rstrip(".")
            return f"The article says that {first[0].lower()}{first[1:]} [1]. The moon is made of cheese [2]."

        server.script(Script(reply=restating))
        at = open_app()
        choice = at.sidebar.radio(key="answer_mode")
        assert choice.value == "openai" and choice.options == [
            ui.ANSWER_MODES["openai"], ui.ANSWER_MODES["extractive"]
        ]  # fmt: skip
        turn = ask(at, STRESS)
        answer = turn["answer"]
        assert answer["mode"] == "openai" and answer["status"] == "answered"
        assert answer["verification"]["kept"] == 1 and answer["verification"]["dropped"] == 1
        shown = messages(at)[-1][1]
        assert "The article says that" in shown and "cheese" not in shown  # the invented sentence never shows
        captions = [c.value for c in at.chat_message[-1].caption]
        assert any("1 sentence matched the passage it cites; 1 that did not was left out" in c for c in captions)
        cited = answer["citations"][0]
        assert cited["quote"].startswith(passages_in(server.requests[0].__dict__)[1].strip()[:40])

        at.sidebar.radio(key="answer_mode").set_value("extractive").run()
        quotes = ask(at, "How can I be kinder to myself after a mistake?")["answer"]
        assert quotes["mode"] == "extractive" and quotes["status"] == "answered"
        assert len(server.requests) == 1  # quotes never call the model
        assert not any("Written by a language model" in c.value for c in at.chat_message[-1].caption)
