"""Incremental, crash-safe ingest.

For each file: decide from size+mtime (then a content hash) whether anything changed; if so, detect
its type from its bytes, parse it in a bounded child process, chunk it along its structure, embed the
chunks, and replace the document's chunks in the index between a ``pending`` and a ``done`` mark in
the ledger. A run killed at any point leaves ``pending`` rows that the next run redoes, so the index
converges to what a clean run would build.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cstassist.chunking import CHUNKER_VERSION, chunk_elements, infer_title, redact_elements
from cstassist.database import Database
from cstassist.embedding import Embedder, create_embedder
from cstassist.errors import CSTAssistError
from cstassist.filetypes import detect
from cstassist.glossary import GLOSSARY_NAME, save_learned
from cstassist.index import Index
from cstassist.lexical import index_text
from cstassist.locking import DataDirLock
from cstassist.manifest import MANIFEST_NAME, ManifestEntry, default_document_id, document_meta, load_manifest
from cstassist.parsing import ParsedFile, Parser
from cstassist.settings import Settings
from cstassist.state import Ledger
from cstassist.windows import WINDOW_SENTENCES, embed_passages

log = logging.getLogger("cstassist.ingest")


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks_written: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    hidden_text: list[str] = field(default_factory=list)  # files that had hidden text dropped
    dropped: dict[str, str] = field(default_factory=dict)  # file -> what was dropped or redacted, one line

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        rate = self.chunks_written / self.seconds if self.seconds else 0.0
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.failed)} failed; {self.chunks_written} chunks written "
            f"({self.chunks_total} in the index) in {self.seconds:.1f} s ({rate:.1f} chunks/s)"
        )


@dataclass(frozen=True)
class SourceFile:
    path: Path
    relative: str
    entry: ManifestEntry | None

    @property
    def document_id(self) -> str:
        return (
            str(self.entry.fields.get("id")) if self.entry and self.entry.fields.get("id") else default_document_id(self.relative)
        )


def collect(paths: Sequence[Path]) -> tuple[list[SourceFile], list[Path]]:
    """Files to ingest under the given paths (folders recursively), and the folders they came from."""
    files: list[SourceFile] = []
    roots: list[Path] = []
    for raw in paths:
        p = Path(raw).expanduser().resolve()
        if p.is_dir():
            roots.append(p)
            manifest = load_manifest(p)
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).as_posix()
                if (
                    f.is_file()
                    and not f.is_symlink()
                    and f.name not in (MANIFEST_NAME, GLOSSARY_NAME)
                    and not any(part.startswith(".") for part in f.relative_to(p).parts)
                ):
                    files.append(SourceFile(f, rel, manifest.get(rel)))
        elif p.is_file():
            roots.append(p)
            files.append(SourceFile(p, p.name, load_manifest(p.parent).get(p.name)))
        else:
            raise FileNotFoundError(f"{raw}: no such file or folder")
    return files, roots


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _progress(total: int, desc: str):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    quiet = os.environ.get("CI") or not sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit="file", disable=bool(quiet), leave=False)


@dataclass
class _Work:
    """A file that needs parsing: what the first pass learnt about it."""

    sf: SourceFile
    row: Any
    st: os.stat_result
    fingerprint: str
    kind: str


def ingest(
    paths: Sequence[Path] | None,
    settings: Settings,
    *,
    prune: bool | None = None,
    index: Index | None = None,
    embedder: Embedder | None = None,
    on_failure: Callable[[str, str], None] | None = None,
) -> IngestReport:
    """Bring the index in line with the files under ``paths`` (default: the bundled corpus).

    ``prune`` removes documents whose files are gone from the scanned folders; it defaults to on for
    the default corpus and off for explicit paths.

    Two ingests never interleave: on one host the data directory lock refuses the second, and with a
    shared PostgreSQL database an advisory lock makes an ingest from another host wait for this one.
    """
    with DataDirLock(settings.data_dir, exclusive=True, what="ingest"):
        if prune is None:
            prune = not paths
        files, roots = collect(list(paths) if paths else [settings.corpus_dir])
        parser = Parser(settings.limits.parse_timeout_s, settings.limits.parse_memory_mb)
        try:
            if index is None and _looks_changed(files, Ledger(Database.for_settings(settings))):
                parser.start()  # its seconds of imports overlap with opening Chroma below
            index = index or Index(settings)
            with index.db.writer_lock("ingest"):
                return _ingest_files(
                    files, roots, settings, prune=prune, index=index, embedder=embedder, on_failure=on_failure, parser=parser
                )
        finally:
            parser.close()


def _looks_changed(files: list[SourceFile], ledger: Ledger) -> bool:
    """Whether a file is new or changed by its size and time alone: a hint to start the parser early (the first pass
    of ``_ingest_files`` decides what is parsed, and starts the parser itself when this hint was wrong)."""
    rows = ledger.rows()
    for sf in files:
        row = rows.get(sf.document_id)
        try:
            st = sf.path.stat()
        except OSError:
            continue
        if (
            row is None
            or row.status != "done"
            or (row.size, row.mtime_ns, row.source) != (st.st_size, st.st_mtime_ns, str(sf.path))
        ):
            return True
    return False


def ingest_sources(
    files: Sequence[SourceFile],
    settings: Settings,
    *,
    index: Index,
    embedder: Embedder,
    force: bool = False,
    on_progress: Callable[[float, str], None] | None = None,
) -> IngestReport:
    """Ingest exactly ``files`` (each with its manifest entry; no folder scan, nothing pruned) into ``index``.

    For a process that already holds the data directory for writing: the serving process ingesting a staff
    upload into the index it serves (``DataDirLock.exclusively``), whose BM25 index this refreshes in place, so
    the paper answers questions as soon as this returns. ``force`` re-parses files that have not changed;
    ``on_progress(fraction, stage)`` hears each step. Takes the database writer lock like ``ingest``."""
    with index.db.writer_lock("ingest"):
        return _ingest_files(
            list(files),
            [],
            settings,
            prune=False,
            index=index,
            embedder=embedder,
            on_failure=None,
            force=force,
            on_progress=on_progress,
        )


def _ingest_files(
    files: list[SourceFile],
    roots: list[Path],
    settings: Settings,
    *,
    prune: bool,
    index: Index,
    embedder: Embedder | None,
    on_failure: Callable[[str, str], None] | None,
    force: bool = False,
    on_progress: Callable[[float, str], None] | None = None,
    parser: Parser | None = None,
) -> IngestReport:
    """``parser``: one the caller made (and may have started already); by default one is made here when a file
    needs parsing. Either is closed once the files are parsed."""
    started = time.perf_counter()
    report = IngestReport()
    step = on_progress or (lambda fraction, stage: None)
    index.store.migrate_legacy()  # under the exclusive lock that ingest() holds
    ledger = index.ledger
    rows = ledger.rows()
    interrupted = any(r.status == "pending" for r in rows.values())
    unreported = ledger.unreported_notes()  # notes a killed run wrote but never reported
    changed = False

    def begin_change() -> None:
        # Bump the generation *before* the first write: a run killed between its writes and the final
        # rebuild then leaves a generation no cached BM25 index matches, so the next run rebuilds it.
        nonlocal changed
        if not changed:
            ledger.bump_generation()
            changed = True

    bar = _progress(len(files), "ingest")
    work, seen = _plan(files, ledger, settings, report, on_failure, bar, force)
    failed = {name for name, _ in report.failed}
    _embedder = embedder
    try:
        # The parser child works on the next file while this process embeds the current one. It starts first
        # (its imports take seconds) and this process loads the embedding model meanwhile.
        if work:
            parser = parser or Parser(settings.limits.parse_timeout_s, settings.limits.parse_memory_mb)
            parser.submit(work[0].sf.path, work[0].kind)
            _embedder = _embedder or create_embedder(settings.embedding)
        for i, w in enumerate(work):
            name, doc_id = str(w.sf.path), w.sf.document_id
            step(0.1 + 0.7 * i / len(work), f"parsing {w.sf.relative}")
            try:
                parsed: ParsedFile | None = parser.receive()  # type: ignore[union-attr]
                reason = ""
            except CSTAssistError as exc:
                parsed, reason = None, str(exc)
            if i + 1 < len(work):
                parser.submit(work[i + 1].sf.path, work[i + 1].kind)  # type: ignore[union-attr]
            bar.update(1)
            if parsed is None:
                _fail(report, on_failure, name, reason)
                failed.add(name)
                continue
            elements, redacted = redact_elements(parsed.elements)
            meta = document_meta(w.sf.relative, w.sf.entry, infer_title(elements))
            chunks = chunk_elements(
                doc_id, elements, listing=(w.sf.entry.fields if w.sf.entry else {}).get("layout") == "listing"
            )
            step(0.1 + 0.7 * (i + 0.5) / len(work), f"embedding {len(chunks)} passages of {w.sf.relative}")
            passages = [index_text(c.text, c.metadata(meta)) for c in chunks]
            if settings.embedding.windows:  # passages and windows in one call: batched by length together
                vectors, windows = embed_passages(_embedder, passages, [c.text for c in chunks])  # type: ignore[arg-type]
            else:
                vectors, windows = _embedder.embed(passages), None  # type: ignore[union-attr]
            notes = [parsed.dropped_summary()] if parsed.dropped else []
            hidden = bool(parsed.dropped) or any(e.hidden for e in elements)
            if redacted:
                first = redacted[0] if len(redacted[0]) <= 80 else redacted[0][:79] + "…"
                notes.append(
                    f"replaced {len(redacted)} sentence(s) addressed to an assistant with [text removed], e.g. “{first}”"
                )
            begin_change()
            ledger.mark_pending(meta, name, w.fingerprint, w.st.st_size, w.st.st_mtime_ns)
            if notes or hidden or name in unreported:  # kept until reported, before the document can be done
                ledger.record_note(name, "; ".join(notes), hidden)
            index.replace_document(meta, chunks, vectors, windows)
            ledger.mark_done(doc_id, len(chunks))
            (report.updated if w.row else report.added).append(name)
            report.chunks_written += len(chunks)
            bar.set_postfix(chunks=report.chunks_written, refresh=False)
            if hidden:
                report.hidden_text.append(name)
            if notes:
                report.dropped[name] = "; ".join(notes)
                # the CLI prints it (on_failure given); logging it too would print it twice
                (log.info if on_failure else log.warning)("%s: %s", name, report.dropped[name])
            log.info("%s: %d chunks", name, len(chunks))
    finally:
        bar.close()
        if parser is not None:
            parser.close()  # a caller's parser too: nothing is parsed after this point

    # A file that failed keeps its last good passages, except where the manifest now gives it another
    # audience: passages a manifest has made members-only must not stay readable as public ones.
    for sf in files:
        row = ledger.rows().get(sf.document_id) if str(sf.path) in failed else None
        audience = (sf.entry.fields if sf.entry else {}).get("audience", "public")
        if row is not None and row.source == str(sf.path) and row.meta.audience != audience:
            begin_change()
            index.remove_document(sf.document_id)
            ledger.remove(sf.document_id)
            report.removed.append(row.source)
            log.warning("%s: withdrawn: its audience changed to %s but the file could not be re-read", row.source, audience)

    rows = ledger.rows()
    for doc_id, row in rows.items():
        gone = not Path(row.source).exists()
        in_scope = any(Path(row.source) == r or Path(row.source).is_relative_to(r) for r in roots)
        if row.status == "pending" and doc_id not in seen and (gone or not in_scope):
            gone = True  # a half-written document whose file has vanished: clean it up
        if (prune and in_scope and doc_id not in seen) or (row.status == "pending" and gone):
            begin_change()
            index.remove_document(doc_id)
            ledger.remove(doc_id)
            report.removed.append(row.source)

    if interrupted or changed:
        begin_change()
        _sweep_orphans(index)
    if changed or interrupted or index.lexical_stale():
        step(0.85, "refreshing the keyword index")
        ledger.bump_generation()
        index.rebuild_lexical()
        save_learned(index.store, settings.data_dir, ledger.generation)  # the acronyms the papers define
    for name, kept in unreported.items():  # files this run found unchanged: the killed run's notes still stand
        if name not in report.unchanged:
            continue
        if kept["hidden"] and name not in report.hidden_text:
            report.hidden_text.append(name)
        if kept["note"] and name not in report.dropped:
            report.dropped[name] = kept["note"]
            (log.info if on_failure else log.warning)("%s: %s", name, kept["note"])
    report.chunks_total = index.chunk_count()
    report.seconds = time.perf_counter() - started
    ledger.notes_reported()
    return report


def _plan(
    files: list[SourceFile],
    ledger: Any,
    settings: Settings,
    report: IngestReport,
    on_failure: Callable[[str, str], None] | None,
    bar: Any,
    force: bool = False,
) -> tuple[list[_Work], dict[str, str]]:
    """First pass, no parsing: skip unchanged files, refuse bad ones by their bytes, list the rest.

    Returns the files to parse and every document id seen (id -> file), for pruning.
    """
    rows = ledger.rows()
    # what a document's stored vectors depend on: a change to any of these re-embeds it on the next ingest
    model_id = (
        f"{settings.embedding.model_path or 'bundled-minilm'}:{settings.embedding.backend}:{CHUNKER_VERSION}"
        f":w{WINDOW_SENTENCES if settings.embedding.windows else 0}"
    )
    work: list[_Work] = []
    seen: dict[str, str] = {}
    for sf in files:
        doc_id, name = sf.document_id, str(sf.path)
        if doc_id in seen:
            bar.update(1)
            _fail(
                report, on_failure, name, f"document id {doc_id!r} is already used by {seen[doc_id]}; set 'id:' in the manifest"
            )
            continue
        seen[doc_id] = name
        row = rows.get(doc_id)
        try:  # a file can vanish or be unreadable after the folder was listed: that file fails, not the run
            st = sf.path.stat()
            settings_fp = hashlib.sha256(((sf.entry.fingerprint if sf.entry else "") + model_id).encode()).hexdigest()[:16]
            if (
                not force
                and row
                and row.status == "done"
                and (row.size, row.mtime_ns, row.source) == (st.st_size, st.st_mtime_ns, name)
                and row.fingerprint.endswith("|" + settings_fp)
            ):
                bar.update(1)
                report.unchanged.append(name)
                continue
            fingerprint = _sha256(sf.path) + "|" + settings_fp
            if not force and row and row.status == "done" and row.fingerprint == fingerprint and row.source == name:
                bar.update(1)
                ledger.touch(doc_id, st.st_size, st.st_mtime_ns)
                report.unchanged.append(name)
                continue
            ftype = detect(
                sf.path,
                max_bytes=int(settings.limits.max_file_mb * 2**20),
                zip_max_entries=settings.limits.zip_max_entries,
                zip_max_uncompressed=int(settings.limits.zip_max_uncompressed_mb * 2**20),
            )
        except CSTAssistError as exc:
            bar.update(1)
            _fail(report, on_failure, name, str(exc))
            continue
        except OSError as exc:
            bar.update(1)
            _fail(report, on_failure, name, f"cannot read the file ({exc.strerror or type(exc).__name__})")
            continue
        work.append(_Work(sf, row, st, fingerprint, ftype.kind))
    return work, seen


def _fail(report: IngestReport, on_failure: Callable[[str, str], None] | None, name: str, reason: str) -> None:
    report.failed.append((name, reason))
    if on_failure:  # the caller reports it (the CLI prints one line); logging it too would print it twice
        log.info("%s: %s", name, reason)
        on_failure(name, reason)
    else:
        log.error("%s: %s", name, reason)


def _sweep_orphans(index: Index) -> None:
    """Remove chunks of documents the ledger does not know as done (left by a killed run)."""
    done = {d for d, r in index.ledger.rows().items() if r.status == "done"}
    for doc_id in index.store.document_ids() - done:
        index.remove_document(doc_id)
