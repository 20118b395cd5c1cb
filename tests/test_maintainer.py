"""The maintainer's page, driven by AppTest: there only with a token, open only to whoever enters it."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from assistant.index.building import writer_lock
from tests.apptest import STRESS, TOKEN, ask, open_app, plain, run_until, use_settings, widget_keys
from tests.helpers import write_rc4_pdf

MAINTAIN = "app_pages/scripts/maintain.py"
CONTROLS = {"reindex", "add_documents", "upload", "export_feedback", "export_feedback_json", "sign_out"}


@pytest.fixture
def app_env(monkeypatch, settings, indexer):
    indexer.run()
    use_settings(monkeypatch, settings, admin_token=TOKEN)
    return settings


def signed_in() -> AppTest:
    at = open_app(page=MAINTAIN)
    at.text_input(key="admin_token_input").input(TOKEN)
    at.button(key="FormSubmitter:sign_in-Continue").click().run()
    assert not at.exception
    return at


def test_the_page_shows_nothing_but_the_token_form_until_the_token_is_entered(app_env):
    at = open_app(page=MAINTAIN)
    assert [t.label for t in at.text_input] == ["Maintainer token"]
    assert not widget_keys(at) & CONTROLS
    at.text_input(key="admin_token_input").input(TOKEN.upper())
    at.button(key="FormSubmitter:sign_in-Continue").click().run()
    assert [plain(e.value) for e in at.error] == ["That is not the maintainer token."]
    assert not widget_keys(at) & CONTROLS
    at.text_input(key="admin_token_input").input(TOKEN)
    at.button(key="FormSubmitter:sign_in-Continue").click().run()
    assert widget_keys(at) >= CONTROLS
    # The reader's page of the same server still has none of it.
    reader = open_app()
    assert not widget_keys(reader) & CONTROLS


def test_feedback_is_exported_from_the_maintainer_page(app_env):
    reader = open_app()
    turn = ask(reader, STRESS)
    reader.feedback(key=f"rating-{turn['id']}").set_value(0).run()
    at = signed_in()
    buttons = {d.proto.label: d for d in at.get("download_button")}
    assert {"Export feedback (CSV)", "Export feedback (JSON)"} <= set(buttons)
    from assistant.services import Services

    services = Services(app_env)
    rows = list(csv.DictReader(io.StringIO(services.export_feedback("csv"))))
    assert [(r["question"], r["rating"], r["answer_id"]) for r in rows] == [(STRESS, "down", turn["id"])]
    assert json.loads(services.export_feedback("json"))[0]["rating"] == "down"


def listed_sources(at: AppTest) -> int:
    return sum(" passage" in m.value and " · indexed " in m.value for m in at.main.markdown)


def test_reindex_reports_what_changed_and_lists_the_new_source(app_env):
    at = signed_in()
    indexed = listed_sources(at)
    corpus = app_env.corpus_dir
    (corpus / "notes.md").write_text(
        "# Notes on <b>kindness</b> *today*\n\nSelf-kindness grows in small daily steps.\n", encoding="utf-8"
    )
    (corpus / "odd *name* <b>.xyz").write_text("ignored", encoding="utf-8")
    at.button(key="reindex").click().run()
    run_until(at, lambda at: bool(at.main.success))
    report = plain(at.main.success[0].value)
    assert report.startswith(f"Re-indexed: 1 added, 0 updated, {indexed} unchanged, 0 deleted;")
    assert re.search(r"; [1-9]\d* passages embedded", report)
    assert any("odd *name* <b>.xyz" in plain(w.value) for w in at.main.warning)
    titles = [plain(m.value) for m in at.main.markdown]
    assert any(t.startswith("**Notes on <b>kindness</b> *today***\nuser file · 2 passages") for t in titles)
    assert listed_sources(at) == indexed + 1
    reader = open_app()
    answer = ask(reader, "How does self-kindness grow?")["answer"]
    assert "notes-md" in {c["source_id"] for c in answer["citations"]}


def test_reindex_shows_its_progress_while_it_runs(app_env):
    paragraphs = [
        f"Note {i}: a small act of self-kindness, repeated each day, changes how I treat myself." for i in range(400)
    ]
    (app_env.corpus_dir / "long-notes.md").write_text("\n\n".join(paragraphs), encoding="utf-8")
    at = signed_in()
    assert not at.main.get("progress")
    at.button(key="reindex").click().run()
    shown = [p.text for p in at.main.get("progress")]
    assert len(shown) == 1 and re.fullmatch(
        r"Looking for new or changed sources…|Embedding passages: \d+ of \d+", shown[0]
    )
    run_until(at, lambda at: bool(at.main.success))
    assert not at.main.get("progress")
    assert plain(at.main.success[0].value).startswith("Re-indexed: 1 added,")


def test_reindex_while_another_runs_says_so_and_questions_are_still_answered(app_env):
    at = signed_in()
    with writer_lock(app_env.index_dir):
        at.button(key="reindex").click().run()
        run_until(at, lambda at: bool(at.main.error))
        assert "Another re-index" in plain(at.main.error[0].value)
        assert ask(open_app(), STRESS)["answer"]["status"] == "answered"


def test_uploads_go_through_the_loaders_with_their_messages(app_env, tmp_path):
    write_rc4_pdf(tmp_path / "locked.pdf", ["Rest is part of the work."], user_password="secret")
    at = signed_in()
    assert set(at.get("file_uploader")[0].allowed_type) == {
        ".md",
        ".markdown",
        ".txt",
        ".text",
        ".html",
        ".htm",
        ".pdf",
    }
    at.get("file_uploader")[0].set_value([
        ("kindness.md", b"# Small kindnesses\n\nA kind word to oneself steadies a hard day.\n", "text/markdown"),
        ("locked.pdf", (tmp_path / "locked.pdf").read_bytes(), "application/pdf"),
        ("binary.txt", bytes(range(256)) * 4, "text/plain"),
    ]).run()  # fmt: skip
    at.button(key="add_documents").click().run()
    assert not at.exception
    said = [plain(x.value) for x in [*at.main.success, *at.main.error]]
    assert "kindness.md: added." in said
    assert (
        "locked.pdf: is encrypted and password-protected; save a copy without the password to index it; skipped."
        in said
    )
    assert "binary.txt: looks like a binary file, not text; skipped." in said
    assert sorted(p.name for p in (app_env.corpus_dir / "uploads").iterdir()) == ["kindness.md"]
    run_until(at, lambda at: any(plain(s.value).startswith("Re-indexed:") for s in at.main.success))
    reader = open_app()
    answer = ask(reader, "What steadies a hard day?")["answer"]
    assert "uploads-kindness-md" in {c["source_id"] for c in answer["citations"]}
