"""Readers' conversations, kept so that a reload or a later visit finds them again.

A conversation is opened by its id: a random string of 144 bits that only the
browser which started it knows (it sits in that page's address), and anyone
the reader gives the link to. Which conversations a browser started is told
by its *owner* key, another random string the browser keeps in a cookie; a
page lists the conversations of its own browser and no other. Each one also
has a separate random ``feedback_id``, the only id its feedback rows carry, so
that exported feedback never holds a key that opens a conversation.

Deliberately not stored: anything about the reader beyond what they typed and
what they were answered. Not handled: accounts, or following a reader from
one browser to another; a conversation opened from a shared link is read in
the other browser, and a question asked there continues in a copy of its own
(:meth:`Conversation.fork`), so two people never write into one conversation.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CONVERSATIONS_FILE = "conversations.sqlite3"
TITLE_CHARS = 60

# What a browser key or a conversation id looks like; anything else is ignored, not looked up.
_KEY = re.compile(r"[A-Za-z0-9_-]{20,64}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    feedback_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    turns TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_owner ON conversations (owner, updated_at);
"""


def new_key() -> str:
    """A fresh random id for a conversation or a browser, fit for a URL or a cookie."""
    return secrets.token_urlsafe(18)


def is_key(value: object) -> bool:
    """Whether a value from a URL or a cookie looks like one of our keys.

    >>> is_key(new_key()), is_key("../etc/passwd"), is_key("")
    (True, False, False)
    """
    return isinstance(value, str) and _KEY.fullmatch(value) is not None


def title_of(question: str, chars: int = TITLE_CHARS) -> str:
    """A conversation's name in a list: its first question, shortened at a word.

    >>> title_of("How does self-compassion help with stress at work and at home, and why?", chars=40)
    'How does self-compassion help with…'
    """
    text = " ".join(question.split())
    if len(text) <= chars:
        return text
    cut = text[: chars - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


@dataclass(kw_only=True)
class Conversation:
    """One reader's questions and the answers they were given, in order.

    ``turns`` are ``{"id": str, "question": str as typed, "answer": Answer.to_dict()}``.
    """

    id: str = field(default_factory=new_key)
    owner: str
    feedback_id: str = field(default_factory=new_key)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    turns: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return title_of(self.turns[0]["question"]) if self.turns else "New conversation"

    def fork(self, owner: str) -> Conversation:
        """A copy for another browser, with ids of its own: what is asked there stays there."""
        return Conversation(owner=owner, turns=[dict(t) for t in self.turns])


@dataclass(frozen=True, kw_only=True)
class ConversationSummary:
    """A conversation as a list shows it."""

    id: str
    title: str
    updated_at: float
    questions: int


class ConversationStore:
    """Conversations in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short-lived connection per call: the app calls from many threads.
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def get(self, conversation_id: object) -> Conversation | None:
        """The conversation with this id, or None (also for anything that is not an id)."""
        if not is_key(conversation_id):
            return None
        with self._connect() as db:
            row = db.execute(
                "SELECT id, owner, feedback_id, created_at, updated_at, turns FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
        if row is None:
            return None
        cid, owner, feedback_id, created_at, updated_at, turns = row
        return Conversation(
            id=cid, owner=owner, feedback_id=feedback_id, created_at=created_at, updated_at=updated_at,
            turns=json.loads(turns),
        )  # fmt: skip

    def save(self, conversation: Conversation) -> Conversation:
        """Store the conversation as it stands now, and return it with its time of change."""
        saved = replace(conversation, updated_at=time.time())
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO conversations (id, owner, feedback_id, created_at, updated_at, turns) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, "
                "turns = excluded.turns",
                (
                    saved.id, saved.owner, saved.feedback_id, saved.created_at, saved.updated_at,
                    json.dumps(saved.turns, ensure_ascii=False),
                ),
            )  # fmt: skip
        return saved

    def listed(self, owner: str, limit: int = 30) -> list[ConversationSummary]:
        """The conversations a browser started, the most recent first."""
        if not is_key(owner):
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, updated_at, turns FROM conversations WHERE owner = ? ORDER BY updated_at DESC LIMIT ?",
                (owner, limit),
            ).fetchall()
        summaries = []
        for cid, updated_at, turns in rows:
            questions = json.loads(turns)
            first = questions[0]["question"] if questions else ""
            summaries.append(
                ConversationSummary(id=cid, title=title_of(first), updated_at=updated_at, questions=len(questions))
            )
        return summaries

    def delete(self, conversation_id: str, owner: str) -> bool:
        """Delete a conversation, only for the browser that started it; True if one was deleted."""
        with self._lock, self._connect() as db:
            deleted = db.execute(
                "DELETE FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner)
            ).rowcount
        return deleted > 0

    def prune(self, days: float) -> int:
        """Delete the conversations nobody has touched for ``days``; returns how many."""
        cutoff = time.time() - days * 86400
        with self._lock, self._connect() as db:
            deleted = db.execute("DELETE FROM conversations WHERE updated_at < ?", (cutoff,)).rowcount
        if deleted:
            log.info("conversations pruned count=%s days=%s", deleted, days)
        return deleted
