"""The index: Chroma vectors, the BM25 index derived from them, and the ledger, kept in step."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .candidates import Candidate
from .database import RESTORE_HINT, Database, DatabaseLost, DatabaseUnavailable, damage_of
from .documents import Chunk, DocumentMeta, Passage
from .filters import Filters
from .injection import strip_invisible
from .lexical import LexicalIndex
from .records import Record, RecordCache, shingles
from .settings import Settings
from .state import Ledger
from .store import ChromaStore
from .windows import WINDOWS_KEY

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentInfo:
    meta: DocumentMeta
    chunk_count: int


def _visible_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: strip_invisible(v) if isinstance(v, str) else v for k, v in meta.items()}


class Index:
    """Everything retrieval reads and ingest writes. Thread-safe for readers in one process."""

    health_ttl_s = 30.0  # how long ``index_problem`` remembers its answer

    def __init__(self, settings: Settings, store: ChromaStore | None = None, allow_new_database: bool = False) -> None:
        """Open the database and the store. ``DatabaseLost`` when the database has no ledger while the store holds
        passages (a deleted or emptied database file), unless ``allow_new_database`` (restore, which refills it)."""
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database.for_settings(settings)
        self.ledger = Ledger(self.db)
        self.store = store or ChromaStore(settings)
        if not allow_new_database:
            check_ledger_present(self.ledger, self.db, self.store.count(), settings)
        self._lexical: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self._health: tuple[float, str | None] | None = None
        self._records = RecordCache(settings.retrieval.record_cache)

    # --- writing (ingest) -------------------------------------------------------------------------
    def replace_document(
        self, meta: DocumentMeta, chunks: list[Chunk], vectors: np.ndarray, windows: list[str] | None = None
    ) -> None:
        """Make the document's chunks in Chroma exactly ``chunks`` (old ones removed first); ``windows`` holds each
        chunk's encoded sentence-window vectors (``cstassist.windows``), stored in its metadata."""
        self.store.delete_document(meta.document_id)
        self._records.clear()
        if chunks:
            metas = [_visible_meta(c.metadata(meta)) for c in chunks]
            for m, blob in zip(metas, windows or []):
                if blob:
                    m[WINDOWS_KEY] = blob
            # invisible characters (Unicode tags can spell a hidden message) never enter the index
            self.store.upsert([c.chunk_id for c in chunks], vectors, [strip_invisible(c.text) for c in chunks], metas)

    def remove_document(self, document_id: str) -> None:
        self.store.delete_document(document_id)
        self._records.clear()

    def rebuild_lexical(self, generation: int | None = None) -> LexicalIndex:
        """Re-derive BM25 from what Chroma holds now, and cache it stamped with ``generation`` (default: the
        ledger's now; pass the one read *before* reading Chroma when another process may be ingesting)."""
        if generation is None:
            generation = self.ledger.generation
        records: list[tuple[str, str, dict[str, Any]]] = []
        vectors: list[Any] | None = []
        try:
            for ids, texts, metas, embeddings in self.store.iter_all(include=("documents", "metadatas", "embeddings")):
                records += zip(ids, texts, metas)
                vectors += list(embeddings)  # type: ignore[operator]
        except Exception as exc:  # noqa: BLE001 - a damaged vector index: BM25 still works, /readyz says what is wrong
            log.warning("the vectors could not be read (%s); BM25 is built without the passage table", str(exc)[:200])
            records = [(i, t, m) for ids, texts, metas, _ in self.store.iter_all() for i, t, m in zip(ids, texts, metas)]
            vectors = None
        lex = LexicalIndex.build(records, generation, np.asarray(vectors, dtype=np.float32) if vectors else None)
        if vectors is not None:  # one built over a damaged index is not kept: the next start builds it whole
            lex.save(self.settings.data_dir / "lexical")
        with self._lock:
            self._lexical = lex
        return lex

    def lexical_stale(self) -> bool:
        """True when the cached BM25 index is missing or from another generation than the ledger's."""
        import json

        try:
            head = json.loads((self.settings.data_dir / "lexical" / "ids.json").read_text())
        except (OSError, ValueError):
            return True
        return int(head.get("generation", -1)) != self.ledger.generation

    # --- reading ----------------------------------------------------------------------------------
    def lexical(self) -> LexicalIndex:
        """The BM25 index of the current generation. While ``watch`` runs, the one in memory (the watcher keeps
        it current, so a search reads no database); otherwise checked against the ledger on every call."""
        if self._watcher is not None and self._lexical is not None:
            return self._lexical
        gen = self.ledger.generation
        lex = self._lexical
        if lex is not None and lex.generation == gen:
            return lex
        with self._lock:
            if self._lexical is not None and self._lexical.generation == gen:
                return self._lexical
            cached = LexicalIndex.load(self.settings.data_dir / "lexical")
            if cached is not None and cached.generation == gen and len(cached) == self.store.count():
                self._lexical = cached
                return cached
        log.info("rebuilding the lexical index from Chroma (generation %s)", gen)
        return self.rebuild_lexical()

    def watch(self, interval_s: float) -> None:
        """Follow the ledger's generation from a background thread: when an ingest (on any host) moves it on,
        load or rebuild BM25 for it while searches go on using the previous one, then swap. A database or
        Chroma that is down only delays the swap."""
        self.lexical()
        if self._watcher is not None:
            return
        self._stop.clear()
        self._watcher = threading.Thread(target=self._follow, args=(interval_s,), name="cstassist-generation", daemon=True)
        self._watcher.start()

    def stop_watching(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=10)
        self._watcher = None

    def _follow(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                gen = self.ledger.generation
                current = self._lexical
                if current is not None and current.generation == gen:
                    continue
                cached = LexicalIndex.load(self.settings.data_dir / "lexical")
                if cached is not None and cached.generation == gen and len(cached) == self.store.count():
                    with self._lock:
                        self._lexical = cached
                else:
                    self.rebuild_lexical(gen)
                log.info("lexical index now at generation %s (%d chunks)", gen, len(self._lexical or []))
            except DatabaseUnavailable:
                log.warning(
                    "database unavailable; serving the lexical index of generation %s", getattr(self._lexical, "generation", None)
                )
            except Exception:  # noqa: BLE001 - a failed refresh must not stop the watcher; the next tick retries
                log.exception("refreshing the lexical index failed; serving the previous one")

    def nearest(
        self, vector: np.ndarray, n: int, filters: Filters, lexical: LexicalIndex | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the ``n`` passages closest to ``vector`` among those the filters allow, best first. A
        search narrowed by document, kind or date scores exactly the passages the filters allow
        (``LexicalIndex.nearest``); an unnarrowed one asks HNSW, for ids only."""
        if filters.chroma_where() is not None:
            hits = (lexical or self.lexical()).nearest(vector, n, filters)
            if hits is not None:
                return hits
            return self.store.nearest(vector, n, filters.audiences, filters.chroma_where())  # a cache without vectors
        return self.store.nearest(vector, n, filters.audiences)

    def candidates(
        self, ids: list[str], dense: dict[str, float], vector: np.ndarray, filters: Filters, lexical: LexicalIndex
    ) -> dict[str, Candidate]:
        """What ranking needs of each candidate (``cstassist.candidates``), in the order of ``ids``: from the passage
        table where the index has one, else from the passages themselves. ``dense``: the cosines the nearest-
        neighbour search already gave. A passage outside the caller's audiences is left out (and logged: it can
        only be one stored in the wrong collection)."""
        table, at = lexical.table, lexical.position
        found: dict[str, Candidate] = {}
        unplaced = [cid for cid in ids if table is None or at(cid) is None]
        for cid in ids:
            row = at(cid) if table is not None else None
            if row is None:
                continue
            if lexical.audience[row] not in filters.audiences:
                log.error("passage %s has audience %r outside its collection; left out", cid, lexical.audience[row])
                continue
            sim = dense.get(cid)
            found[cid] = Candidate(
                cid,
                table.similarity(row, vector) if sim is None else sim,  # type: ignore[union-attr]
                table.window_scores(row, vector),  # type: ignore[union-attr]
                table.superseded_for(row, filters.audiences),  # type: ignore[union-attr]
                int(table.digest[row]),  # type: ignore[union-attr]
            )
        if unplaced:
            for cid, p in self.passages(unplaced, filters, vector, lexical, dense).items():
                found[cid] = Candidate(cid, p.similarity, p.window_scores, bool(p.superseded_by))
        return {cid: found[cid] for cid in ids if cid in found}

    def records(self, ids: list[str], audiences: tuple[str, ...], lexical: LexicalIndex | None = None) -> dict[str, Record]:
        """The stored passages of ``ids`` among the audiences' collections (``cstassist.records``: read once per
        generation of the index, then kept)."""
        generation = (lexical or self.lexical()).generation
        return self._records.at(generation).get(ids, lambda missing: self.store.get(missing, audiences, with_vectors=True))

    def passages(
        self,
        ids: list[str],
        filters: Filters,
        query_vector: np.ndarray | None = None,
        lexical: LexicalIndex | None = None,
        similarity: dict[str, float] | None = None,
    ) -> dict[str, Passage]:
        """Fetch passages by id, in the order of ``ids``, dropping any outside the caller's audiences (and logging
        it: only a passage stored in the wrong collection can be); with ``query_vector``, each passage's cosine to it
        (``similarity``'s where given, else from its stored vector) and its windows' are filled in."""
        if not ids:
            return {}
        similarity = similarity or {}
        out = {}
        for cid, rec in self.records(ids, filters.audiences, lexical).items():
            if rec.audience not in filters.audiences:
                log.error("passage %s has audience %r outside its collection; left out", cid, rec.audience)
                continue
            out[cid] = rec.for_caller(filters.audiences, query_vector, similarity.get(cid))
        return out

    def shingles(self, passage: Passage) -> frozenset[str]:
        """The passage's word 3-grams for de-duplication, worked out once per stored passage."""
        rec = self._records.peek(passage.chunk_id)
        return rec.shingles if rec is not None and rec.passage.text == passage.text else shingles(passage.text)

    def documents(self, audiences: tuple[str, ...]) -> list[DocumentInfo]:
        rows = self.ledger.rows().values()
        return sorted(
            (DocumentInfo(r.meta, r.chunk_count) for r in rows if r.status == "done" and r.meta.audience in audiences),
            key=lambda d: d.meta.document_id,
        )

    def chunk_count(self) -> int:
        return self.store.count()

    def status(self) -> dict[str, Any]:
        """Chunk count, generation and document count; ``database`` says whether the ledger could be read (when it
        cannot, the generation is the one being served and the document count is left out)."""
        status: dict[str, Any] = {"chunks": self.chunk_count(), "index": self.index_problem() or "ok"}
        try:
            rows = self.ledger.rows()
            damage = self.db.integrity_problem()
            status.update(generation=self.ledger.generation, database="damaged" if damage else "ok")
            status["documents"] = sum(1 for r in rows.values() if r.status == "done")
        except DatabaseUnavailable as exc:
            state = "damaged" if damage_of(exc) else "unavailable"
            status.update(generation=getattr(self._lexical, "generation", None), database=state)
        return status

    def index_problem(self) -> str | None:
        """What ``ChromaStore.health`` finds wrong with the vector index (None: nothing), remembered for
        ``health_ttl_s`` so /readyz can ask often."""
        if self._health is None or time.monotonic() - self._health[0] > self.health_ttl_s:
            self._health = (time.monotonic(), self.store.health()[0])
        return self._health[1]


def check_ledger_present(ledger: Ledger, db: Database, chunks: int, settings: Settings) -> None:
    """Raise ``DatabaseLost`` when the index holds passages but the database has no ledger at all (no documents, no
    generation): the file was deleted, emptied or replaced, and with it the keys, token secret and feedback."""
    if chunks and ledger.generation == 0 and not ledger.rows():
        raise DatabaseLost(
            f"the database {db.description} is missing or empty but the index at {settings.chroma_path} holds {chunks} "
            f"passages (its ledger, API keys, token secret, feedback and conversations are gone): {RESTORE_HINT}; "
            f"or, to start again from nothing, move {settings.chroma_path} away and run `cstassist ingest`"
        )


def check_startup(settings: Settings) -> None:
    """Everything start-up must refuse, each as one line: a damaged database (``DatabaseDamaged``) or one behind
    this version (``SchemaOutOfDate``), a vector index that cannot be read whole (``IndexDamaged``, checked in a
    child process so a crashing loader cannot take the caller with it), and a missing or emptied database beside
    a non-empty index (``DatabaseLost``)."""
    from .store import IndexDamaged, probe

    db = Database.for_settings(settings)
    problem, chunks = probe(settings)
    if problem:
        raise IndexDamaged(f"{problem}: {RESTORE_HINT}")
    check_ledger_present(Ledger(db), db, chunks, settings)
