"""Readers' feedback on answers, kept in a small SQLite file for whoever maintains the corpus.

A row is what a reader said about one answer: its rating and note together,
updated in place when they change either; or one citation they flagged as
wrong. It holds the question, the answer and its citations, what the reader
said, when, and a random id of the conversation (not the id that opens it), so
that the rows of one conversation can be read together. A reader's page reads
back only the rows of its own conversation (:meth:`FeedbackStore.for_session`).

Deliberately not stored: anything else about the reader (no name, address,
browser or IP), and no history of edits: a changed rating replaces the old one.
Rows recorded without an ``answer_id`` (older files, scripts) are only ever added.
"""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

FEEDBACK_FILE = "feedback.sqlite3"
RATINGS = ("up", "down", "")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    session_id TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    status TEXT NOT NULL,
    citation_chunk_ids TEXT NOT NULL,
    rating TEXT NOT NULL,
    comment TEXT NOT NULL,
    wrong_chunk_id TEXT NOT NULL,
    answer_id TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT ''
);
"""
# Columns added since the first version of the file, added to an older file when it is opened.
_ADDED_COLUMNS = {"answer_id": "TEXT NOT NULL DEFAULT ''", "updated_at": "TEXT NOT NULL DEFAULT ''"}


@dataclass(frozen=True, kw_only=True)
class FeedbackRecord:
    id: int
    created_at: str  # UTC, ISO 8601
    session_id: str
    question: str
    answer: str
    status: str  # the answer's status: answered | not_found | crisis | invalid
    citation_chunk_ids: list[str]
    rating: str  # "up", "down" or "" when the row is a comment or a flag only
    comment: str
    wrong_chunk_id: str  # the citation the reader says is wrong, or ""
    answer_id: str = ""  # which answer of the conversation; rows with one are updated, not repeated
    updated_at: str = ""  # UTC, ISO 8601: the last change, or "" when never changed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


COLUMNS = [f.name for f in fields(FeedbackRecord)]


def default_path(data_dir: Path) -> Path:
    """Where the app keeps feedback: ``default_path(Path("data"))`` is ``data/feedback.sqlite3``."""
    return data_dir / FEEDBACK_FILE


# A cell starting with one of these is a formula to a spreadsheet (a tab or carriage return before one, too).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading apostrophe.

    >>> spreadsheet_safe("=1+1"), spreadsheet_safe("-2+3"), spreadsheet_safe("Too long")
    ("'=1+1", "'-2+3", 'Too long')
    """
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def csv_row(record: FeedbackRecord) -> dict[str, str | int]:
    """A record as one CSV row; the chunk ids are joined by spaces (ids contain none); no cell is a formula.

    >>> record = FeedbackRecord(id=1, created_at="t", session_id="s", question="q", answer="a", status="answered",
    ...     citation_chunk_ids=["x:0-1:ab", "y:2-3:cd"], rating="up", comment="@once", wrong_chunk_id="")
    >>> csv_row(record)["citation_chunk_ids"], csv_row(record)["comment"]
    ('x:0-1:ab y:2-3:cd', "'@once")
    """
    row: dict[str, str | int] = {**record.to_dict()}
    row["citation_chunk_ids"] = " ".join(record.citation_chunk_ids)
    return {key: spreadsheet_safe(value) if isinstance(value, str) else value for key, value in row.items()}


