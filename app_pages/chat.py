"""The reader's page: the conversation, starter questions, this browser's conversations, help.

A reader sees their own conversation, their own feedback and the list of
conversations their browser started; nothing of anyone else's and no
maintainer control. The conversation's id sits in the address (``?c=``), so
a reload finds it again; the browser's key sits in a cookie, so a later
visit lists its conversations.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from app_pages.browser import browser_key, page_helper
from app_pages.turns import AVATARS, HELP_ICON, show_answer, show_help, show_question, show_turn
from assistant import ui
from assistant.conversations import Conversation
from assistant.errors import AssistantError
from assistant.feedback import AnswerFeedback
from assistant.safety import CRISIS_RESOURCES
from assistant.services import Services

log = logging.getLogger("assistant.app")

WELCOME = (
    "Ask about self-compassion. Answers come only from the article *Healing from Within: How Self-Compassion "
    "Leads to Lasting Growth* by Marissa Mireles and the sources it references, quoting their passages word for "
    f"word. Each number such as {ui.marker(1)} matches a source listed under the answer: select it to read the "
    "passage where it appears.\n\n"
    "This is a reading assistant. It is **not therapy and not a crisis service**: if you need help now, the "
    "crisis lines are under **Get help now**, at the top of the sidebar (on a phone, beside the box where you type)."
)


# -- this reader's conversation -------------------------------------------------------------------


def conversation(services: Services) -> Conversation:
    """The conversation on this page: the one the address names at the session's start, else a new one."""
    state = st.session_state
    if "conversation" not in state:
        found = services.conversations.get(st.query_params.get("c"))
        if found is None and "c" in st.query_params:
            del st.query_params["c"]
        state.conversation = found or Conversation(owner=browser_key())
    current: Conversation = state.conversation
    return current


def _is_own(c: Conversation) -> bool:
    return c.owner == browser_key()


def _new_conversation() -> None:
    st.session_state.conversation = Conversation(owner=browser_key())
    if "c" in st.query_params:
        del st.query_params["c"]


def _open_conversation(services: Services, conversation_id: str) -> None:
    found = services.conversations.get(conversation_id)
    if found is not None and _is_own(found):
        st.session_state.conversation = found
        st.query_params["c"] = found.id


def _delete_conversation(services: Services) -> None:
    current: Conversation = st.session_state.conversation
    services.conversations.delete(current.id, browser_key())
    _new_conversation()


def _ask_starter(question: str) -> None:
    st.session_state.pending = question


def crisis_seen(c: Conversation) -> bool:
    return any(t["answer"]["status"] == "crisis" for t in c.turns)


# -- the sidebar ----------------------------------------------------------------------------------


def _when(stamp: float) -> str:
    return time.strftime("%d %b, %H:%M", time.localtime(stamp)).lstrip("0")


def conversations_list(services: Services, current: Conversation) -> None:
    st.subheader("Conversations")
    st.button(
        "New conversation", key="new_conversation", on_click=_new_conversation, disabled=not current.turns,
        icon=":material/add_comment:", width="stretch", help="Start afresh; this conversation stays in the list.",
    )  # fmt: skip
    for i, summary in enumerate(services.conversations.listed(browser_key())):
        here = summary.id == current.id
        st.button(
            ui.escape_markdown(summary.title), key=f"conversation-{i}", on_click=_open_conversation,
            args=(services, summary.id), disabled=here, type="secondary" if here else "tertiary", width="stretch",
            help=f"{summary.questions} question{'' if summary.questions == 1 else 's'} · {_when(summary.updated_at)}",
        )  # fmt: skip
    st.download_button(
        "Download as Markdown", data=ui.conversation_markdown(current.turns), file_name="conversation.md",
        mime="text/markdown", key="download_conversation", on_click="ignore", disabled=not current.turns,
        icon=":material/download:", width="stretch", help="The questions and answers, with every cited passage.",
    )  # fmt: skip
    st.button(
        "Delete this conversation", key="delete_conversation", on_click=_delete_conversation, args=(services,),
        disabled=not (current.turns and _is_own(current)), icon=":material/delete:", width="stretch",
        help="Remove its questions and answers from this computer's store for good.",
    )  # fmt: skip


