"""The maintainer's page: re-index, add documents, export readers' feedback, answer settings.

It exists only when a maintainer token is set (``ASSISTANT_ADMIN_TOKEN``) and
shows nothing until that token is entered in this session; a reader's page
never links to it. Without a token the same actions are command-line only
(``assistant index``, ``assistant feedback export``).
"""

from __future__ import annotations

import hmac
import logging
import time

import streamlit as st

from assistant import ui
from assistant.errors import LoaderError
from assistant.index.background import ReindexRun
from assistant.ingest.uploads import UPLOAD_TYPES
from assistant.services import Services

log = logging.getLogger("assistant.app")

# A wrong token costs this long, so that guessing it from a page is slow.
WRONG_TOKEN_PAUSE_S = 1.0


def _check_token(services: Services) -> None:
    token = services.settings.admin_token
    entered = st.session_state.get("admin_token_input", "")
    if token is not None and entered and hmac.compare_digest(entered.encode(), token.get_secret_value().encode()):
        st.session_state.maintainer = True
        log.info("maintainer signed in")
    else:
        time.sleep(WRONG_TOKEN_PAUSE_S)
        st.session_state.token_refused = True
        log.warning("maintainer sign-in refused")
    st.session_state.admin_token_input = ""


def sign_in(services: Services) -> None:
    st.write("This page is for whoever maintains the corpus. Enter the maintainer token to continue.")
    with st.form("sign_in"):
        st.text_input("Maintainer token", type="password", key="admin_token_input", autocomplete="off")
        st.form_submit_button("Continue", on_click=_check_token, args=(services,))
    if st.session_state.pop("token_refused", False):
        st.error("That is not the maintainer token.")


def _sign_out() -> None:
    st.session_state.maintainer = False


# -- the index --------------------------------------------------------------------------------------


def _start_reindex(services: Services) -> None:
    st.session_state.reindex_runs = [*st.session_state.get("reindex_runs", [])[-4:], services.start_reindex()]


def reindex_status() -> None:
    """Progress of this page's re-index and what the last one changed; polls while one runs."""
    runs: list[ReindexRun] = st.session_state.get("reindex_runs", [])
    running = [r for r in runs if r.running]
    if bool(running) != st.session_state.get("reindex_polling", False):
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


def index_section(services: Services) -> None:
    st.subheader("Sources and index")
    try:
        rows = services.sources()
    except Exception as e:  # an unreadable index is what a maintainer must see, then re-index
        rows = []
        st.error(ui.escape_markdown(str(e)))
    for row in rows:
        passages = f"{row['chunks']} passage{'' if row['chunks'] == 1 else 's'}"
        st.markdown(
            f"**{ui.escape_markdown(row['title'])}**  \n"
            f":small[:gray[{ui.escape_markdown(row['kind'])} · {passages} · "
            f"indexed {ui.escape_markdown(ui.indexed_when(row['indexed_at']))}]]"
        )
    st.button(
        "Re-index corpus", key="reindex", on_click=_start_reindex, args=(services,), icon=":material/refresh:",
        help="Index new or changed files in the corpus folder. Questions keep being answered from the current "
        "index until the new one is complete.",
    )  # fmt: skip
    polling = any(r.running for r in st.session_state.get("reindex_runs", []))
    st.session_state.reindex_polling = polling
    st.fragment(reindex_status, run_every=1.0 if polling else None)()


# -- documents --------------------------------------------------------------------------------------


def _add_documents(services: Services) -> None:
    files = st.session_state.get("upload") or []
    results: list[tuple[bool, str]] = []
    for file in files:
        try:
            added = services.add_document(file.name, file.getvalue())
        except LoaderError as e:  # the loader's own message, as a re-index would report it
            results.append((False, str(e)))
        else:
            results.append((True, added.message))
            results += [(True, f"Note: {note}") for note in added.notes]
    st.session_state.upload_results = results
    if any(ok for ok, _ in results):
        _start_reindex(services)


def upload_section(services: Services) -> None:
    st.subheader("Add documents")
    st.caption(
        "Markdown, text, HTML or PDF files. Each is read as the index will read it; one that cannot be read is "
        "refused with the reason, and the corpus is left as it was. The others are kept in the corpus's uploads "
        "folder and indexed at once."
    )
    st.file_uploader("Documents", type=UPLOAD_TYPES, accept_multiple_files=True, key="upload")
    st.button("Add to the corpus", key="add_documents", on_click=_add_documents, args=(services,), type="primary")
    for ok, message in st.session_state.get("upload_results", []):
        (st.success if ok else st.error)(ui.escape_markdown(message))


# -- feedback and answers -----------------------------------------------------------------------------


def feedback_section(services: Services) -> None:
    st.subheader("Readers' feedback")
    st.caption("Every rating, note and flagged citation, with its question and answer; nothing else about readers.")
    with st.container(horizontal=True):
        st.download_button(
            "Export feedback (CSV)", data=lambda: services.export_feedback("csv"), file_name="feedback.csv",
            mime="text/csv", key="export_feedback", on_click="ignore", icon=":material/table_view:",
        )  # fmt: skip
        st.download_button(
            "Export feedback (JSON)", data=lambda: services.export_feedback("json"), file_name="feedback.json",
            mime="application/json", key="export_feedback_json", on_click="ignore", icon=":material/data_object:",
        )  # fmt: skip


def answers_section(services: Services) -> None:
    """How answers are made. Each setting a maintainer may change while the app runs goes here."""
    st.subheader("Answers")
    st.caption(
        "Answers quote the sources' passages word for word, each followed by its citation; this is the only "
        "answer mode for now."
    )


def render(services: Services) -> None:
    st.title("Maintain the assistant")
    if not st.session_state.get("maintainer"):
        sign_in(services)
        return
    st.button("Sign out", key="sign_out", on_click=_sign_out, icon=":material/logout:")
    index_section(services)
    upload_section(services)
    feedback_section(services)
    answers_section(services)
