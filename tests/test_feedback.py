"""Feedback: stored in SQLite, exported as CSV or JSON, from Python and from the command line."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from assistant.feedback import COLUMNS, FeedbackStore, default_path

CITED = ["healing-from-within:2014-2248:455260369979", "healing-from-within:2249-2533:fc397bdb433b"]


@pytest.fixture
def store(tmp_path):
    return FeedbackStore(default_path(tmp_path / "data"))


def fill(store: FeedbackStore) -> None:
    common = {"session_id": "a1b2", "question": 'Why "rest", <b>really</b>?', "answer": "Rest heals,\nsee [1]."}
    store.record(**common, status="answered", citation_chunk_ids=CITED, rating="up")
    store.record(**common, status="answered", citation_chunk_ids=CITED, rating="down", comment="  Too long; a, b  ")
    store.record(**common, status="answered", citation_chunk_ids=CITED, wrong_chunk_id=CITED[1])
    store.record(session_id="c3d4", question="Capital of France?", answer="Not covered.", status="not_found")


def test_records_are_kept_in_order_with_what_the_reader_did(store):
    fill(store)
    rows = store.all()
    assert [(r.rating, r.comment, r.wrong_chunk_id) for r in rows] == [
        ("up", "", ""),
        ("down", "Too long; a, b", ""),
        ("", "", CITED[1]),
        ("", "", ""),
    ]
    assert rows[0].citation_chunk_ids == CITED and rows[3].citation_chunk_ids == []
    assert [r.id for r in rows] == [1, 2, 3, 4]
    assert all(r.created_at.endswith("Z") for r in rows)
    assert store.path.exists() and store.path.parent.name == "data"


def test_only_the_listed_fields_are_stored(store):
    fill(store)
    db = sqlite3.connect(store.path)
    try:
        columns = [row[1] for row in db.execute("PRAGMA table_info(feedback)")]
    finally:
        db.close()
    assert columns == COLUMNS


def test_a_rating_is_up_down_or_nothing(store):
    with pytest.raises(ValueError):
        store.record(session_id="s", question="q", answer="a", status="answered", rating="5 stars")
    assert store.all() == []


def test_csv_export_round_trips(store):
    fill(store)
    out = io.StringIO()
    assert store.export_csv(out) == 4
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == COLUMNS
    for row, record in zip(rows, store.all(), strict=True):
        assert row["citation_chunk_ids"].split() == record.citation_chunk_ids
        assert {k: v for k, v in row.items() if k != "citation_chunk_ids"} == {
            k: str(v) for k, v in record.to_dict().items() if k != "citation_chunk_ids"
        }


def test_json_export_round_trips(store):
    fill(store)
    out = io.StringIO()
    assert store.export_json(out) == 4
    assert json.loads(out.getvalue()) == [r.to_dict() for r in store.all()]


def test_many_threads_can_record_at_once(store):
    def work(n: int) -> None:
        for i in range(10):
            store.record(session_id=f"s{n}", question=f"q{i}", answer="a", status="answered", rating="up")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.all()) == 80


def cli(tmp_path, *args):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [sys.executable, "-m", "assistant", "feedback", "export", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_command_line_exports_csv_and_json(tmp_path, store):
    fill(store)
    as_csv = cli(tmp_path)
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["rating"] for r in rows] == ["up", "down", "", ""]
    assert rows[2]["wrong_chunk_id"] == CITED[1]
    assert "Exported 4 feedback rows" in as_csv.stderr

    target = tmp_path / "out" / "feedback.json"
    target.parent.mkdir()
    as_json = cli(tmp_path, "--format", "json", "--output", str(target))
    assert as_json.returncode == 0, as_json.stderr
    assert as_json.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8")) == [r.to_dict() for r in store.all()]


def test_the_command_line_exports_nothing_before_any_feedback(tmp_path):
    result = cli(tmp_path, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert not (tmp_path / "data").exists()  # exporting creates nothing


def test_the_command_line_rejects_an_unknown_format(tmp_path):
    result = cli(tmp_path, "--format", "xml")
    assert result.returncode == 2
    assert "xml" in result.stderr


FORMULAS = ['=HYPERLINK("http://example.org","x")', "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def test_a_spreadsheet_never_reads_an_exported_cell_as_a_formula(tmp_path, store):
    for text in FORMULAS:
        store.record(session_id="s", question=text, answer="a", status="answered", comment=f"x{text}")
        store.record(session_id="s", question="q", answer=text, status="answered", rating="up")
    target = tmp_path / "feedback.csv"
    assert cli(tmp_path, "--output", str(target)).returncode == 0
    from_app = io.StringIO()
    store.export_csv(from_app)
    exports = {"command": target.read_bytes().decode("utf-8"), "app": from_app.getvalue()}
    for where, text in exports.items():
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        cells = [value for row in rows for value in row.values()]
        assert not [c for c in cells if c[:1] in {"=", "+", "-", "@", "\t", "\r"}], where
        # Each value is still there, behind one apostrophe.
        assert [r["question"] for r in rows[::2]] == [f"'{t}" for t in FORMULAS], where
        assert [r["answer"] for r in rows[1::2]] == [f"'{t}" for t in FORMULAS], where
    assert [r.question for r in store.all()[::2]] == FORMULAS  # the store and the JSON export keep them as written
