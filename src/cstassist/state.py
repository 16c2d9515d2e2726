"""The ingest ledger: which documents are in the index, from which file version, and whether their last
write finished. It is what makes ingest incremental and crash-safe. Its rows live in the one database
(``database.documents`` and ``database.kv``), so every API host sees the same ledger.

A document is marked ``pending`` *before* its chunks are touched in Chroma and ``done`` after; a run
that finds ``pending`` rows (the previous run was killed) redoes those documents. The ``generation``
counter goes up whenever the index changes, which tells readers (on any host) to refresh derived data.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, String, cast, delete, select, update

from .database import Database, documents, kv, upsert
from .documents import DocumentMeta


@dataclass(frozen=True)
class LedgerRow:
    document_id: str
    source: str
    fingerprint: str
    size: int
    mtime_ns: int
    status: str
    chunk_count: int
    meta: DocumentMeta


class Ledger:
    def __init__(self, db: Database | Path) -> None:
        self.db = db if isinstance(db, Database) else Database.for_path(db)

    def close(self) -> None:
        self.db.dispose()

    def rows(self) -> dict[str, LedgerRow]:
        c = documents.c
        cols = (c.document_id, c.source, c.fingerprint, c.size, c.mtime_ns, c.status, c.chunk_count, c.meta)
        with self.db.begin() as conn:
            found = conn.execute(select(*cols)).all()
        return {r[0]: LedgerRow(*r[:7], meta=DocumentMeta(**json.loads(r[7]))) for r in found}

    def mark_pending(self, meta: DocumentMeta, source: str, fingerprint: str, size: int, mtime_ns: int) -> None:
        values = dict(
            document_id=meta.document_id,
            source=source,
            fingerprint=fingerprint,
            size=size,
            mtime_ns=mtime_ns,
            status="pending",
            chunk_count=0,
            meta=json.dumps(meta.__dict__),
            updated_at=time.time(),
        )
        with self.db.begin(durable=True) as conn:
            upsert(
                conn,
                documents,
                values,
                ("document_id",),
                ("source", "fingerprint", "size", "mtime_ns", "status", "meta", "updated_at"),
            )

    def mark_done(self, document_id: str, chunk_count: int) -> None:
        with self.db.begin(durable=True) as conn:
            conn.execute(
                update(documents)
                .where(documents.c.document_id == document_id)
                .values(status="done", chunk_count=chunk_count, updated_at=time.time())
            )

    def touch(self, document_id: str, size: int, mtime_ns: int) -> None:
        with self.db.begin(durable=True) as conn:
            conn.execute(update(documents).where(documents.c.document_id == document_id).values(size=size, mtime_ns=mtime_ns))

    def remove(self, document_id: str) -> None:
        with self.db.begin(durable=True) as conn:
            conn.execute(delete(documents).where(documents.c.document_id == document_id))

    @property
    def generation(self) -> int:
        value = self.get("generation")
        return int(value) if value is not None else 0

    def bump_generation(self) -> int:
        """One more than the last generation, atomically (two hosts bumping at once both move it on)."""
        with self.db.begin(durable=True) as conn:
            upsert(conn, kv, {"key": "generation", "value": "0"}, ("key",))
            conn.execute(update(kv).where(kv.c.key == "generation").values(value=cast(cast(kv.c.value, Integer) + 1, String)))
            return int(conn.execute(select(kv.c.value).where(kv.c.key == "generation")).scalar_one())

    def get(self, key: str) -> Any:
        with self.db.begin() as conn:
            value = conn.execute(select(kv.c.value).where(kv.c.key == key)).scalar()
        return json.loads(value) if value is not None else None

    def put(self, key: str, value: Any) -> None:
        with self.db.begin(durable=True) as conn:
            upsert(conn, kv, {"key": key, "value": json.dumps(value)}, ("key",), ("value",))
