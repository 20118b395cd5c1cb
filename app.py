"""Streamlit front end: a chat that renders what the assistant package returns.

It never decides what an answer is; ``Assistant.ask`` does. The model and the
index open once per process (``st.cache_resource``); a conversation lives in
its session only. Text from questions, answers and sources is escaped
(``assistant.ui.escape_markdown``) and never rendered as HTML; the only HTML
on the page is the constant stylesheet ``assistant.ui.PAGE_STYLE``.
"""

from __future__ import annotations

import io
import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import streamlit as st
from pydantic import ValidationError
from streamlit.delta_generator import DeltaGenerator

from assistant import ui
from assistant.answer.assistant import Assistant
from assistant.config import Settings
from assistant.errors import AssistantError, IndexBusyError
from assistant.feedback import FeedbackStore, default_path
from assistant.index.background import Reindexer, ReindexRun
from assistant.index.building import Indexer
from assistant.index.embeddings import Embedder
from assistant.index.library import Library
from assistant.index.stores import open_store
from assistant.safety import CRISIS_RESOURCES

log = logging.getLogger("assistant.app")

TITLE = "Self-compassion, with sources"
WELCOME = (
    "Ask about self-compassion. Answers come only from the article *Healing from Within: How Self-Compassion "
    "Leads to Lasting Growth* by Marissa Mireles and the sources it references, quoting their passages word for "
    f"word. Each number such as {ui.marker(1)} matches a source listed under the answer: open it to read the "
    "passage where it appears.\n\n"
    "This is a reading assistant. It is **not therapy and not a crisis service**: if you need help now, the "
    "crisis lines are at the top of the sidebar."
)
HELP_ICON = ":material/support:"
AVATARS = {"user": ":material/person:", "assistant": ":material/spa:"}

st.set_page_config(page_title=TITLE, page_icon="🌱")
st.set_option("client.toolbarMode", "minimal")  # readers need no developer menu
st.set_option("client.showErrorDetails", "none")  # never a traceback on the page


# -- resources shared by every session of this process ------------------------------------


@dataclass
class Services:
    settings: Settings
    assistant: Assistant
    reindexer: Reindexer
    feedback: FeedbackStore


@st.cache_resource(show_spinner="Loading the language model…")
def load_embedder(key: str, _settings: Settings) -> Embedder:
    embedder = Embedder.from_settings(_settings)
    embedder.embed_query("warm up")
    return embedder


@st.cache_resource(show_spinner="Opening the index…")
def open_services(key: str, _settings: Settings, _embedder: Embedder) -> Services:
    """Everything that answers, re-indexes and records feedback, keyed by the settings."""
    assistant = Assistant(_settings, Library(_settings, _embedder))
    assistant.warm_up()
    # The re-index embeds with a model instance of its own, so that a long
    # embedding run never shares a tokenizer with the questions being answered.
    reindexer = Reindexer(Indexer(_settings).run)
    return Services(_settings, assistant, reindexer, FeedbackStore(default_path(_settings.data_dir)))


def ensure_index(settings: Settings, embedder: Embedder) -> None:
    """Build the index on the very first run, showing what happens."""
    store = open_store(settings)
    if store.current() is not None:
        return
    box = st.empty()
    with box.container(), st.spinner("There is no index yet: building it from the corpus (first run only)…"):
        bar = st.progress(0.0, text="Reading the corpus…")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total if total else 1.0, text=f"Embedding passages: {done} of {total}")

        try:
            Indexer(settings, embedder).run(progress=progress)
        except IndexBusyError:
            bar.progress(0.0, text="Another process is building the index; waiting for it…")
            deadline = time.monotonic() + 900
            while store.current() is None and time.monotonic() < deadline:
                time.sleep(0.5)
    box.empty()


# -- this session -------------------------------------------------------------------------------


def init_session() -> None:
    state = st.session_state
    state.setdefault("turns", [])
    state.setdefault("session_id", secrets.token_hex(8))  # all that feedback knows about the reader
    state.setdefault("crisis_seen", False)
    state.setdefault("noted", set())  # "turn id" and "turn id/chunk id" whose note or flag was saved
    state.setdefault("reindex_runs", [])
    state.setdefault("reindex_polling", False)


