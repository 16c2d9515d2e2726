"""Members' feedback on answers (thumbs up/down, optional comment), kept for staff and the eval harness."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import IO, Any

from .errors import BadRequest, NotFound

MAX_COMMENT = 2000


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL cannot corrupt the file; a power cut may lose the last few rows, which here costs
        # at most a turn of context or an unrated answer's record, against an fsync on every answer.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS answers (answer_id TEXT PRIMARY KEY, at REAL, question TEXT, answer TEXT, citations TEXT, abstained INTEGER)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS feedback (answer_id TEXT PRIMARY KEY, at REAL, rating TEXT, comment TEXT)")

    def record_answer(self, answer_id: str, question: str, answer: str, citations: list[dict[str, Any]], abstained: bool) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO answers VALUES (?,?,?,?,?,?)",
            (
                answer_id,
                time.time(),
                question,
                answer,
                json.dumps([{k: c[k] for k in ("n", "chunk_id", "document_id")} for c in citations]),
                int(abstained),
            ),
        )

    def add(self, answer_id: Any, rating: Any, comment: Any = None) -> None:
        """Store (or replace: the last rating wins) feedback on an answer this service gave."""
        if (
            not isinstance(answer_id, str)
            or not self._db.execute("SELECT 1 FROM answers WHERE answer_id=?", (answer_id,)).fetchone()
        ):
            raise NotFound("unknown answer_id")
        if rating not in ("up", "down"):
            raise BadRequest("rating must be 'up' or 'down'")
        if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
            raise BadRequest(f"comment must be text of at most {MAX_COMMENT} characters")
        self._db.execute("INSERT OR REPLACE INTO feedback VALUES (?,?,?,?)", (answer_id, time.time(), rating, comment or None))

    def export(self, out: IO[str]) -> int:
        """Write one JSON object per feedback item (with the question and answer) and return the count."""
        rows = self._db.execute(
            "SELECT f.answer_id, f.at, f.rating, f.comment, a.question, a.answer, a.citations, a.abstained "
            "FROM feedback f JOIN answers a USING (answer_id) ORDER BY f.at"
        )
        n = 0
        for r in rows:
            out.write(
                json.dumps(
                    {
                        "answer_id": r[0],
                        "at": r[1],
                        "rating": r[2],
                        "comment": r[3],
                        "question": r[4],
                        "answer": r[5],
                        "citations": json.loads(r[6]),
                        "abstained": bool(r[7]),
                    }
                )
                + "\n"
            )
            n += 1
        return n
