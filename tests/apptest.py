"""Driving the Streamlit app with AppTest over a real index in tmp_path, shared by the app's tests."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "app.py"
STRESS = "Does being kind to myself do anything for my immune system?"
TOKEN = "a-maintainer-token-for-tests"


def plain(markdown: str) -> str:
    """What a reader sees of the app's Markdown: links, highlights and badges unwrapped, escapes undone."""
    unwrapped = None
    while unwrapped != markdown:  # directives nest: :small[:gray[...]], and may have {attributes}
        unwrapped, markdown = (
            markdown,
            re.sub(r":[a-z]+(?:-[a-z]+)?\[((?:\\.|[^\]\\])*)\](?:\{[^}]*\})?", r"\1", markdown),
        )
    markdown = re.sub(r"\[([^\]]*)\]\(#cite-[^)]*\)", r"\1", markdown)  # markers that link to their citation
    markdown = re.sub(r"\\(.)", r"\1", markdown)
    return markdown.replace("  \n", "\n").replace("\u2060", "")


def use_settings(monkeypatch: Any, settings: Any, **extra: str) -> None:
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ASSISTANT_STREAM_PAUSE", "0")
    for key, value in extra.items():
        monkeypatch.setenv(f"ASSISTANT_{key.upper()}", value)


def getting_ready(at: AppTest) -> bool:
    return any("Getting ready" in i.value for i in at.main.info)


def run_until(at: AppTest, done: Callable[[AppTest], bool], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, "timed out waiting for the app"
        time.sleep(0.3)
        at.run()
        assert not at.exception


def open_app(browser: str | None = None, conversation: str | None = None, page: str | None = None) -> AppTest:
    """A new session, once the assistant is ready; ``browser`` is the key a browser's cookie would hold."""
    at = AppTest.from_file(str(APP), default_timeout=180)
    if browser is not None:
        at.session_state["browser"] = browser
    if conversation is not None:
        at.query_params["c"] = conversation
    at.run()
    assert not at.exception
    run_until(at, lambda at: not getting_ready(at))
    if page is not None:
        at.switch_page(page).run()
        assert not at.exception
    return at


def ask(at: AppTest, question: str) -> dict:
    at.chat_input(key="question").set_value(question).run()
    assert not at.exception
    return at.session_state["conversation"].turns[-1]


def messages(at: AppTest) -> list[tuple[str, str]]:
    """Each chat message as (who, what it shows): the question as typed, the answer as read."""
    return [
        (m.name, " ".join([t.value for t in m.text] + [plain(md.value) for md in m.markdown])) for m in at.chat_message
    ]


def feedback_rows(settings: Any) -> list[dict]:
    db = sqlite3.connect(settings.data_dir / "feedback.sqlite3")
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM feedback ORDER BY id")]
    finally:
        db.close()


def widget_keys(at: AppTest) -> set[str]:
    """The keys of every widget in the page's main column and sidebar."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if key := getattr(node, "key", None):
            found.add(key)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return found