def clear_conversation() -> None:
    st.session_state.turns = []
    st.session_state.noted = set()


def new_turn(services: Services, question: str, answer: dict[str, Any]) -> dict[str, Any]:
    """A conversation turn: the answer as returned, plus each cited passage in its paragraph."""
    generation = services.assistant.library.generation()
    contexts = {}
    for c in answer["citations"] + answer["related"]:
        source = generation.source(c["source_id"])
        if source is not None and source.text[c["start"] : c["end"]] == c["quote"]:
            context = ui.paragraph_context(source.text, c["start"], c["end"], services.settings.paragraph_chars)
        else:  # the source changed since: show the quote alone
            context = ui.Context(before="", quote=c["quote"], after="")
        contexts[c["chunk_id"]] = context.to_markdown()
    return {"id": secrets.token_hex(6), "question": question, "answer": answer, "contexts": contexts}


# -- feedback -------------------------------------------------------------------------------------


def _record(store: FeedbackStore, turn: dict[str, Any], **fields: Any) -> None:
    answer = turn["answer"]
    shown = answer["citations"] or answer["related"]
    try:
        store.record(
            session_id=st.session_state.session_id, question=answer["question"] or turn["question"],
            answer=answer["answer"], status=answer["status"], citation_chunk_ids=[c["chunk_id"] for c in shown],
            **fields,
        )  # fmt: skip
    except Exception:
        log.exception("feedback could not be saved")
        st.toast("Your feedback could not be saved.", icon=":material/error:")


def on_rating(store: FeedbackStore, turn: dict[str, Any]) -> None:
    rating = ui.rating_of(st.session_state.get(f"rating-{turn['id']}"))
    if rating:
        _record(store, turn, rating=rating)


def on_note(store: FeedbackStore, turn: dict[str, Any]) -> None:
    note = st.session_state.get(f"note-{turn['id']}", "").strip()
    if note:
        rating = ui.rating_of(st.session_state.get(f"rating-{turn['id']}"))
        _record(store, turn, rating=rating, comment=note)
        st.session_state.noted.add(turn["id"])


def on_wrong_citation(store: FeedbackStore, turn: dict[str, Any], chunk_id: str) -> None:
    _record(store, turn, wrong_chunk_id=chunk_id)
    st.session_state.noted.add(f"{turn['id']}/{chunk_id}")


def show_feedback(services: Services, turn: dict[str, Any]) -> None:
    tid = turn["id"]
    rating = st.feedback("thumbs", key=f"rating-{tid}", on_change=on_rating, args=(services.feedback, turn))
    if rating is None:
        return
    if tid in st.session_state.noted:
        st.caption("Thank you, your note was saved.")
        return
    st.text_input(
        "Anything to add? (optional)", key=f"note-{tid}", max_chars=1000,
        placeholder="What was helpful, missing or wrong", help="Saved with the question and the answer, nothing else.",
    )  # fmt: skip
    st.button("Send note", key=f"send-{tid}", on_click=on_note, args=(services.feedback, turn))


# -- rendering a turn -------------------------------------------------------------------------------


def stream(pieces: list[str], pause: float) -> Iterator[str]:
    for piece in pieces:
        yield piece
        if pause:
            time.sleep(pause)


def show_citation(services: Services, turn: dict[str, Any], c: dict[str, Any], related: bool) -> None:
    badge = f":gray-badge[{c['n']}]" if related else ui.marker(c["n"])
    kind = "related" if related else "cite"
    with st.expander(f"{badge} {ui.escape_markdown(ui.citation_label(c))}", key=f"{kind}-{turn['id']}-{c['n']}"):
        st.markdown(f"**{ui.escape_markdown(c['title'])}**")
        with st.container(key=f"passage-{kind}-{turn['id']}-{c['n']}"):  # ui.PAGE_STYLE styles its highlight
            st.markdown(turn["contexts"].get(c["chunk_id"]) or ui.highlight(c["quote"]))
        details = " · ".join(x for x in (c["kind"], c["author"], c["date"]) if x)
        st.caption(ui.escape_markdown(details))
        link = ui.read_it_on(c["link"] or c["url"])
        if link:
            st.markdown(link)
        else:
            st.caption("From the corpus on this computer; there is no web page to open.")
        if related:
            return
        if f"{turn['id']}/{c['chunk_id']}" in st.session_state.noted:
            st.caption("Thank you: this citation is flagged for review.")
        else:
            st.button(
                "This citation is wrong", key=f"wrong-{turn['id']}-{c['n']}", type="tertiary",
                icon=":material/flag:", on_click=on_wrong_citation, args=(services.feedback, turn, c["chunk_id"]),
                help="Tell whoever maintains the corpus that this passage does not support the answer.",
            )  # fmt: skip


