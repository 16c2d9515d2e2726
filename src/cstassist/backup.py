"""Backup and restore of everything the service keeps: the index (vectors, passages, metadata), the
database (ingest ledger, API keys, token secret, answers, feedback, conversations), and the corpus manifest.

Both are exported logically (records + vectors; one JSON line per database row), not as Chroma's or the
database's files, so a backup restores into an embedded store or a Chroma server, and into the SQLite file
or PostgreSQL, whichever the backup came from. A backup takes a shared lock on the data directory: it runs
beside a running service, and waits out no ingest on this host (an ingest in progress makes it fail fast
with a clear message instead of copying a half-written state); with PostgreSQL it also waits for an ingest
on another host to finish. Backups of format 1 (cstassist 0.3: four SQLite files) still restore.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import delete, select

from . import database
from .documents import AUDIENCES
from .errors import BadRequest
from .index import Index
from .locking import DataDirLock
from .manifest import MANIFEST_NAME
from .settings import Settings

log = logging.getLogger(__name__)
FORMAT = 2
DB_FILE = "database.jsonl"
TABLES = (
    database.documents,
    database.kv,
    database.api_keys,
    database.secrets,
    database.answers,
    database.feedback,
    database.conversations,
    database.turns,
)


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    chunks: int
    documents: int
    seconds: float


def backup(settings: Settings, dest: Path) -> BackupInfo:
    started = time.perf_counter()
    dest = dest.expanduser().resolve()
    if dest.exists() and any(dest.iterdir()):
        raise BadRequest(f"{dest} is not empty; choose a new folder for the backup")
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with DataDirLock(settings.data_dir, exclusive=False, what="backup"):
        index = Index(settings)
        with index.db.writer_lock("ingest"):
            return _backup(settings, index, dest, tmp, started)


def _backup(settings: Settings, index: Index, dest: Path, tmp: Path, started: float) -> BackupInfo:
    ids: list[str] = []
    vectors = []
    with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as out:
        for page_ids, docs, metas, embs in index.store.iter_all(include=("documents", "metadatas", "embeddings")):
            for i, d, m in zip(page_ids, docs, metas):
                out.write(json.dumps({"id": i, "text": d, "metadata": m}, ensure_ascii=False) + "\n")
            ids.extend(page_ids)
            vectors.append(np.asarray(embs, dtype=np.float32))
    np.save(tmp / "vectors.npy", np.concatenate(vectors) if vectors else np.zeros((0, 384), np.float32))
    rows = _dump(index.db, tmp / DB_FILE)
    manifest = settings.corpus_dir / MANIFEST_NAME
    if manifest.exists():
        shutil.copy2(manifest, tmp / MANIFEST_NAME)
    documents = len(index.documents(("public", "members")))
    head = {
        "format": FORMAT,
        "created_at": time.time(),
        "chunks": len(ids),
        "documents": documents,
        "generation": index.ledger.generation,
        "collection": settings.chroma.collection,
        "database_rows": rows,
    }
    (tmp / "backup.json").write_text(json.dumps(head, indent=2))
    if dest.exists():
        dest.rmdir()
    tmp.rename(dest)
    return BackupInfo(dest, len(ids), documents, time.perf_counter() - started)


def _dump(db: database.Database, path: Path) -> int:
    """Every row of every table, one JSON object a line (``{"table": ..., "row": {...}}``), in one transaction."""
    n = 0
    with db.begin() as conn, path.open("w", encoding="utf-8") as out:
        for table in TABLES:
            order = list(table.primary_key.columns)
            for row in conn.execute(select(table).order_by(*order)).mappings():
                out.write(json.dumps({"table": table.name, "row": dict(row)}, ensure_ascii=False) + "\n")
                n += 1
    return n


def _load(db: database.Database, records: list[dict]) -> None:  # type: ignore[type-arg]
    """Replace every table's rows with ``records`` in one transaction (turn ids are assigned afresh, in order)."""
    by_name = {t.name: t for t in TABLES}
    with db.begin(durable=True) as conn:
        for table in reversed(TABLES):
            conn.execute(delete(table))
        for rec in records:
            table = by_name[rec["table"]]
            row = {k: v for k, v in rec["row"].items() if not (table is database.turns and k == "id")}
            conn.execute(table.insert().values(**row))


