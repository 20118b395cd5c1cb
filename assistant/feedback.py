"""Readers' feedback on answers, kept in a small SQLite file for whoever maintains the corpus.

Each row is one thing a reader did: rated an answer, left a comment, or
flagged a citation as wrong. It holds the question, the answer and its
citations, what the reader said, a timestamp and a random id of the app
session, so that the rows of one conversation can be read together.

Deliberately not stored: anything else about the reader (no name, address,
browser or IP), and no edits: a changed rating is a new row, the newest wins.
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
    wrong_chunk_id TEXT NOT NULL
);
"""


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


class FeedbackStore:
    """Append-only feedback in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

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
        rating: str = "",
        comment: str = "",
        wrong_chunk_id: str = "",
    ) -> FeedbackRecord:
        """Store one piece of feedback and return it as stored."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        created_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        record = FeedbackRecord(
            id=0, created_at=created_at, session_id=session_id, question=question, answer=answer, status=status,
            citation_chunk_ids=list(citation_chunk_ids), rating=rating, comment=comment.strip(),
            wrong_chunk_id=wrong_chunk_id,
        )  # fmt: skip
        row = {**record.to_dict(), "citation_chunk_ids": json.dumps(record.citation_chunk_ids)}
        del row["id"]
        with self._lock, self._connect() as db:
            cursor = db.execute(
                f"INSERT INTO feedback ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
            )
            row_id = cursor.lastrowid or 0
        log.info("feedback recorded id=%s status=%s rating=%s wrong=%s", row_id, status, rating, bool(wrong_chunk_id))
        return replace(record, id=row_id)

    def all(self) -> list[FeedbackRecord]:
        """Every row, oldest first."""
        with self._connect() as db:
            rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall()
        records = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
        return [FeedbackRecord(**{**r, "citation_chunk_ids": json.loads(r["citation_chunk_ids"])}) for r in records]

    def export_csv(self, file: IO[str]) -> int:
        """Write every row as CSV with a header; returns the number of rows."""
        return write_csv(self.all(), file)

    def export_json(self, file: IO[str]) -> int:
        """Write every row as one JSON array of objects; returns the number of rows."""
        return write_json(self.all(), file)


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