def show_answer(services: Services, turn: dict[str, Any], streaming: bool = False) -> None:
    answer = turn["answer"]
    status = answer["status"]
    if status == "crisis":
        st.warning(answer["answer"], icon=HELP_ICON)  # the safety module's own Markdown
        return
    if status == "invalid":
        st.info(ui.escape_markdown(answer["answer"]), icon=":material/edit_note:")
        return
    pieces = ui.answer_pieces(answer["answer"])
    if streaming:
        st.write_stream(stream(pieces, services.settings.stream_pause))
    else:
        st.markdown("".join(pieces))
    if answer["citations"]:
        st.caption("Sources: open one to read the passage where it appears.")
        for c in answer["citations"]:
            show_citation(services, turn, c, related=False)
    if answer["related"]:
        st.markdown("**Related (not an answer)**")
        st.caption("The closest passages in the sources. They do not answer the question.")
        for c in answer["related"]:
            show_citation(services, turn, c, related=True)
    if answer["resources"]:
        st.info(answer["resources"], icon=HELP_ICON)
    show_feedback(services, turn)


def show_question(text: str) -> None:
    with st.chat_message("user", avatar=AVATARS["user"]):
        st.markdown(ui.escape_markdown(text))


# -- sidebar --------------------------------------------------------------------------------------------


def show_help(slot: DeltaGenerator, crisis_seen: bool) -> None:
    """The crisis lines, first in the sidebar so that they never scroll away.

    Folded away until a crisis turn; from then on open and prominent for the rest of the session.
    """
    if crisis_seen:
        slot.warning(CRISIS_RESOURCES, icon=HELP_ICON)
    else:
        with slot.expander("Get help now", icon=HELP_ICON, key="help_now"):
            st.markdown(CRISIS_RESOURCES)


def reindex_status() -> None:
    """Progress of this page's re-index and what the last one changed; polls while one runs."""
    runs: list[ReindexRun] = st.session_state.reindex_runs
    running = [r for r in runs if r.running]
    if bool(running) != st.session_state.reindex_polling:
        st.rerun()  # a run started or ended: redraw the page (sources) and start or stop polling
    for run in running:
        if run.total:
            st.progress(run.done / run.total, text=f"Embedding passages: {run.done} of {run.total}")
        else:
            st.progress(0.0, text="Looking for new or changed sources…")
    finished = [r for r in runs if not r.running]
    if not finished:
        return
    last = max(finished, key=lambda r: r.finished or 0.0)
    if last.error:
        st.error(ui.escape_markdown(last.error))
    elif last.report is not None:
        st.success(ui.escape_markdown(ui.report_summary(last.report)))
        for message in last.report.skipped:
            st.warning(ui.escape_markdown(f"Skipped: {message}"))
        for message in last.report.notes:
            st.info(ui.escape_markdown(f"Note: {message}"))


def start_reindex(reindexer: Reindexer) -> None:
    st.session_state.reindex_runs = [*st.session_state.reindex_runs[-4:], reindexer.start()]


def conversation_controls() -> None:
    turns = st.session_state.turns
    st.subheader("Conversation")
    st.download_button(
        "Download as Markdown", data=ui.conversation_markdown(turns), file_name="conversation.md",
        mime="text/markdown", key="download_conversation", on_click="ignore", disabled=not turns,
        icon=":material/download:", width="stretch", help="The questions and answers, with every cited passage.",
    )  # fmt: skip
    st.button(
        "Clear conversation", key="clear", on_click=clear_conversation, disabled=not turns,
        icon=":material/delete_sweep:", width="stretch",
    )  # fmt: skip


