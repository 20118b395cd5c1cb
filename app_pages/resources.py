"""What every session of one server process shares, opened once (``st.cache_resource``)."""

from __future__ import annotations

import streamlit as st

from assistant.config import Settings
from assistant.index.embeddings import Embedder
from assistant.services import Services


@st.cache_resource(show_spinner=False)
def load_embedder(key: str, _settings: Settings) -> Embedder:
    """One embedding model per way of running it (``key``); it loads on its first use, in ``Services``' start."""
    return Embedder.from_settings(_settings)


@st.cache_resource(show_spinner=False)
def _services(key: str, _settings: Settings) -> Services:
    return Services(_settings, load_embedder(embedder_key(_settings), _settings))


def embedder_key(settings: Settings) -> str:
    """The settings that decide how the embedding model runs."""
    fields = ("embedding_backend", "model_dir", "embed_batch_size", "embed_threads")
    return settings.model_dump_json(include=set(fields))


def open_services(settings: Settings) -> Services:
    """The services for these settings, getting ready in the background (again, if a start failed a while ago)."""
    return _services(settings.model_dump_json(), settings).start()


def current_services() -> Services:
    """The services for the settings in the environment (``app.py`` has checked they are valid)."""
    return open_services(Settings())
