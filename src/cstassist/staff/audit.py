"""The audit log: every staff action, who took it (the admin key), on what, and when.

log = AuditLog(db)
log.record("key:0123456789ab (ops)", "upload", "strong-trust-2025", "strong-trust-2025.pdf")
log.recent(50)   # newest first
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from ..database import Database, audit_log

MAX_DETAIL = 500


@dataclass(frozen=True)
class AuditEntry:
    at: float
    actor: str
    action: str
    target: str
    detail: str


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        """Append one entry; ``detail`` is cut to a line of at most 500 characters."""
        line = " ".join(detail.split())[:MAX_DETAIL]
        with self.db.begin(durable=True) as conn:
            conn.execute(audit_log.insert().values(at=time.time(), actor=actor, action=action, target=target[:500], detail=line))

    def recent(self, limit: int = 200) -> list[AuditEntry]:
        c = audit_log.c
        with self.db.begin() as conn:
            rows = conn.execute(
                select(c.at, c.actor, c.action, c.target, c.detail).order_by(c.at.desc(), c.id.desc()).limit(limit)
            ).all()
        return [AuditEntry(*r) for r in rows]