@dataclass(frozen=True, kw_only=True)
class AnswerFeedback:
    """What a reader has said about one answer so far, as their page shows it back."""

    rating: str = ""
    comment: str = ""
    flagged: frozenset[str] = frozenset()  # chunk ids of the citations flagged as wrong


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class FeedbackStore:
    """Feedback in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)
            present = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
            for column, kind in _ADDED_COLUMNS.items():
                if column not in present:
                    db.execute(f"ALTER TABLE feedback ADD COLUMN {column} {kind}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection in one transaction, closed afterwards.

        One per call because the app calls from many script threads, and a
        sqlite3 connection must not cross threads.
        """
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def record(
        self,
        *,
        session_id: str,
        question: str,
        answer: str,
        status: str,
        citation_chunk_ids: Sequence[str] = (),
        rating: str | None = None,
        comment: str | None = None,
        wrong_chunk_id: str = "",
        answer_id: str = "",
    ) -> FeedbackRecord:
        """Store one piece of feedback and return the row as it now stands.

        With an ``answer_id``, the row of that answer in that session (or of
        that flagged citation) is updated if there is one: ``rating`` and
        ``comment`` replace what it held, and ``None`` leaves a field as it
        was. Without one, a new row is always added.
        """
        if rating is not None and rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        with self._lock, self._connect() as db:
            existing = None
            if answer_id:
                existing = db.execute(
                    f"SELECT {', '.join(COLUMNS)} FROM feedback WHERE session_id = ? AND answer_id = ? "
                    "AND wrong_chunk_id = ? ORDER BY id DESC LIMIT 1",
                    (session_id, answer_id, wrong_chunk_id),
                ).fetchone()
            if existing is not None:
                before = _record(existing)
                record = replace(
                    before, question=question, answer=answer, status=status,
                    citation_chunk_ids=list(citation_chunk_ids),
                    rating=before.rating if rating is None else rating,
                    comment=before.comment if comment is None else comment.strip(), updated_at=_now(),
                )  # fmt: skip
                row = _row(record)
                db.execute(
                    f"UPDATE feedback SET {', '.join(f'{k} = ?' for k in row)} WHERE id = ?", [*row.values(), record.id]
                )
            else:
                record = FeedbackRecord(
                    id=0, created_at=_now(), session_id=session_id, question=question, answer=answer, status=status,
                    citation_chunk_ids=list(citation_chunk_ids), rating=rating or "", comment=(comment or "").strip(),
                    wrong_chunk_id=wrong_chunk_id, answer_id=answer_id,
                )  # fmt: skip
                row = _row(record)
                cursor = db.execute(
                    f"INSERT INTO feedback ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
                )
                record = replace(record, id=cursor.lastrowid or 0)
        log.info(
            "feedback %s id=%s status=%s rating=%s wrong=%s",
            "updated" if existing is not None else "recorded", record.id, status, record.rating, bool(wrong_chunk_id),
        )  # fmt: skip
        return record

    def for_session(self, session_id: str) -> dict[str, AnswerFeedback]:
        """What one conversation's reader has said, by answer id; nothing of any other conversation."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT answer_id, rating, comment, wrong_chunk_id FROM feedback "
                "WHERE session_id = ? AND answer_id != '' ORDER BY id",
                (session_id,),
            ).fetchall()
        said: dict[str, AnswerFeedback] = {}
        for answer_id, rating, comment, wrong in rows:
            now = said.get(answer_id, AnswerFeedback())
            if wrong:
                said[answer_id] = replace(now, flagged=now.flagged | {wrong})
            else:
                said[answer_id] = replace(now, rating=rating, comment=comment)
        return said

    def all(self) -> list[FeedbackRecord]:
        """Every row, oldest first."""
        with self._connect() as db:
            rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall()
        return [_record(row) for row in rows]

    def export_csv(self, file: IO[str]) -> int:
        """Write every row as CSV with a header; returns the number of rows."""
        return write_csv(self.all(), file)

    def export_json(self, file: IO[str]) -> int:
        """Write every row as one JSON array of objects; returns the number of rows."""
        return write_json(self.all(), file)


def _record(row: Sequence[Any]) -> FeedbackRecord:
    values = dict(zip(COLUMNS, row, strict=True))
    return FeedbackRecord(**{**values, "citation_chunk_ids": json.loads(values["citation_chunk_ids"])})


def _row(record: FeedbackRecord) -> dict[str, Any]:
    """A record as the columns it is stored in, without its id."""
    row = {**record.to_dict(), "citation_chunk_ids": json.dumps(record.citation_chunk_ids)}
    del row["id"]
    return row


def write_csv(records: Sequence[FeedbackRecord], file: IO[str]) -> int:
    writer = csv.DictWriter(file, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(csv_row(r) for r in records)
    return len(records)


def write_json(records: Sequence[FeedbackRecord], file: IO[str]) -> int:
    json.dump([r.to_dict() for r in records], file, ensure_ascii=False, indent=2)
    file.write("\n")
    return len(records)


WRITERS: dict[str, Callable[[Sequence[FeedbackRecord], IO[str]], int]] = {"csv": write_csv, "json": write_json}
