"""Importing a data directory written by cstassist 0.3, whose state lived in four SQLite files
(``state.sqlite``, ``access.sqlite``, ``feedback.sqlite``, ``conversations.sqlite``), into the one database.

Every row is copied; nothing is dropped. Each file is renamed to ``<name>.imported`` once its rows are
committed, so the import runs once and the originals stay on disk until someone deletes them. Rows of
0.3 had no owner: they get ``legacy``, an identity no caller has, so an old conversation is not
continued and an old answer takes no new feedback (its stored feedback is kept and exported).
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from . import database as t

if TYPE_CHECKING:
    from .database import Database

log = logging.getLogger(__name__)
LEGACY_OWNER = "legacy"
FILES = ("state.sqlite", "access.sqlite", "feedback.sqlite", "conversations.sqlite")


def import_legacy(db: Database, data_dir: Path) -> list[str]:
    """Copy the rows of every 0.3 SQLite file in ``data_dir`` into ``db``; returns the files imported."""
    done = []
    for name in FILES:
        path = data_dir / name
        if not path.is_file():
            continue
        with closing(sqlite3.connect(path, timeout=30)) as src:
            src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            with db.begin(durable=True) as conn:
                counts = _copy(src, tables, conn)
        for suffix in ("", "-wal", "-shm"):
            f = data_dir / (name + suffix)
            if f.exists():
                f.rename(data_dir / (name + suffix + ".imported"))
        log.warning("imported %s into the database (%s); the file is kept as %s.imported", name, counts, name)
        done.append(name)
    return done


def _copy(src: sqlite3.Connection, tables: set[str], conn: Connection) -> dict[str, int]:
    counts: dict[str, int] = {}

    def rows(sql: str) -> list[tuple]:  # type: ignore[type-arg]
        return src.execute(sql).fetchall()

    def put(table: t.Table, values: dict, key: tuple[str, ...]) -> None:  # type: ignore[type-arg]
        t.upsert(conn, table, values, key)
        counts[table.name] = counts.get(table.name, 0) + 1

    if "documents" in tables:
        for r in rows(
            "SELECT document_id, source, fingerprint, size, mtime_ns, status, chunk_count, meta, updated_at FROM documents"
        ):
            put(t.documents, dict(zip(t.documents.c.keys(), r)), ("document_id",))
    if "kv" in tables:
        for k, v in rows("SELECT key, value FROM kv"):
            put(t.kv, {"key": k, "value": v}, ("key",))
    if "api_keys" in tables:
        for r in rows("SELECT key_id, name, scope, hash, created_at, revoked_at FROM api_keys"):
            put(t.api_keys, dict(zip(t.api_keys.c.keys(), r)), ("key_id",))
    if "secrets" in tables:
        for k, v in rows("SELECT name, value FROM secrets"):
            put(t.secrets, {"name": k, "value": v}, ("name",))
    if "answers" in tables:
        for a_id, at, q, a, cites, abstained in rows("SELECT answer_id, at, question, answer, citations, abstained FROM answers"):
            values = dict(answer_id=a_id, owner=LEGACY_OWNER, at=at or 0.0, question=q or "", answer=a or "")
            put(t.answers, {**values, "citations": cites or "[]", "abstained": bool(abstained)}, ("answer_id",))
    if "feedback" in tables:
        for a_id, at, rating, comment in rows("SELECT answer_id, at, rating, comment FROM feedback"):
            values = {"answer_id": a_id, "owner": LEGACY_OWNER, "at": at or 0.0, "rating": rating, "comment": comment}
            put(t.feedback, values, ("answer_id",))
    if "turns" in tables:
        known = {r[0] for r in conn.execute(select(t.conversations.c.conversation_id))}
        for cid, at, q, resolved, a_id in rows(
            "SELECT conversation_id, at, question, resolved, answer_id FROM turns ORDER BY at"
        ):
            if cid in known:
                continue  # imported before (a run stopped between commit and rename): its turns are there
            if counts.get("conversations:" + cid) is None:
                put(
                    t.conversations,
                    {"conversation_id": cid, "owner": LEGACY_OWNER, "created_at": at or 0.0},
                    ("conversation_id",),
                )
                counts["conversations:" + cid] = 1
            conn.execute(
                t.turns.insert().values(conversation_id=cid, at=at or 0.0, question=q, resolved=resolved, answer_id=a_id)
            )
            counts["turns"] = counts.get("turns", 0) + 1
    return {k: v for k, v in counts.items() if ":" not in k}
