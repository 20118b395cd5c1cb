"""Streamlit front end. It renders what the assistant package returns."""

from __future__ import annotations

import streamlit as st

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.indexing import Indexer
from assistant.library import Library
from assistant.store import current_generation

st.set_page_config(page_title="Self-compassion, with sources", page_icon="🌱")


@st.cache_resource(show_spinner="Opening the index…")
def library() -> Library:
    settings = Settings()
    if current_generation(settings.index_dir) is None:
        Indexer(settings).run()
    return Library(settings)


st.title("Self-compassion, with sources")
try:
    rows = library().sources()
except AssistantError as e:
    st.error(str(e))
    st.stop()
for row in rows:
    st.markdown(f"**{row['title']}** · {row['kind']} · {row['chunks']} passages", unsafe_allow_html=False)
