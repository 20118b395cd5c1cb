"""Serve the app with the model loading as the server starts: ``streamlit run serve.py``.

Streamlit runs a page's script only when a visitor arrives, so ``app.py`` on
its own would load the model for the first visitor. Here the server's start
opens the same ``Services`` the pages use (``app_pages.resources``), whose
model and index get ready in a background thread; the first visitor finds
the chat box at once, and the answer ready or nearly so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import streamlit as st
from pydantic import ValidationError

log = logging.getLogger("assistant.app")


def _log_to_stderr() -> None:
    """The package's own messages (ready, re-index, feedback; INFO and up) in the server's log, beside Streamlit's."""
    logger = logging.getLogger("assistant")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _get_ready() -> None:
    from app_pages.resources import open_services
    from assistant.config import Settings

    try:
        open_services(Settings())
    except ValidationError:
        log.warning("settings not valid; the page will say what is wrong")
    except Exception:
        log.exception("getting ready at server start failed; the first visitor will try again")


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    _log_to_stderr()
    threading.Thread(target=_get_ready, name="get-ready-at-start", daemon=True).start()
    yield


app = st.App("app.py", lifespan=lifespan)
