"""A whole source to read, opened from a citation (``source?id=…&from=…&to=…``) with the cited passage highlighted.

The corpus is what every reader may read, so this page holds nothing private:
its address names a source and a span, never a conversation.
"""

from __future__ import annotations

import streamlit as st

from app_pages.browser import page_helper
from app_pages.turns import show_help
from assistant import ui
from assistant.errors import AssistantError
from assistant.services import Services


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def render(services: Services) -> None:
    show_help(st.sidebar.empty(), crisis_seen=False, key="help_now")
    st.html(ui.PAGE_STYLE)
    params = st.query_params
    start, end = _int(params.get("from")), _int(params.get("to"))
    source_id = params.get("id", "")
    try:
        record = services.source(source_id) if source_id else None
    except AssistantError as e:
        st.error(ui.escape_markdown(ui.for_readers(str(e))))
        return
    if record is None:
        st.title("Source not found")
        st.info("There is no such source in the index. The sources are listed in the sidebar of the chat.")
        return
    st.title(ui.escape_markdown(record.title))
    st.caption(ui.escape_markdown(" · ".join(x for x in (record.kind, record.author, record.date) if x)))
    link = ui.read_it_on(record.url)
    if link:
        st.markdown(link)
    highlighted = start is not None and end is not None and 0 <= start < end <= len(record.text)
    if highlighted:
        st.caption("The cited passage is highlighted below.")
    with st.container(key="source-text"):  # ui.PAGE_STYLE styles its highlight
        st.markdown(ui.source_markdown(record.text, start, end))
    with st.sidebar:
        page_helper(scroll_to_highlight=highlighted)
