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

    # What ingest dropped from each file (hidden text, redacted instructions) is written here as each file is
    # done, and cleared once a run has reported it: a run killed before its report leaves the notes for the
    # next run, which finds those files unchanged and would otherwise never mention them again.
    NOTES_KEY = "ingest_unreported_notes"

    def record_note(self, source: str, note: str, hidden: bool) -> None:
        """Keep ``note`` (one line) about ``source`` until a run reports it (``unreported_notes``)."""
        notes = self.unreported_notes()
        notes[source] = {"note": note, "hidden": hidden}
        self.put(self.NOTES_KEY, notes)

    def unreported_notes(self) -> dict[str, dict[str, Any]]:
        """source -> {"note", "hidden"} for files whose notes no finished run has reported yet."""
        return dict(self.get(self.NOTES_KEY) or {})

    def notes_reported(self) -> None:
        with self.db.begin(durable=True) as conn:
            conn.execute(delete(kv).where(kv.c.key == self.NOTES_KEY))

    def get(self, key: str) -> Any:
        with self.db.begin() as conn:
            value = conn.execute(select(kv.c.value).where(kv.c.key == key)).scalar()
        return json.loads(value) if value is not None else None

    def put(self, key: str, value: Any) -> None:
        with self.db.begin(durable=True) as conn:
            upsert(conn, kv, {"key": key, "value": json.dumps(value)}, ("key",), ("value",))
