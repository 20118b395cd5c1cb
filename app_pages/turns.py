"""One turn of a conversation on the page: the question as typed, the answer, its citations and feedback.

Every text from a question, an answer or a source goes through
``assistant.ui`` (escaped Markdown) or ``st.text``; nothing is rendered as HTML.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from app_pages.browser import copy_button
from assistant import ui
from assistant.answer.citations import PassageContext
from assistant.conversations import Conversation
from assistant.feedback import AnswerFeedback
from assistant.safety import CRISIS_RESOURCES
from assistant.services import Services

log = logging.getLogger("assistant.app")

HELP_ICON = ":material/support:"
AVATARS = {"user": ":material/person:", "assistant": ":material/spa:"}


def show_help(slot: Any, crisis_seen: bool, key: str) -> None:
    """The crisis lines, numbers as links that call: folded away until a crisis turn, then open and prominent."""
    lines = ui.dial_links(CRISIS_RESOURCES)
    if crisis_seen:
        slot.warning(lines, icon=HELP_ICON)
    else:
        with slot.expander("Get help now", icon=HELP_ICON, key=key):
            st.markdown(lines)


def show_question(text: str) -> None:
    with st.chat_message("user", avatar=AVATARS["user"]):
        st.text(text)  # exactly what the reader typed: no Markdown, no escaping to see


# -- feedback -------------------------------------------------------------------------------------


def _record(services: Services, conversation: Conversation, turn: dict[str, Any], **fields: Any) -> None:
    answer = turn["answer"]
    shown = answer["citations"] or answer["related"]
    try:
        services.feedback.record(
            session_id=conversation.feedback_id, answer_id=turn["id"], question=answer["question"] or turn["question"],
            answer=answer["answer"], status=answer["status"], citation_chunk_ids=[c["chunk_id"] for c in shown],
            **fields,
        )  # fmt: skip
    except Exception:
        log.exception("feedback could not be saved")
        st.toast("Your feedback could not be saved.", icon=":material/error:")


def _on_rating(services: Services, conversation: Conversation, turn: dict[str, Any]) -> None:
    _record(services, conversation, turn, rating=ui.rating_of(st.session_state.get(f"rating-{turn['id']}")))


def _on_note(services: Services, conversation: Conversation, turn: dict[str, Any]) -> None:
    note = st.session_state.get(f"note-{turn['id']}", "").strip()
    if note:
        _record(services, conversation, turn, comment=note)


def _on_wrong_citation(services: Services, conversation: Conversation, turn: dict[str, Any], chunk_id: str) -> None:
    _record(services, conversation, turn, wrong_chunk_id=chunk_id)


def show_feedback(services: Services, conversation: Conversation, turn: dict[str, Any], said: AnswerFeedback) -> None:
    tid = turn["id"]
    default = {"up": 1, "down": 0}.get(said.rating)
    rating = st.feedback(
        "thumbs", key=f"rating-{tid}", default=default, on_change=_on_rating, args=(services, conversation, turn)
    )
    if rating is None:
        return
    if said.comment:
        st.caption("Thank you, your note was saved.")
        return
    st.text_input(
        "Anything to add? (optional)", key=f"note-{tid}", max_chars=1000,
        placeholder="What was helpful, missing or wrong", help="Saved with the question and the answer, nothing else.",
    )  # fmt: skip
    st.button("Send note", key=f"send-{tid}", on_click=_on_note, args=(services, conversation, turn))


# -- the answer -------------------------------------------------------------------------------------


def _stream(pieces: list[str], pause: float) -> Iterator[str]:
    for piece in pieces:
        yield piece
        if pause:
            time.sleep(pause)


def source_link(c: dict[str, Any]) -> str:
    """Markdown linking to the page that shows the cited source whole, the passage highlighted (a new tab)."""
    query = urlencode({"id": c["source_id"], "from": c["start"], "to": c["end"]})
    return f"[Read the whole source](source?{query}) :gray[— opens in a new tab, the passage highlighted]"


def show_citation(
    services: Services, conversation: Conversation, turn: dict[str, Any], c: dict[str, Any], related: bool,
    said: AnswerFeedback | None,
) -> None:  # fmt: skip
    badge = f":gray-badge[{c['n']}]" if related else ui.marker(c["n"])
    key = f"related-{turn['id']}-{c['n']}" if related else ui.citation_anchor(turn["id"], c["n"])
    with st.expander(f"{badge} {ui.escape_markdown(ui.citation_label(c))}", key=key):
        st.markdown(f"**{ui.escape_markdown(c['title'])}**")
        with st.container(key=f"passage-{key}"):  # ui.PAGE_STYLE styles its highlight
            st.markdown(ui.context_markdown(c["quote"], _context(c)))
        details = " · ".join(x for x in (c["kind"], c["author"], c["date"]) if x)
        st.caption(ui.escape_markdown(details))
        st.markdown(source_link(c))
        link = ui.read_it_on(c["link"] or c["url"])
        if link:
            st.markdown(link)
        if related or said is None:
            return
        if c["chunk_id"] in said.flagged:
            st.caption("Thank you: this citation is flagged for review.")
        else:
            st.button(
                "This citation is wrong", key=f"wrong-{turn['id']}-{c['n']}", type="tertiary", icon=":material/flag:",
                on_click=_on_wrong_citation, args=(services, conversation, turn, c["chunk_id"]),
                help="Tell whoever maintains the corpus that this passage does not support the answer.",
            )  # fmt: skip


def _context(c: dict[str, Any]) -> PassageContext | None:
    context = c.get("context")
    return PassageContext(**context) if context else None


def show_answer(
    services: Services, conversation: Conversation, turn: dict[str, Any], said: AnswerFeedback | None,
    streaming: bool = False,
) -> None:  # fmt: skip
    """The answer of one turn; ``said`` is what its reader said of it, None where this page may not record feedback."""
    answer = turn["answer"]
    status = answer["status"]
    if status == "crisis":
        st.warning(ui.dial_links(answer["answer"]), icon=HELP_ICON)  # the safety module's own Markdown
        return
    if status == "invalid":
        st.info(ui.escape_markdown(answer["answer"]), icon=":material/edit_note:")
        return
    pieces = ui.answer_pieces(answer["answer"], turn_id=turn["id"])
    if streaming:
        st.write_stream(_stream(pieces, services.settings.stream_pause))
    else:
        st.markdown("".join(pieces))
    if checked := ui.verification_note(answer):
        st.caption(checked)
    copy_button(key=f"copy-{turn['id']}", text=ui.answer_text(answer))
    if answer["citations"]:
        st.caption("Sources: open one, or select its number in the answer, to read the passage where it appears.")
        for c in answer["citations"]:
            show_citation(services, conversation, turn, c, related=False, said=said)
    if answer["related"]:
        st.markdown("**Related (not an answer)**")
        st.caption("The closest passages in the sources. They do not answer the question.")
        for c in answer["related"]:
            show_citation(services, conversation, turn, c, related=True, said=said)
    if answer["resources"]:
        st.info(ui.dial_links(answer["resources"]), icon=HELP_ICON)
    if said is not None:
        show_feedback(services, conversation, turn, said)


def show_turn(
    services: Services, conversation: Conversation, turn: dict[str, Any], said: AnswerFeedback | None
) -> None:
    show_question(turn["question"])
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        show_answer(services, conversation, turn, said)