def sources_list(services: Services) -> None:
    st.subheader("Sources")
    try:
        rows = services.sources()
    except AssistantError as e:
        st.error(ui.escape_markdown(ui.for_readers(str(e))))
        return
    if not rows:
        st.caption("Listed once the assistant is ready.")
    for row in rows:
        passages = f"{row['chunks']} passage{'' if row['chunks'] == 1 else 's'}"
        st.markdown(
            f"**{ui.escape_markdown(row['title'])}**  \n"
            f":small[:gray[{ui.escape_markdown(row['kind'])} · {passages} · "
            f"indexed {ui.escape_markdown(ui.indexed_when(row['indexed_at']))}]]  \n"
            f":small[[Read it whole](source?{urlencode({'id': row['id']})})]"
        )


def sidebar(services: Services) -> tuple[int, Any]:
    """The sidebar below the help; returns how many passages to cite, and where the conversations go."""
    settings = services.settings
    with st.sidebar:
        conversations = st.container()
        st.subheader("Settings")
        top_k = st.slider(
            "Passages to cite", min_value=1, max_value=5, value=min(max(settings.top_k, 1), 5), key="top_k",
            help="The most passages an answer may quote. Fewer gives a shorter answer; more shows more of what the "
            "sources say. Passages that add little are left out either way.",
        )  # fmt: skip
        modes = services.answer_modes()
        if len(modes) > 1:
            st.radio(
                "Answers", modes, format_func=lambda m: ui.ANSWER_MODES.get(m, m), key="answer_mode",
                help="A written answer comes from the language model the maintainer set up; every sentence is "
                "checked against the passage it cites, and one the passages do not support is left out. Quotes "
                "come straight from the sources, word for word.",
            )  # fmt: skip
        sources_list(services)
    return int(top_k), conversations


def answer_mode(services: Services) -> str | None:
    """The answer mode this reader chose in the sidebar, or None (the settings' mode) where there is no choice."""
    chosen = st.session_state.get("answer_mode")
    return chosen if chosen in services.answer_modes() else None


# -- asking ---------------------------------------------------------------------------------------------


@st.fragment(run_every=1.0)
def getting_ready(services: Services) -> None:
    """What the page says while the model loads; redraws the whole page once it is ready (or has failed)."""
    readiness = services.readiness()
    if readiness.state != "starting":
        st.rerun()
    with st.container(key="getting-ready"):
        st.info(
            f"{ui.escape_markdown(readiness.message)} You can type your question now: it is answered as soon as "
            "the assistant is ready.",
            icon=":material/hourglass_top:",
        )


def notice(message: str) -> None:
    with st.container(key="notice"):
        st.info(ui.escape_markdown(message), icon=":material/edit_note:")


