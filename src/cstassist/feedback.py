"""Answer records and members' feedback on them (thumbs up/down, optional comment), kept for staff and
the eval harness. Each answer belongs to the caller that asked (``owner``, see ``access.Caller.identity``);
only that caller may rate it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from .database import Database, answers, feedback, upsert
from .errors import BadRequest, NotFound

MAX_COMMENT = 2000


class FeedbackStore:
    def __init__(self, db: Database | Path) -> None:
        self.db = db if isinstance(db, Database) else Database.for_path(db)

    def record_answer(
        self,
        answer_id: str,
        question: str,
        answer: str,
        citations: list[dict[str, Any]],
        abstained: bool,
        owner: str = "local",
    ) -> None:
        values = dict(
            answer_id=answer_id,
            owner=owner,
            at=time.time(),
            question=question,
            answer=answer,
            citations=json.dumps([{k: c[k] for k in ("n", "chunk_id", "document_id")} for c in citations]),
            abstained=bool(abstained),
        )
        with self.db.begin() as conn:
            upsert(conn, answers, values, ("answer_id",), tuple(k for k in values if k != "answer_id"))

    def add(self, answer_id: Any, rating: Any, comment: Any = None, owner: str = "local") -> None:
        """Store (or replace: the last rating wins) feedback on an answer this service gave to ``owner``. Someone
        else's answer is refused exactly like one that does not exist."""
        if not isinstance(answer_id, str):
            raise NotFound("unknown answer_id")
        with self.db.begin() as conn:
            answered_to = conn.execute(select(answers.c.owner).where(answers.c.answer_id == answer_id)).scalar()
        if answered_to is None or answered_to != owner:
            raise NotFound("unknown answer_id")
        if rating not in ("up", "down"):
            raise BadRequest("rating must be 'up' or 'down'")
        if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
            raise BadRequest(f"comment must be text of at most {MAX_COMMENT} characters")
        values = {"answer_id": answer_id, "owner": owner, "at": time.time(), "rating": rating, "comment": comment or None}
        with self.db.begin() as conn:
            upsert(conn, feedback, values, ("answer_id",), ("owner", "at", "rating", "comment"))

    def export(self, out: IO[str]) -> int:
        """Write one JSON object per feedback item (with the question and answer) and return the count."""
        f, a = feedback.c, answers.c
        query = (
            select(f.answer_id, f.at, f.rating, f.comment, a.question, a.answer, a.citations, a.abstained)
            .join_from(feedback, answers, f.answer_id == a.answer_id)
            .order_by(f.at)
        )
        n = 0
        with self.db.begin() as conn:
            for r in conn.execute(query):
                row = {"answer_id": r[0], "at": r[1], "rating": r[2], "comment": r[3], "question": r[4], "answer": r[5]}
                out.write(json.dumps({**row, "citations": json.loads(r[6]), "abstained": bool(r[7])}) + "\n")
                n += 1
        return n
