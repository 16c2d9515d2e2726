"""Chroma, embedded (PersistentClient under the data directory) or a `chroma run` server (HttpClient)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from .settings import Settings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


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


class ChromaStore:
    """The vector side of the index: one collection, cosine space, vectors supplied by our embedder."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.client = client or open_client(settings)
        self.collection = self.client.get_or_create_collection(
            settings.chroma.collection,
            configuration={"hnsw": {"space": "cosine", "ef_search": 100}},
            embedding_function=None,
        )
        self.max_batch = int(self.client.get_max_batch_size())

    def count(self) -> int:
        return int(self.collection.count())

    def upsert(self, ids: list[str], vectors: np.ndarray, texts: list[str], metadatas: list[dict[str, Any]]) -> None:
        for i in range(0, len(ids), self.max_batch):
            j = i + self.max_batch
            self.collection.upsert(ids=ids[i:j], embeddings=vectors[i:j], documents=texts[i:j], metadatas=metadatas[i:j])

    def delete_document(self, document_id: str) -> None:
        self.collection.delete(where={"document_id": document_id})

    def query(self, vector: np.ndarray, n: int, where: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], float]]:
        """(id, text, metadata, cosine similarity) best first."""
        res = self.collection.query(
            query_embeddings=[vector], n_results=n, where=where, include=["documents", "metadatas", "distances"]
        )
        ids = res["ids"][0]
        return [
            (ids[i], res["documents"][0][i], res["metadatas"][0][i], 1.0 - float(res["distances"][0][i])) for i in range(len(ids))
        ]

    def get(self, ids: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
        res = self.collection.get(ids=ids, include=["documents", "metadatas"])
        return list(zip(res["ids"], res["documents"], res["metadatas"]))

    def iter_all(
        self, page: int = 5000, include: tuple[str, ...] = ("documents", "metadatas")
    ) -> Iterator[tuple[list[str], Any, Any, Any]]:
        """Every record, in pages (a single get of a large collection is slow and memory-hungry)."""
        offset = 0
        while True:
            res = self.collection.get(limit=page, offset=offset, include=list(include))
            if not res["ids"]:
                return
            yield res["ids"], res.get("documents"), res.get("metadatas"), res.get("embeddings")
            offset += len(res["ids"])

    def document_ids(self) -> set[str]:
        return {m["document_id"] for _, _, metas, _ in self.iter_all(include=("metadatas",)) for m in metas}