def ask(services: Services, question: str, top_k: int, help_slot: Any) -> None:
    """Answer a question typed or chosen; blank or over-long input is refused before anything is drawn."""
    state = st.session_state
    refusal = services.refusal(question)
    if refusal and not question.strip():
        notice(refusal)
        return
    current: Conversation = state.conversation
    if not _is_own(current):  # a shared link: what this browser asks goes into a copy of its own
        current = current.fork(browser_key())
    history = [t["question"] for t in current.turns]
    answer: dict[str, Any] | None = None
    if refusal:  # too long: still read for a crisis first (the limit must not hide one), then drawn or refused
        try:
            answer = services.ask(question, history=history, top_k=top_k)
        except AssistantError as e:
            st.error(ui.escape_markdown(ui.for_readers(str(e))))
            return
        if answer["status"] == "invalid":
            notice(answer["answer"])
            if answer["resources"]:  # a refused message in a conversation that needs the lines still shows them
                st.info(ui.dial_links(answer["resources"]), icon=HELP_ICON)
            return
    show_question(question)
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        slot = st.empty()
        written = False  # a model's answer, already shown sentence by sentence as each passed its check
        try:
            if answer is None:
                waiting = "Reading the sources…" if services.readiness().ready else "Getting ready, then reading…"
                with st.spinner(waiting):
                    stream = services.stream(question, history=history, top_k=top_k, mode=answer_mode(services))
                if stream.status == "answered" and stream.mode != "extractive":
                    written = True
                    checking = "Writing an answer and checking each sentence against the passage it cites…"
                    with st.spinner(checking), slot:
                        st.write_stream("".join(ui.answer_pieces(piece)) for piece in stream if piece.strip())
                answer = stream.answer.to_dict()
            # Kept before the final drawing: a rerun that interrupts it loses nothing.
            turn: dict[str, Any] = {"id": secrets.token_hex(6), "question": question, "answer": answer}
            current.turns.append(turn)
            current = services.conversations.save(current)
            state.conversation = current
            st.query_params["c"] = current.id
        except AssistantError as e:
            slot.error(ui.escape_markdown(ui.for_readers(str(e))))
            return
        if answer["status"] == "crisis":
            show_help(help_slot, crisis_seen=True, key="help_now")
        said = services.feedback.for_session(current.feedback_id).get(turn["id"])
        with slot.container():
            show_answer(services, current, turn, said=said or AnswerFeedback(), streaming=not written)


def starters(services: Services) -> None:
    questions = services.settings.starter_questions
    if not questions:
        return
    st.caption("Not sure where to start? Try one of these:")
    with st.container(key="starters", horizontal=True):
        for i, question in enumerate(questions):
            st.button(ui.escape_markdown(question), key=f"starter-{i}", on_click=_ask_starter, args=(question,))


# -- the page ---------------------------------------------------------------------------------------------


def render(services: Services) -> None:
    state = st.session_state
    current = conversation(services)
    seen = crisis_seen(current)
    help_slot = st.sidebar.empty()  # drawn before anything can fail, so help is there even then
    show_help(help_slot, seen, key="help_now")
    st.html(ui.PAGE_STYLE)
    # Where the sidebar folds away (narrow screens, ui.PAGE_STYLE), help sits by the chat box, always in view.
    with st.bottom, st.container(key=ui.MAIN_HELP_KEY), st.popover("Get help now", icon=HELP_ICON, key="help_now_main"):
        st.markdown(ui.dial_links(CRISIS_RESOURCES))
    st.title(ui.TITLE)
    st.markdown(WELCOME)

    readiness = services.readiness()
    if readiness.state == "failed":
        st.error(ui.escape_markdown(ui.for_readers(readiness.message)))
        return
    if readiness.state == "starting":
        getting_ready(services)
    top_k, conversations = sidebar(services)
    limit = services.settings.max_question_chars
    with st.sidebar:
        refused_paste = page_helper(max_chars=limit)

    if not _is_own(current) and current.turns:
        st.caption("This conversation was started in another browser. A question asked here continues in a copy.")
    said = services.feedback.for_session(current.feedback_id) if _is_own(current) else None
    for turn in current.turns:
        show_turn(services, current, turn, None if said is None else said.get(turn["id"], AnswerFeedback()))

    question = st.chat_input(
        "Ask about self-compassion…", key="question", max_chars=services.settings.max_question_chars,
        submit_mode="disable",
    )  # fmt: skip
    question = question if question is not None else state.pop("pending", None)
    if refused_paste:
        notice(
            f"That text is {refused_paste:,} characters long; a question can be at most {limit:,}. "
            "Please shorten it and ask again."
        )
    if question is not None:
        ask(services, question, top_k, help_slot)
    elif not current.turns:
        starters(services)
    with conversations:  # drawn last, so that it includes the turn just answered
        conversations_list(services, state.conversation)