def export_feedback(store: FeedbackStore) -> str:
    out = io.StringIO()
    store.export_csv(out)
    return out.getvalue()


def sidebar(services: Services) -> tuple[int, Any]:
    """The sidebar; returns how many passages to cite, and where the conversation controls go."""
    settings = services.settings
    with st.sidebar:
        st.subheader("Settings")
        top_k = st.slider(
            "Passages to cite", min_value=1, max_value=5, value=min(max(settings.top_k, 1), 5), key="top_k",
            help="The most passages an answer may quote. Fewer gives a shorter answer; more shows more of what the "
            "sources say. Passages that add little are left out either way.",
        )  # fmt: skip
        # The answer mode (quoted passages, or a written summary of them) goes here once there is a choice.

        conversation = st.container()

        st.subheader("Sources")
        try:
            rows = services.assistant.library.sources()
        except AssistantError as e:
            st.error(ui.escape_markdown(str(e)))
            rows = []
        for row in rows:
            st.markdown(
                f"**{ui.escape_markdown(row['title'])}**  \n"
                f":small[:gray[{ui.escape_markdown(row['kind'])} · {row['chunks']} passage{'' if row['chunks'] == 1 else 's'} · "
                f"indexed {ui.escape_markdown(ui.indexed_when(row['indexed_at']))}]]"
            )
        st.button(
            "Re-index corpus", key="reindex", on_click=start_reindex, args=(services.reindexer,),
            icon=":material/refresh:", width="stretch",
            help="Index new or changed files in the corpus folder. Questions keep being answered from the current "
            "index until the new one is complete.",
        )  # fmt: skip
        polling = any(r.running for r in st.session_state.reindex_runs)
        st.session_state.reindex_polling = polling
        st.fragment(reindex_status, run_every=1.0 if polling else None)()

        st.subheader("For the corpus maintainer")
        st.download_button(
            "Export feedback (CSV)", data=lambda: export_feedback(services.feedback), file_name="feedback.csv",
            mime="text/csv", key="export_feedback", on_click="ignore", icon=":material/table_view:", width="stretch",
            help="Every rating, note and flagged citation, with its question and answer.",
        )  # fmt: skip
    return top_k, conversation


# -- the page ---------------------------------------------------------------------------------------------


def main() -> None:
    init_session()
    state = st.session_state
    help_slot = st.sidebar.empty()  # drawn before anything can fail, so help is there even then
    show_help(help_slot, state.crisis_seen)
    st.html(ui.PAGE_STYLE)
    st.title(TITLE)
    st.markdown(WELCOME)

    try:
        settings = Settings()
    except ValidationError as e:
        st.error(ui.escape_markdown(f"The ASSISTANT_ settings are not valid: {e}"))
        return
    try:
        embedder = load_embedder(settings.model_dump_json(), settings)
        ensure_index(settings, embedder)
        services = open_services(settings.model_dump_json(), settings, embedder)
    except AssistantError as e:
        st.error(ui.escape_markdown(str(e)))
        return

    top_k, conversation = sidebar(services)
    for turn in state.turns:
        show_question(turn["question"])
        with st.chat_message("assistant", avatar=AVATARS["assistant"]):
            show_answer(services, turn)

    question = st.chat_input("Ask about self-compassion…", key="question", submit_mode="disable")
    if question is not None:
        show_question(question)
        with st.chat_message("assistant", avatar=AVATARS["assistant"]):
            history = [t["question"] for t in state.turns]
            try:
                with st.spinner("Reading the sources…"):
                    answer = services.assistant.ask(question, history=history, top_k=top_k)
            except AssistantError as e:
                st.error(ui.escape_markdown(str(e)))
            else:
                turn = new_turn(services, question, answer.to_dict())
                state.turns.append(turn)
                if answer.status == "crisis" and not state.crisis_seen:
                    state.crisis_seen = True
                    show_help(help_slot, crisis_seen=True)
                show_answer(services, turn, streaming=True)

    with conversation:  # drawn last, so that it includes the turn just answered
        conversation_controls()


try:
    main()
except Exception:  # an internal failure: say so without a traceback, log the details
    log.exception("the app failed")
    st.error("Something went wrong inside the assistant. The details are in the server log.")
