"""The staff console's work inside the serving process: uploads, re-indexing, retiring and removing papers.

Every write to the index runs as a background job (``cstassist.staff.Jobs``, one at a time) in this process, on
the index it serves: with embedded Chroma the process turns its shared data-directory lock into the exclusive
one for the write (``DataDirLock.exclusively``), so no other process reads a half-written store; with a Chroma
server, Chroma arbitrates and the database's advisory lock serialises ingests across hosts. The pipeline's
``ingest_sources`` rebuilds the BM25 index in place, so a new paper answers questions as soon as its job is
done, here with no restart, and on other hosts as soon as they see the new ingest generation.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cstassist.assistant import Assistant
from cstassist.database import Database
from cstassist.errors import BadRequest, CSTAssistError, NotFound, UnreadableFile
from cstassist.filetypes import detect
from cstassist.ingest import SourceFile, ingest_sources
from cstassist.ingest.pipeline import collect
from cstassist.locking import DataDirLock
from cstassist.manifest import ManifestEntry, default_document_id
from cstassist.settings import Settings
from cstassist.staff import AuditLog, ConsoleSessions, Jobs, ManagedPaper, PaperStore, QuestionLog, UploadFields, paper_status
from cstassist.staff.jobs import Progress
from cstassist.staff.papers import safe_file_name

from .console_evals import Evaluations

log = logging.getLogger("cstassist.staff")


class IngestFailed(CSTAssistError):
    code = "ingest_failed"
    http_status = 422


class Console:
    """What the admin routes call: the staff stores, and the jobs that write the served index."""

    def __init__(self, settings: Settings, assistant: Assistant, keys: Any, data_lock: DataDirLock | None) -> None:
        db = Database.for_settings(settings)
        self.settings = settings
        self.assistant = assistant
        self.index = assistant.index
        self.data_lock = data_lock
        self.audit = AuditLog(db)
        self.sessions = ConsoleSessions(db, keys, settings.admin.session_idle_s)
        self.papers = PaperStore(db, settings.admin.uploads_dir)  # type: ignore[arg-type]
        self.jobs = Jobs(db)
        self.questions = QuestionLog(db)
        self.evals = Evaluations(settings, assistant, self.jobs)
        if data_lock is not None and settings.database_url is None:
            # embedded mode: this service alone runs jobs on this database, so an unfinished one was cut short
            self.jobs.abandon_unfinished()

    def close(self) -> None:
        self.jobs.shutdown()

    @contextlib.contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        if self.data_lock is None:
            yield
        else:
            with self.data_lock.exclusively(what):
                yield

    # --- reading ------------------------------------------------------------------------------------
    def documents(self) -> list[dict[str, Any]]:
        """Every document the ledger or the console knows, members-only included, with its status."""
        rows, papers = self.index.ledger.rows(), self.papers.all()
        out = []
        for doc_id in sorted(set(rows) | set(papers)):
            row, paper = rows.get(doc_id), papers.get(doc_id)
            status, error = paper_status(row, paper)
            meta = row.meta if row else None
            fields = paper.fields if paper else {}
            out.append(
                {
                    "document_id": doc_id,
                    "title": meta.title if meta else fields.get("title") or (paper.file if paper else doc_id),
                    "file": paper.file if paper else (meta.source if meta else ""),
                    "kind": meta.kind if meta else fields.get("kind", "document"),
                    "published": meta.published if meta else fields.get("published"),
                    "author": meta.author if meta else fields.get("author"),
                    "url": meta.url if meta else fields.get("url"),
                    "audience": meta.audience if meta else fields.get("audience", "public"),
                    "superseded_by": meta.superseded_by if meta else None,
                    "layout": fields.get("layout", "prose"),
                    "status": status,
                    "error": error,
                    "dropped": paper.dropped if paper else None,
                    "chunks": row.chunk_count if row is not None and row.status == "done" else 0,
                    "uploaded": bool(paper and paper.stored),
                    "updated_at": paper.updated_at if paper else None,
                }
            )
        return out

    def passages(self, document_id: str) -> list[dict[str, Any]]:
        """The paper's passages as the assistant reads them, in document order, with heading path and page."""
        found: list[dict[str, Any]] = []
        for collection in self.index.store.collections.values():
            res = collection.get(where={"document_id": document_id}, include=["documents", "metadatas"])
            for cid, text, meta in zip(res["ids"], res["documents"], res["metadatas"]):
                page = meta.get("page", -1)
                found.append(
                    {
                        "chunk_id": cid,
                        "ordinal": int(meta.get("ordinal", 0)),
                        "section": meta.get("section", ""),
                        "page": None if page is None or int(page) < 0 else int(page),
                        "hidden_text": bool(meta.get("hidden_text")),
                        "audience": meta.get("audience"),
                        "text": text,
                    }
                )
        if not found and document_id not in self.index.ledger.rows():
            raise NotFound(f"no document {document_id[:80]!r}")
        return sorted(found, key=lambda p: p["ordinal"])

    # --- uploads ------------------------------------------------------------------------------------
    def incoming(self, filename: str | None) -> tuple[Path, str]:
        """(a fresh path to stream an upload into, the name it is kept under); an unsupported name is refused first."""
        name = safe_file_name(filename)
        return self.papers.incoming(Path(name).suffix), name

    def upload(self, incoming: Path, name: str, form: dict[str, Any], actor: str) -> tuple[str, str]:
        """Check an upload streamed to ``incoming`` (see ``incoming``) and queue its ingest: (job id, document id).

        Everything that can be refused before parsing is refused here, as a 4xx with one line (and the file
        deleted): a bad field, an unsupported or disguised type, an empty, oversized, corrupt-zip file. What only
        parsing finds (an encrypted or broken PDF, say) fails the job with its reason; the index is untouched."""
        try:
            rows = self.index.ledger.rows()
            fields = UploadFields.parse(form, {d for d, r in rows.items() if r.status == "done"})
            detect(
                incoming,
                max_bytes=int(self.settings.limits.max_file_mb * 2**20),
                zip_max_entries=self.settings.limits.zip_max_entries,
                zip_max_uncompressed=int(self.settings.limits.zip_max_uncompressed_mb * 2**20),
            )
            doc_id, supersedes = self._target(name, fields, form, set(rows) | set(self.papers.all()))
            if form.get("replaces") and not supersedes:  # a new file for the same paper keeps the fields not given again
                fields = UploadFields({**self._fields_of(doc_id), **fields.values})
        except CSTAssistError:
            incoming.unlink(missing_ok=True)
            raise
        digest = hashlib.sha256(incoming.read_bytes()).hexdigest()
        kept = self.papers.keep(incoming, doc_id, name, digest)
        self.audit.record(
            actor,
            "upload",
            doc_id,
            f"{name} ({kept.stat().st_size} bytes)" + (f", supersedes {supersedes}" if supersedes else ""),
        )

        def work(progress: Progress) -> dict[str, Any]:
            return self._ingest_upload(kept, name, doc_id, fields, supersedes, actor, progress)

        return self.jobs.submit("ingest", actor, work, queue="index"), doc_id

    def _fields_of(self, doc_id: str) -> dict[str, str]:
        """A paper's manifest fields as the console kept them, else as the ledger knows them."""
        paper = self.papers.get(doc_id)
        if paper is not None and paper.fields:
            return dict(paper.fields)
        row = self.index.ledger.rows().get(doc_id)
        if row is None:
            return {}
        m = row.meta
        known = {"title": m.title, "kind": m.kind, "published": m.published, "author": m.author, "url": m.url}
        return {k: str(v) for k, v in {**known, "audience": m.audience}.items() if v}

    def _target(self, name: str, fields: UploadFields, form: dict[str, Any], existing: set[str]) -> tuple[str, str | None]:
        """(the document id the upload is indexed as, the id it supersedes or None)."""
        replaces = str(form.get("replaces") or "").strip()
        supersede = str(form.get("supersede") or "").lower() in ("1", "true", "on", "yes")
        own = fields.values.get("id") or default_document_id(name)
        if not replaces:
            if supersede:
                raise BadRequest("supersede: say which document the upload supersedes (replaces)")
            return own, None
        if replaces not in existing:
            raise BadRequest(f"replaces: no document {replaces[:80]!r}")
        if not supersede:
            return replaces, None  # the same document, new file: its passages are replaced, nothing is duplicated
        if own == replaces:
            raise BadRequest("supersede: the new paper needs another file name (or id) than the one it supersedes")
        return own, replaces

    def _entry(self, fields: dict[str, str], relative: str, doc_id: str) -> ManifestEntry:
        values = {**fields, "file": relative, "id": doc_id}
        target = values.get("superseded_by")
        if target:
            row = self.index.ledger.rows().get(target)
            values["superseded_by_title"] = row.meta.title if row else target
        return ManifestEntry(values)

    def _ingest_upload(
        self, kept: Path, name: str, doc_id: str, fields: UploadFields, supersedes: str | None, actor: str, progress: Progress
    ) -> dict[str, Any]:
        previous = self.papers.get(doc_id)
        with self._writing("upload"):
            report = ingest_sources(
                [SourceFile(kept, name, self._entry(fields.values, name, doc_id))],
                self.settings,
                index=self.index,
                embedder=self.assistant.embedder,
                force=True,
                on_progress=progress,
            )
        now = time.time()
        if report.failed:
            reason = report.failed[0][1]
            if previous is None or Path(previous.stored) != kept:
                kept.unlink(missing_ok=True)
            if previous is None:
                self.papers.save(ManagedPaper(doc_id, name, "", fields.values, reason, None, False, now, actor))
            else:
                self.papers.set(doc_id, actor, error=reason)
            self.audit.record(actor, "upload failed", doc_id, f"{name}: {reason}")
            raise IngestFailed(f"{name}: {reason}")
        dropped = report.dropped.get(str(kept))
        self.papers.save(ManagedPaper(doc_id, name, str(kept), fields.values, None, dropped, False, now, actor))
        self.papers.drop_other_versions(doc_id, kept)
        result: dict[str, Any] = {"document_id": doc_id, "chunks": report.chunks_written, "dropped": dropped}
        if supersedes:
            progress(0.9, f"marking {supersedes} superseded")
            title = self.index.ledger.rows()[doc_id].meta.title
            self._reindex(supersedes, actor, progress, extra={"superseded_by": doc_id, "superseded_by_title": title})
            result["superseded"] = supersedes
        self.audit.record(
            actor, "indexed", doc_id, f"{name}: {report.chunks_written} passages" + (f"; {dropped}" if dropped else "")
        )
        return result

    # --- re-index, retire, restore, remove ------------------------------------------------------------
    def _source(self, doc_id: str, extra: dict[str, str]) -> SourceFile:
        paper, row = self.papers.get(doc_id), self.index.ledger.rows().get(doc_id)
        if paper is not None and paper.stored:
            fields = {**paper.fields, **extra}
            if extra:
                self.papers.save(ManagedPaper(**{**paper.__dict__, "fields": fields}))
            return SourceFile(Path(paper.stored), paper.file, self._entry(fields, paper.file, doc_id))
        if row is None:
            raise NotFound(f"no document {doc_id[:80]!r}")
        try:
            files, _ = collect([Path(row.source)])
        except (FileNotFoundError, CSTAssistError) as exc:
            raise UnreadableFile(f"{row.source}: cannot be read again ({str(exc)[:160]})") from None
        sf = files[0]
        entry = dict(sf.entry.fields) if sf.entry else {}
        return SourceFile(sf.path, sf.relative, ManifestEntry({**entry, "file": sf.relative, "id": doc_id, **extra}))

    def _reindex(self, doc_id: str, actor: str, progress: Progress, extra: dict[str, str] | None = None) -> dict[str, Any]:
        source = self._source(doc_id, extra or {})
        with self._writing("re-index"):
            report = ingest_sources(
                [source], self.settings, index=self.index, embedder=self.assistant.embedder, force=True, on_progress=progress
            )
        paper = self.papers.get(doc_id)
        if report.failed:
            reason = report.failed[0][1]
            if paper is not None:
                self.papers.set(doc_id, actor, error=reason)
            raise IngestFailed(f"{source.relative}: {reason}")
        if paper is not None:
            self.papers.set(doc_id, actor, error=None, retired=False, dropped=report.dropped.get(str(source.path)))
        return {"document_id": doc_id, "chunks": report.chunks_written}

    def reindex(self, doc_id: str, actor: str) -> str:
        self._known(doc_id)
        self.audit.record(actor, "re-index", doc_id)
        return self.jobs.submit("reindex", actor, lambda progress: self._reindex(doc_id, actor, progress), queue="index")

    def restore(self, doc_id: str, actor: str) -> str:
        self._known(doc_id)
        self.audit.record(actor, "restore", doc_id)
        return self.jobs.submit("restore", actor, lambda progress: self._reindex(doc_id, actor, progress), queue="index")

    def retire(self, doc_id: str, actor: str) -> str:
        """Withdraw a paper's passages from answers; it stays listed (status retired), and restore brings it back."""
        row = self._known(doc_id)
        self.audit.record(actor, "retire", doc_id)

        def work(progress: Progress) -> dict[str, Any]:
            with self._writing("retire"), self.index.db.writer_lock("ingest"):
                self.index.ledger.bump_generation()
                self.index.remove_document(doc_id)
                if row is not None:
                    PaperStore.set_ledger_status(self.index.db, doc_id, "retired")
                paper = self.papers.get(doc_id)
                if paper is None:
                    file = row.meta.source if row else doc_id
                    self.papers.save(ManagedPaper(doc_id, file, "", {}, None, None, True, time.time(), actor))
                else:
                    self.papers.set(doc_id, actor, retired=True, error=None)
                progress(0.5, "refreshing the keyword index")
                self.index.ledger.bump_generation()
                self.index.rebuild_lexical()
            return {"document_id": doc_id}

        return self.jobs.submit("retire", actor, work, queue="index")

    def remove(self, doc_id: str, actor: str) -> str:
        """Delete a paper's passages, its ledger row and its kept upload. A file still in an ingested folder comes
        back with the next ``cstassist ingest`` of that folder."""
        self._known(doc_id)
        self.audit.record(actor, "remove", doc_id)

        def work(progress: Progress) -> dict[str, Any]:
            with self._writing("remove"), self.index.db.writer_lock("ingest"):
                self.index.ledger.bump_generation()
                self.index.remove_document(doc_id)
                self.index.ledger.remove(doc_id)
                self.papers.forget(doc_id)
                self.papers.drop_other_versions(doc_id, None)
                progress(0.5, "refreshing the keyword index")
                self.index.ledger.bump_generation()
                self.index.rebuild_lexical()
            return {"document_id": doc_id}

        return self.jobs.submit("remove", actor, work, queue="index")

    def _known(self, doc_id: str) -> Any:
        row = self.index.ledger.rows().get(doc_id)
        if row is None and self.papers.get(doc_id) is None:
            raise NotFound(f"no document {doc_id[:80]!r}")
        return row
