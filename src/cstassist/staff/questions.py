"""What members ask: each recorded answer's outcome and confidence, the recent questions, and the report of the
questions the guidance could not answer (outcome ``none`` or ``related``), grouped by similarity.

Grouping embeds each unanswered question with the service's own embedder and walks them newest first: a question
joins the first group whose first (newest) question it resembles at cosine ``>= threshold``, else starts a group.
Groups come out newest first with their counts: the guidance staff should write next is at the top.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from ..database import Database, DatabaseUnavailable, answer_outcomes, answers, feedback, upsert

UNANSWERED = ("none", "related")
MAX_REPORT = 2000  # unanswered questions considered by one report (newest first)


@dataclass(frozen=True)
class AskedQuestion:
    answer_id: str
    at: float
    question: str
    outcome: str
    confidence: float | None
    citations: list[dict[str, Any]]
    asked_by: str  # the kind of caller: anonymous, key or token (never who)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class QuestionGroup:
    questions: list[AskedQuestion] = field(default_factory=list)

    @property
    def latest(self) -> AskedQuestion:
        return self.questions[0]

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.latest.question,
            "count": len(self.questions),
            "latest_at": self.latest.at,
            "outcomes": {o: sum(q.outcome == o for q in self.questions) for o in UNANSWERED},
            "questions": [q.as_dict() for q in self.questions],
        }


def group_questions(
    questions: Sequence[AskedQuestion], embed: Callable[[list[str]], np.ndarray], threshold: float
) -> list[QuestionGroup]:
    """Greedy grouping by cosine similarity (``embed`` returns unit-length rows), newest group first."""
    ordered = sorted(questions, key=lambda q: q.at, reverse=True)
    if not ordered:
        return []
    vectors = np.asarray(embed([q.question for q in ordered]), dtype=np.float32)
    groups: list[QuestionGroup] = []
    seeds: list[np.ndarray] = []
    for q, v in zip(ordered, vectors):
        sims = [float(np.dot(s, v)) for s in seeds]
        best = int(np.argmax(sims)) if sims else -1
        if best >= 0 and sims[best] >= threshold:
            groups[best].questions.append(q)
        else:
            groups.append(QuestionGroup([q]))
            seeds.append(v)
    return groups


def _kind(owner: str) -> str:
    return {"anon": "anonymous", "key": "key", "token": "token"}.get(owner.split(":", 1)[0], "local")


class QuestionLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, answer_id: str, outcome: str, confidence: float | None) -> None:
        values = {"answer_id": answer_id, "at": time.time(), "outcome": outcome, "confidence": confidence}
        try:
            with self.db.begin() as conn:
                upsert(conn, answer_outcomes, values, ("answer_id",), ("at", "outcome", "confidence"))
        except DatabaseUnavailable:
            pass  # the answer itself went unrecorded too; the member still got it

    def recent(self, limit: int = 200, outcomes: Sequence[str] | None = None) -> list[AskedQuestion]:
        """The newest recorded questions (each with the outcome it got), optionally of the given outcomes only."""
        a, o = answers.c, answer_outcomes.c
        query = select(a.answer_id, a.at, a.question, o.outcome, o.confidence, a.citations, a.owner).join_from(
            answers, answer_outcomes, a.answer_id == o.answer_id
        )
        if outcomes:
            query = query.where(o.outcome.in_(list(outcomes)))
        with self.db.begin() as conn:
            rows = conn.execute(query.order_by(a.at.desc()).limit(limit)).all()
        return [AskedQuestion(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), _kind(r[6])) for r in rows]

    def feedback(self, rating: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Members' ratings, newest first, each with the question, the answer and its citations."""
        f, a, o = feedback.c, answers.c, answer_outcomes.c
        query = (
            select(f.answer_id, f.at, f.rating, f.comment, a.question, a.answer, a.citations, o.outcome)
            .join_from(feedback, answers, f.answer_id == a.answer_id)
            .outerjoin(answer_outcomes, o.answer_id == f.answer_id)
        )
        if rating:
            query = query.where(f.rating == rating)
        with self.db.begin() as conn:
            rows = conn.execute(query.order_by(f.at.desc()).limit(limit)).all()
        keys = ("answer_id", "at", "rating", "comment", "question", "answer", "citations", "outcome")
        return [{**dict(zip(keys, r)), "citations": json.loads(r[6])} for r in rows]

    def unanswered(self, embed: Callable[[list[str]], np.ndarray], threshold: float) -> list[QuestionGroup]:
        return group_questions(self.recent(MAX_REPORT, UNANSWERED), embed, threshold)


def unanswered_csv(groups: Sequence[QuestionGroup]) -> str:
    """One row per question, with its group's number, size and lead question: opens in any spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "group_count", "group_question", "question", "outcome", "confidence", "asked_at_utc"])
    for n, g in enumerate(groups, 1):
        for q in g.questions:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(q.at))
            conf = "" if q.confidence is None else f"{q.confidence:.3f}"
            writer.writerow([n, len(g.questions), _cell(g.latest.question), _cell(q.question), q.outcome, conf, when])
    return out.getvalue()


def feedback_csv(items: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rated_at_utc", "rating", "comment", "question", "answer", "outcome", "cited_documents", "answer_id"])
    for i in items:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(i["at"]))
        docs = " ".join(dict.fromkeys(str(c.get("document_id")) for c in i["citations"]))
        cells = [i["comment"] or "", i["question"], i["answer"]]
        writer.writerow([when, i["rating"], *map(_cell, cells), i["outcome"] or "", docs, i["answer_id"]])
    return out.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet cell that cannot run as a formula (CSV injection): a leading = + - @ is quoted."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
