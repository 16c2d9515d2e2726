"""Conversations: recent turns kept in SQLite (shared by all workers), and follow-up resolution.

A follow-up such as "and what about the chief executive?" is resolved without an LLM by searching
with the previous turn's (resolved) question joined to the new one.
"""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from pathlib import Path

from .text import terms

MAX_TURNS = 6
_FOLLOW_UP_START = re.compile(
    r"^(and|but|also|so|then|what about|how about|what else|and what|and how|is that|does that|what if|why)\b", re.I
)
_REFERRING = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there|he|she|his|her|such|same|above)\b", re.I)


def is_follow_up(question: str) -> bool:
    q = question.strip()
    if _FOLLOW_UP_START.search(q):
        return True
    return bool(_REFERRING.search(q)) and len(terms(q)) <= 6


def resolve(question: str, previous: str | None) -> str:
    """The query to search with: the question itself, or joined to the previous one if it is a follow-up."""
    if previous and is_follow_up(question):
        return f"{previous} {question}"
    return question


class ConversationStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL cannot corrupt the file; a power cut may lose the last few rows, which here costs
        # at most a turn of context or an unrated answer's record, against an fsync on every answer.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS turns (conversation_id TEXT, at REAL, question TEXT, resolved TEXT, answer_id TEXT)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS turns_conv ON turns(conversation_id, at)")

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def last_resolved(self, conversation_id: str) -> str | None:
        row = self._db.execute(
            "SELECT resolved FROM turns WHERE conversation_id=? ORDER BY at DESC LIMIT 1", (conversation_id,)
        ).fetchone()
        return row[0] if row else None

    def add(self, conversation_id: str, question: str, resolved: str, answer_id: str) -> None:
        self._db.execute("INSERT INTO turns VALUES (?,?,?,?,?)", (conversation_id, time.time(), question, resolved, answer_id))
        self._db.execute(
            "DELETE FROM turns WHERE conversation_id=? AND at NOT IN (SELECT at FROM turns WHERE conversation_id=? ORDER BY at DESC LIMIT ?)",
            (conversation_id, conversation_id, MAX_TURNS),
        )
