"""Conversations: recent turns kept in the database (shared by all workers and hosts), owned by their caller.

How a follow-up is recognised and resolved against the previous turn is ``cstassist.followup``.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from sqlalchemy import delete, select

from .database import Database, answers, conversations, turns, upsert

MAX_TURNS = 6
MAX_CONTEXT_CHARS = 1000  # of a stored turn's resolved query: what the next follow-up is joined to


class ConversationStore:
    """Recent turns of each conversation, in the one database (so a follow-up may land on any worker or host).

    A conversation belongs to the caller identity that started it (``access.Caller.identity``). Its id is
    made here, never by a client; an id that is unknown, or that belongs to someone else, starts a new
    conversation instead of joining that one. What is kept is bounded: the last ``MAX_TURNS`` turns, and
    each turn's resolved query cut to ``MAX_CONTEXT_CHARS`` (so a chain of follow-ups cannot grow it).
    """

    def __init__(self, db: Database | Path) -> None:
        self.db = db if isinstance(db, Database) else Database.for_path(db)

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def resume(self, conversation_id: str | None, owner: str) -> tuple[str, str | None]:
        """(the conversation to add this turn to, its last resolved query): ``conversation_id`` when ``owner``
        started it, else a new id with no context."""
        if conversation_id:
            with self.db.begin() as conn:
                started_by = conn.execute(
                    select(conversations.c.owner).where(conversations.c.conversation_id == conversation_id)
                ).scalar()
            if started_by is not None and started_by == owner:
                return conversation_id, self.last_resolved(conversation_id)
        return self.new_id(), None

    def last_resolved(self, conversation_id: str) -> str | None:
        with self.db.begin() as conn:
            return conn.execute(
                select(turns.c.resolved).where(turns.c.conversation_id == conversation_id).order_by(turns.c.id.desc()).limit(1)
            ).scalar()

    def last_answer(self, conversation_id: str) -> str | None:
        """The text of the conversation's last answer, when the service recorded it (``FeedbackStore.record_answer``);
        a follow-up's answer must not repeat it."""
        with self.db.begin() as conn:
            return conn.execute(
                select(answers.c.answer)
                .join(turns, turns.c.answer_id == answers.c.answer_id)
                .where(turns.c.conversation_id == conversation_id)
                .order_by(turns.c.id.desc())
                .limit(1)
            ).scalar()

    def add(self, conversation_id: str, question: str, resolved: str, answer_id: str, owner: str = "local") -> None:
        """Record a turn (starting the conversation, owned by ``owner``, if it is new) and drop turns past the limit."""
        now = time.time()
        with self.db.begin() as conn:
            upsert(
                conn, conversations, {"conversation_id": conversation_id, "owner": owner, "created_at": now}, ("conversation_id",)
            )
            conn.execute(
                turns.insert().values(
                    conversation_id=conversation_id,
                    at=now,
                    question=question[:MAX_CONTEXT_CHARS],
                    resolved=_bounded(resolved),
                    answer_id=answer_id,
                )
            )
            keep = (
                select(turns.c.id).where(turns.c.conversation_id == conversation_id).order_by(turns.c.id.desc()).limit(MAX_TURNS)
            )
            conn.execute(
                delete(turns).where(turns.c.conversation_id == conversation_id, turns.c.id.not_in(keep.scalar_subquery()))
            )


def _bounded(text: str) -> str:
    """At most ``MAX_CONTEXT_CHARS``, keeping the start (a chain of follow-ups keeps its original topic)."""
    if len(text) <= MAX_CONTEXT_CHARS:
        return text
    cut = text[:MAX_CONTEXT_CHARS]
    space = cut.rfind(" ")
    return cut[:space] if space > MAX_CONTEXT_CHARS // 2 else cut
