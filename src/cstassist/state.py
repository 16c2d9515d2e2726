"""The ingest ledger (SQLite): which documents are in the index, from which file version, and whether
their last write finished. It is what makes ingest incremental and crash-safe.

A document is marked ``pending`` *before* its chunks are touched in Chroma and ``done`` after; a run
that finds ``pending`` rows (the previous run was killed) redoes those documents. The ``generation``
counter goes up whenever the index changes, which tells readers to refresh derived data.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .documents import DocumentMeta

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    document_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    status TEXT NOT NULL,
    chunk_count INTEGER NOT NULL DEFAULT 0,
    meta TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


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
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def rows(self) -> dict[str, LedgerRow]:
        cur = self._db.execute(
            "SELECT document_id, source, fingerprint, size, mtime_ns, status, chunk_count, meta FROM documents"
        )
        return {r[0]: LedgerRow(*r[:7], meta=DocumentMeta(**json.loads(r[7]))) for r in cur}

    def mark_pending(self, meta: DocumentMeta, source: str, fingerprint: str, size: int, mtime_ns: int) -> None:
        self._db.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,'pending',0,?,?) ON CONFLICT(document_id) DO UPDATE SET "
            "source=excluded.source, fingerprint=excluded.fingerprint, size=excluded.size, mtime_ns=excluded.mtime_ns, "
            "status='pending', meta=excluded.meta, updated_at=excluded.updated_at",
            (meta.document_id, source, fingerprint, size, mtime_ns, json.dumps(meta.__dict__), time.time()),
        )

    def mark_done(self, document_id: str, chunk_count: int) -> None:
        self._db.execute(
            "UPDATE documents SET status='done', chunk_count=?, updated_at=? WHERE document_id=?",
            (chunk_count, time.time(), document_id),
        )

    def touch(self, document_id: str, size: int, mtime_ns: int) -> None:
        self._db.execute("UPDATE documents SET size=?, mtime_ns=? WHERE document_id=?", (size, mtime_ns, document_id))

    def remove(self, document_id: str) -> None:
        self._db.execute("DELETE FROM documents WHERE document_id=?", (document_id,))

    @property
    def generation(self) -> int:
        row = self._db.execute("SELECT value FROM kv WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def bump_generation(self) -> int:
        gen = self.generation + 1
        self._db.execute(
            "INSERT INTO kv VALUES ('generation', ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value", (str(gen),)
        )
        return gen

    def get(self, key: str) -> Any:
        row = self._db.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO kv VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, json.dumps(value))
        )
