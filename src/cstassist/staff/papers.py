"""The papers staff manage from the console: the manifest fields of an upload (validated), where its file is kept,
and each paper's status as the documents page shows it.

An uploaded file is kept under ``admin.uploads_dir`` as ``<document_id>/<sha256 prefix>-<name>`` beside a
``manifest.yaml`` that lists every kept upload with its fields, so ``cstassist ingest <uploads_dir>`` rebuilds them
(with several hosts, point ``CSTASSIST_ADMIN__UPLOADS_DIR`` at a folder every host can read). The database row
(``staff_documents``) keeps what the ledger does not: the original file name, the last failure, retirement.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update

from ..database import Database, documents, staff_documents, upsert
from ..documents import AUDIENCES, published_ord
from ..errors import BadRequest, UnsupportedFile
from ..filetypes import SUPPORTED_SUFFIXES
from ..manifest import LAYOUTS, ManifestEntry, default_document_id, write_manifest
from ..state import LedgerRow

MAX_FIELD_CHARS = {"title": 300, "kind": 80, "author": 200, "url": 1000, "id": 120}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class UploadFields:
    """The manifest fields of an upload (see ``cstassist.manifest``), validated by ``UploadFields.parse``."""

    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: dict[str, Any], known_ids: set[str]) -> UploadFields:
        """Check each field; a bad one is a ``BadRequest`` naming it. ``known_ids``: documents ``superseded_by`` may name."""
        out: dict[str, str] = {}
        for name in ("title", "kind", "published", "author", "url", "audience", "superseded_by", "layout", "id"):
            raw = form.get(name)
            if raw is None or not str(raw).strip():
                continue
            value = " ".join(str(raw).split())
            if len(value) > MAX_FIELD_CHARS.get(name, 600):
                raise BadRequest(f"{name}: at most {MAX_FIELD_CHARS.get(name, 600)} characters")
            out[name] = value
        if out.get("audience", "public") not in AUDIENCES:
            raise BadRequest(f"audience: must be 'public' or 'members', not {out['audience'][:40]!r}")
        if out.get("layout", "prose") not in LAYOUTS:
            raise BadRequest(f"layout: must be 'prose' or 'listing', not {out['layout'][:40]!r}")
        if "published" in out and published_ord(out["published"]) == 0:
            raise BadRequest("published: must look like 2022, 2022-02 or 2022-02-01")
        if "url" in out and not re.match(r"https?://[^\s/]+", out["url"]):
            raise BadRequest("url: must start with http:// or https://")
        if "id" in out and default_document_id(out["id"]) != out["id"]:
            raise BadRequest("id: use lower-case letters, digits and hyphens")
        if "superseded_by" in out and out["superseded_by"] not in known_ids:
            raise BadRequest(f"superseded_by: no document {out['superseded_by'][:80]!r}")
        return cls(out)


def safe_file_name(name: str | None) -> str:
    """The upload's own name, made safe to keep (no folders, no odd characters), with a supported suffix."""
    base = _SAFE_NAME.sub("-", Path(str(name or "")).name).strip(".-")[:120]
    suffix = Path(base).suffix.lower()
    if not base or suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFile(f"{(name or 'the file')[:80]}: upload a PDF, DOCX, HTML, Markdown or text file")
    return base


@dataclass(frozen=True)
class ManagedPaper:
    document_id: str
    file: str
    stored: str
    fields: dict[str, str]
    error: str | None
    dropped: str | None
    retired: bool
    updated_at: float
    updated_by: str

    def entry(self, relative: str) -> ManifestEntry:
        return ManifestEntry({**self.fields, "file": relative, "id": self.document_id})


def paper_status(row: LedgerRow | None, paper: ManagedPaper | None) -> tuple[str, str | None]:
    """(status, error) for the documents page: failed (with the reason), retired, pending, superseded,
    hidden text dropped, or indexed."""
    if paper is not None and paper.error:
        return "failed", paper.error
    if paper is not None and paper.retired or row is not None and row.status == "retired":
        return "retired", None
    if row is None or row.status == "pending":
        return "pending", None
    if row.meta.superseded_by:
        return "superseded", None
    if paper is not None and paper.dropped:
        return "hidden text dropped", None
    return "indexed", None


class PaperStore:
    def __init__(self, db: Database, uploads_dir: Path) -> None:
        self.db = db
        self.uploads_dir = uploads_dir

    # --- rows ---------------------------------------------------------------------------------------
    def all(self) -> dict[str, ManagedPaper]:
        c = staff_documents.c
        with self.db.begin() as conn:
            rows = conn.execute(
                select(c.document_id, c.file, c.stored, c.fields, c.error, c.dropped, c.retired, c.updated_at, c.updated_by)
            ).all()
        return {r[0]: ManagedPaper(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], bool(r[6]), r[7], r[8]) for r in rows}

    def get(self, document_id: str) -> ManagedPaper | None:
        return self.all().get(document_id)

    def save(self, paper: ManagedPaper) -> None:
        values = {**paper.__dict__, "fields": json.dumps(paper.fields)}
        with self.db.begin(durable=True) as conn:
            upsert(conn, staff_documents, values, ("document_id",), tuple(k for k in values if k != "document_id"))
        self.write_manifest()

    def set(self, document_id: str, actor: str, **values: Any) -> None:
        with self.db.begin(durable=True) as conn:
            conn.execute(
                update(staff_documents)
                .where(staff_documents.c.document_id == document_id)
                .values(updated_at=time.time(), updated_by=actor, **values)
            )
        self.write_manifest()

    def forget(self, document_id: str) -> None:
        with self.db.begin(durable=True) as conn:
            conn.execute(delete(staff_documents).where(staff_documents.c.document_id == document_id))
        self.write_manifest()

    @staticmethod
    def set_ledger_status(db: Database, document_id: str, status: str) -> None:
        """Mark a ledger row ``retired`` (left out of document lists and answers) or back to ``done``."""
        with db.begin(durable=True) as conn:
            conn.execute(update(documents).where(documents.c.document_id == document_id).values(status=status))

    # --- files --------------------------------------------------------------------------------------
    def incoming(self, suffix: str) -> Path:
        """A fresh path to stream an upload into before it is checked."""
        folder = self.uploads_dir / ".incoming"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{time.time_ns()}{suffix}"

    def keep(self, incoming: Path, document_id: str, name: str, digest: str) -> Path:
        """Move a checked upload to where it is kept; the previous version stays until ``drop_other_versions``."""
        folder = self.uploads_dir / document_id
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / f"{digest[:12]}-{name}"
        incoming.replace(dest)
        return dest

    def drop_other_versions(self, document_id: str, keep: Path | None) -> None:
        folder = self.uploads_dir / document_id
        for f in folder.glob("*") if folder.is_dir() else []:
            if f != keep and f.is_file():
                f.unlink()
        if keep is None and folder.is_dir():
            folder.rmdir()

    def write_manifest(self) -> None:
        """Rewrite ``manifest.yaml`` in the uploads folder from the kept, un-retired uploads."""
        entries = []
        for paper in sorted(self.all().values(), key=lambda p: p.document_id):
            if paper.stored and not paper.retired and Path(paper.stored).exists():
                rel = Path(paper.stored).relative_to(self.uploads_dir).as_posix()
                fields = {k: v for k, v in paper.fields.items() if k not in ("superseded_by", "superseded_by_title")}
                entries.append({"file": rel, "id": paper.document_id, **fields})
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        write_manifest(self.uploads_dir, entries)
