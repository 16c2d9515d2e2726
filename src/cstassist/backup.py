"""Backup and restore of everything the service keeps: the index (vectors, passages, metadata), the
ingest ledger, API keys, feedback, conversations, and the corpus manifest.

The index is exported logically (records + vectors), not as Chroma's files, so a backup restores into
either an embedded store or a Chroma server, and does not depend on Chroma's on-disk format. A backup
takes a shared lock on the data directory: it runs beside a running service, and waits out no ingest
(an ingest in progress makes it fail fast with a clear message instead of copying a half-written state).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .documents import AUDIENCES
from .errors import BadRequest
from .index import Index
from .locking import DataDirLock
from .manifest import MANIFEST_NAME
from .settings import Settings

FORMAT = 1
DATABASES = ("state.sqlite", "access.sqlite", "feedback.sqlite", "conversations.sqlite")


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
        ids: list[str] = []
        vectors = []
        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as out:
            for page_ids, docs, metas, embs in index.store.iter_all(include=("documents", "metadatas", "embeddings")):
                for i, d, m in zip(page_ids, docs, metas):
                    out.write(json.dumps({"id": i, "text": d, "metadata": m}, ensure_ascii=False) + "\n")
                ids.extend(page_ids)
                vectors.append(np.asarray(embs, dtype=np.float32))
        np.save(tmp / "vectors.npy", np.concatenate(vectors) if vectors else np.zeros((0, 384), np.float32))
        for name in DATABASES:
            src = settings.data_dir / name
            if src.exists():
                with sqlite3.connect(src) as s, sqlite3.connect(tmp / name) as d:
                    s.backup(d)
        manifest = settings.corpus_dir / MANIFEST_NAME
        if manifest.exists():
            shutil.copy2(manifest, tmp / MANIFEST_NAME)
        documents = len(index.documents(("public", "members")))
        (tmp / "backup.json").write_text(
            json.dumps(
                {
                    "format": FORMAT,
                    "created_at": time.time(),
                    "chunks": len(ids),
                    "documents": documents,
                    "generation": index.ledger.generation,
                    "collection": settings.chroma.collection,
                },
                indent=2,
            )
        )
    if dest.exists():
        dest.rmdir()
    tmp.rename(dest)
    return BackupInfo(dest, len(ids), documents, time.perf_counter() - started)


def restore(settings: Settings, src: Path, force: bool = False) -> BackupInfo:
    started = time.perf_counter()
    src = src.expanduser().resolve()
    try:
        head = json.loads((src / "backup.json").read_text())
    except (OSError, ValueError):
        raise BadRequest(f"{src} is not a cstassist backup (no readable backup.json)") from None
    if head.get("format") != FORMAT:
        raise BadRequest(f"{src}: backup format {head.get('format')} is not supported (expected {FORMAT})")
    # read and check everything before the data directory is touched: a bad backup must not leave it empty
    try:
        vectors = np.load(src / "vectors.npy")
        records = [json.loads(line) for line in (src / "chunks.jsonl").open(encoding="utf-8")]
    except (OSError, ValueError) as exc:
        raise BadRequest(f"{src}: backup is unreadable ({type(exc).__name__})") from None
    if len(records) != len(vectors) or len(records) != head.get("chunks"):
        raise BadRequest(
            f"{src}: backup is incomplete ({len(records)} records, {len(vectors)} vectors, {head.get('chunks')} expected)"
        )
    bad = next((r.get("id") for r in records if (r.get("metadata") or {}).get("audience") not in AUDIENCES), None)
    if bad is not None:
        raise BadRequest(f"{src}: passage {bad!r} has no valid audience; the backup is damaged")
    with DataDirLock(settings.data_dir, exclusive=True, what="restore"):
        index = Index(settings)
        if index.chunk_count() and not force:
            raise BadRequest(f"{settings.data_dir} already holds an index; restore into an empty data directory or pass --force")
        index.ledger.close()
        index.store.drop()
        for name in DATABASES:
            (settings.data_dir / name).unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                (settings.data_dir / (name + suffix)).unlink(missing_ok=True)
            if (src / name).exists():
                with sqlite3.connect(src / name) as s, sqlite3.connect(settings.data_dir / name) as d:
                    s.backup(d)
        index = Index(settings)
        index.store.upsert([r["id"] for r in records], vectors, [r["text"] for r in records], [r["metadata"] for r in records])
        index.ledger.bump_generation()
        index.rebuild_lexical()
        count = index.chunk_count()
    if count != head["chunks"]:
        raise BadRequest(f"restore wrote {count} chunks but the backup holds {head['chunks']}")
    return BackupInfo(settings.data_dir, count, head.get("documents", 0), time.perf_counter() - started)