def _legacy_records(src: Path) -> list[dict]:  # type: ignore[type-arg]
    """The database rows of a format-1 backup (cstassist 0.3's four SQLite files), read through the 0.3 import."""
    from .legacy import FILES

    with tempfile.TemporaryDirectory() as tmp:
        for name in FILES:
            if (src / name).exists():
                shutil.copy2(src / name, Path(tmp) / name)
        scratch = database.Database.for_path(Path(tmp) / database.SQLITE_NAME)
        try:
            scratch.upgrade(Path(tmp))
            _dump(scratch, Path(tmp) / DB_FILE)
            return [json.loads(line) for line in (Path(tmp) / DB_FILE).open(encoding="utf-8")]
        finally:
            scratch.dispose()


def _set_aside_damaged_database(settings: Settings) -> None:
    """Rename an embedded database file that SQLite reports damaged (and its WAL) to ``*.damaged-<time>``, so the
    restore can write a new one; the damaged file is kept for whoever wants to look at it."""
    path = settings.data_dir / database.SQLITE_NAME
    if settings.database_url is not None or not path.exists():
        return
    try:
        database.Database.for_settings(settings)
        return
    except database.DatabaseDamaged as exc:
        log.warning("%s; moving it aside", exc)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.rename(part.with_name(f"{part.name}.damaged-{stamp}"))


def restore(settings: Settings, src: Path, force: bool = False) -> BackupInfo:
    started = time.perf_counter()
    src = src.expanduser().resolve()
    try:
        head = json.loads((src / "backup.json").read_text())
    except (OSError, ValueError):
        raise BadRequest(f"{src} is not a cstassist backup (no readable backup.json)") from None
    if head.get("format") not in (1, FORMAT):
        raise BadRequest(f"{src}: backup format {head.get('format')} is not supported (expected {FORMAT})")
    # read and check everything before the data directory is touched: a bad backup must not leave it empty
    try:
        vectors = np.load(src / "vectors.npy")
        records = [json.loads(line) for line in (src / "chunks.jsonl").open(encoding="utf-8")]
        rows = (
            _legacy_records(src) if head["format"] == 1 else [json.loads(line) for line in (src / DB_FILE).open(encoding="utf-8")]
        )
    except (OSError, ValueError) as exc:
        raise BadRequest(f"{src}: backup is unreadable ({type(exc).__name__})") from None
    if head["format"] == FORMAT and len(rows) != head.get("database_rows"):
        raise BadRequest(f"{src}: backup is incomplete ({len(rows)} database rows, {head.get('database_rows')} expected)")
    if len(records) != len(vectors) or len(records) != head.get("chunks"):
        raise BadRequest(
            f"{src}: backup is incomplete ({len(records)} records, {len(vectors)} vectors, {head.get('chunks')} expected)"
        )
    bad = next((r.get("id") for r in records if (r.get("metadata") or {}).get("audience") not in AUDIENCES), None)
    if bad is not None:
        raise BadRequest(f"{src}: passage {bad!r} has no valid audience; the backup is damaged")
    with DataDirLock(settings.data_dir, exclusive=True, what="restore"):
        _set_aside_damaged_database(settings)
        index = Index(settings, allow_new_database=True)  # restoring is how a lost or damaged database is replaced
        with index.db.writer_lock("ingest"):
            if index.chunk_count() and not force:
                raise BadRequest(
                    f"{settings.data_dir} already holds an index; restore into an empty data directory or pass --force"
                )
            index.store.drop()
            _load(index.db, rows)
            index = Index(settings)
            index.store.upsert(
                [r["id"] for r in records], vectors, [r["text"] for r in records], [r["metadata"] for r in records]
            )
            index.ledger.bump_generation()
            index.rebuild_lexical()
            count = index.chunk_count()
    if count != head["chunks"]:
        raise BadRequest(f"restore wrote {count} chunks but the backup holds {head['chunks']}")
    return BackupInfo(settings.data_dir, count, head.get("documents", 0), time.perf_counter() - started)
