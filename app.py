"""Streamlit entry point: the reader's chat, a page to read a source whole, and the maintainer's page.

It decides which pages exist; each page (a script in ``app_pages/scripts``) renders
what the one ``Services`` object of these settings returns. The maintainer's page
exists only when a maintainer token is set, and no reader's page links to it.
Text from questions, answers and sources is escaped or shown as plain text,
never rendered as HTML; the only HTML on a page is the constant stylesheet
``assistant.ui.PAGE_STYLE``. Run it with ``streamlit run serve.py`` to have
the model loaded at server start (``streamlit run app.py`` loads it for the
first visitor instead).
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st
from pydantic import ValidationError

from app_pages.resources import open_services
from app_pages.turns import show_help
from assistant import ui
from assistant.config import Settings

log = logging.getLogger("assistant.app")

PAGES = Path(__file__).parent / "app_pages" / "scripts"

st.set_page_config(page_title=ui.TITLE, page_icon="🌱")


def settings_problem(error: ValidationError) -> str:
    """What is wrong with the settings, naming each field but never echoing a value (one may be the token)."""
    problems = "; ".join(
        f"ASSISTANT_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors(include_input=False)
    )
    return f"The ASSISTANT_ settings are not valid: {problems}"


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as e:
        show_help(st.sidebar.empty(), crisis_seen=False, key="help_now")
        st.error(ui.escape_markdown(settings_problem(e)))
        return
    open_services(settings)  # the pages find it again, getting ready or ready
    pages = [
        st.Page(PAGES / "chat.py", title=ui.TITLE, default=True),
        st.Page(PAGES / "source.py", title="Read a source", visibility="hidden"),
    ]
    if settings.admin_token is not None:
        pages.append(st.Page(PAGES / "maintain.py", title="Maintain", visibility="hidden"))
    st.navigation(pages, position="hidden").run()


try:
    main()
except Exception:  # an internal failure: say so without a traceback, log the details
    log.exception("the app failed")
    st.error("Something went wrong inside the assistant. The details are in the server log.")
