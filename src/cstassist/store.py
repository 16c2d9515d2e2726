"""Chroma, embedded (PersistentClient under the data directory) or a `chroma run` server (HttpClient).

Passages live in one collection per audience (``<prefix>-public``, ``<prefix>-members``). A search
only opens the collections the caller may read, so members-only vectors are never even scored for an
anonymous caller, and the common search needs no metadata ``where`` clause: in chromadb 1.5 any
``where`` turns a 7 ms HNSW query at 50,000 vectors into a 220 ms one (measured, benchmarks/README.md).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .documents import AUDIENCES
from .errors import CSTAssistError
from .settings import Settings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
log = logging.getLogger(__name__)


def open_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaConfig

    config = ChromaConfig(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma.url:
        from urllib.parse import urlparse

        u = urlparse(settings.chroma.url)
        return chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000, ssl=u.scheme == "https", settings=config)
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=config)


Record = tuple[str, str, dict[str, Any], np.ndarray | None]
PROBE_K = 10


class IndexDamaged(CSTAssistError):
    """The vector index cannot be read whole: a segment file is missing or damaged, or its loader crashes."""

    code = "index_damaged"
    http_status = 503


class ChromaStore:
    """The vector side of the index: a cosine-space collection per audience, vectors supplied by our embedder."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.client = client or open_client(settings)
        self.prefix = settings.chroma.collection
        self.collections = {audience: self._open(audience) for audience in AUDIENCES}
        self.max_batch = int(self.client.get_max_batch_size())
        if self._legacy_present():
            log.warning(
                "this index still has cstassist 0.1's single collection; `cstassist ingest` moves it into per-audience ones"
            )

    def _open(self, audience: str) -> Any:
        return self.client.get_or_create_collection(
            f"{self.prefix}-{audience}",
            configuration={"hnsw": {"space": "cosine", "ef_search": 100}},
            embedding_function=None,
        )

    def _legacy_present(self) -> bool:
        return self.prefix in {getattr(c, "name", c) for c in self.client.list_collections()}

    def migrate_legacy(self) -> int:
        """Move passages from the one collection that 0.1 kept (named ``<prefix>``) into the audience ones.

        A writer's job: call it only under the data directory's exclusive lock (ingest does). Each batch is
        copied before it is deleted, so an interrupted move is finished by the next call. Returns the count moved.
        """
        if not self._legacy_present():
            return 0
        legacy = self.client.get_collection(self.prefix, embedding_function=None)
        moved = 0
        while True:
            batch = legacy.get(limit=self.max_batch, include=["documents", "metadatas", "embeddings"])
            if not batch["ids"]:
                break
            vectors = np.asarray(batch["embeddings"], dtype=np.float32)
            self.upsert(batch["ids"], vectors, batch["documents"], batch["metadatas"])
            legacy.delete(ids=batch["ids"])
            moved += len(batch["ids"])
        self.client.delete_collection(self.prefix)
        log.info("moved %d passages from the single 0.1 collection into per-audience collections", moved)
        return moved

    def _readable(self, audiences: Iterable[str]) -> list[Any]:
        return [self.collections[a] for a in AUDIENCES if a in set(audiences)]

    def count(self) -> int:
        return sum(int(c.count()) for c in self.collections.values())

    def upsert(self, ids: list[str], vectors: np.ndarray, texts: list[str], metadatas: list[dict[str, Any]]) -> None:
        """Store passages, each in its audience's collection (an unknown audience is a ``ValueError``)."""
        groups: dict[str, list[int]] = {}
        for i, meta in enumerate(metadatas):
            audience = meta.get("audience")
            if audience not in self.collections:
                raise ValueError(f"passage {ids[i]!r} has audience {audience!r}; expected one of {AUDIENCES}")
            groups.setdefault(audience, []).append(i)
        for audience, rows in groups.items():
            for start in range(0, len(rows), self.max_batch):
                part = rows[start : start + self.max_batch]
                self.collections[audience].upsert(
                    ids=[ids[i] for i in part],
                    embeddings=vectors[part],
                    documents=[texts[i] for i in part],
                    metadatas=[metadatas[i] for i in part],
                )

    def delete_document(self, document_id: str) -> None:
        """Remove a document's passages from every collection (its audience may have changed)."""
        for collection in self.collections.values():
            collection.delete(where={"document_id": document_id})

    def query(
        self, vector: np.ndarray, n: int, audiences: Iterable[str], where: dict[str, Any] | None = None
    ) -> list[tuple[str, str, dict[str, Any], float]]:
        """(id, text, metadata, cosine similarity) best first, from the audiences' collections only."""
        hits = []
        for collection in self._readable(audiences):
            res = collection.query(
                query_embeddings=[vector], n_results=n, where=where, include=["documents", "metadatas", "distances"]
            )
            ids = res["ids"][0]
            hits += [
                (ids[i], res["documents"][0][i], res["metadatas"][0][i], 1.0 - float(res["distances"][0][i]))
                for i in range(len(ids))
            ]
        hits.sort(key=lambda h: -h[3])
        return hits[:n]

    def nearest(
        self, vector: np.ndarray, n: int, audiences: Iterable[str], where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """(id, cosine similarity) best first, from the audiences' collections only: the HNSW search alone, which
        is about a tenth of what ``query`` costs with the passages' texts and metadata (``Index.records`` keeps
        those)."""
        hits = []
        for collection in self._readable(audiences):
            res = collection.query(query_embeddings=[vector], n_results=n, where=where, include=["distances"])
            hits += [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]
        hits.sort(key=lambda h: -h[1])
        return hits[:n]

    def get(self, ids: list[str], audiences: Iterable[str], with_vectors: bool = False) -> list[Record]:
        """(id, text, metadata, vector or None) of the passages with these ids, from the audiences' collections
        only (unknown ids are left out)."""
        out: list[Record] = []
        include = ["documents", "metadatas", *(["embeddings"] if with_vectors else [])]
        for collection in self._readable(audiences):
            res = collection.get(ids=ids, include=include)
            vectors = res["embeddings"] if with_vectors else [None] * len(res["ids"])
            out += [
                (i, t, m, None if v is None else np.asarray(v, dtype=np.float32))
                for i, t, m, v in zip(res["ids"], res["documents"], res["metadatas"], vectors)
            ]
        return out

    def iter_all(
        self, page: int = 5000, include: tuple[str, ...] = ("documents", "metadatas")
    ) -> Iterator[tuple[list[str], Any, Any, Any]]:
        """Every record of every audience, in pages (a single get of a large collection is slow and memory-hungry)."""
        for collection in self.collections.values():
            offset = 0
            while True:
                res = collection.get(limit=page, offset=offset, include=list(include))
                if not res["ids"]:
                    break
                yield res["ids"], res.get("documents"), res.get("metadatas"), res.get("embeddings")
                offset += len(res["ids"])

    def health(self) -> tuple[str | None, int]:
        """(what is wrong with the vector index or None, the passage count). Each collection is counted and queried
        for its nearest ``PROBE_K``: a collection whose HNSW segment was deleted still counts every passage but
        finds fewer, and a damaged segment file makes the query fail."""
        total = 0
        for audience, collection in self.collections.items():
            try:
                n = int(collection.count())
                total += n
                if not n:
                    continue
                got = collection.get(limit=1, include=["embeddings"])
                probe = np.ones(len(got["embeddings"][0]), dtype=np.float32)
                probe /= np.linalg.norm(probe)
                found = len(collection.query(query_embeddings=[probe], n_results=min(n, PROBE_K), include=[])["ids"][0])
            except Exception as exc:  # noqa: BLE001 - any failure to read the index is the finding
                return f"the {audience} collection cannot be read ({type(exc).__name__}: {str(exc)[:160]})", total
            if found < min(n, PROBE_K):
                return (
                    f"the {audience} collection holds {n} passages but its vector index finds {found} of {min(n, PROBE_K)} "
                    "(a segment file is missing or damaged)",
                    total,
                )
        return None, total

    def document_ids(self) -> set[str]:
        return {m["document_id"] for _, _, metas, _ in self.iter_all(include=("metadatas",)) for m in metas}

    def drop(self) -> None:
        """Delete every collection and start empty (restore)."""
        for audience in AUDIENCES:
            self.client.delete_collection(f"{self.prefix}-{audience}")
        self.collections = {audience: self._open(audience) for audience in AUDIENCES}


def probe(settings: Settings, timeout_s: float = 180.0) -> tuple[str | None, int]:
    """``ChromaStore.health`` of the store the settings name, run in a child process for an embedded store: a
    corrupt segment can make Chroma's native loader crash the process that opens it, and start-up must then
    say so in a line rather than die. A Chroma server does its own loading, so it is asked from here."""
    if settings.chroma.url:
        return ChromaStore(settings).health()
    if not settings.chroma_path.exists():
        return None, 0
    from .locking import DataDirLock

    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    args = json.dumps({"data_dir": str(settings.data_dir), "collection": settings.chroma.collection})
    try:
        # a reader, like the service: never beside an ingest or restore writing the same files (DataDirBusy)
        with DataDirLock(settings.data_dir, exclusive=False, what="the index check"):
            done = subprocess.run(
                [sys.executable, "-c", "import sys; from cstassist.store import _probe_main; _probe_main(sys.argv[1])", args],
                capture_output=True,
                text=True,
                timeout=timeout_s,
                env=env,
            )
    except subprocess.TimeoutExpired:
        return f"the vector index at {settings.chroma_path} did not open within {timeout_s:g} s", 0
    if done.returncode < 0:
        return f"the vector index at {settings.chroma_path} crashed the process reading it (signal {-done.returncode})", 0
    try:
        problem, count = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"the vector index at {settings.chroma_path} could not be read ({last[:200]})", 0
    return problem, int(count)


def _probe_main(raw: str) -> None:  # pragma: no cover - runs in the child
    from .settings import ChromaSettings

    logging.disable(logging.WARNING)
    given = json.loads(raw)
    settings = Settings(data_dir=given["data_dir"], chroma=ChromaSettings(collection=given["collection"]))
    try:
        result = ChromaStore(settings).health()
    except Exception as exc:  # noqa: BLE001 - opening failed: that is the finding
        result = (f"the vector index cannot be opened ({type(exc).__name__}: {str(exc)[:160]})", 0)
    print(json.dumps(result))
