"""Hybrid search: dense (Chroma) and lexical (BM25) candidates fused by reciprocal rank, filtered inside
both searches, with near-duplicate passages collapsed."""

from __future__ import annotations

import re
from typing import Literal

import numpy as np

from .documents import Passage
from .embedding import Embedder
from .filters import Filters
from .index import Index
from .lexical import index_text
from .settings import RetrievalSettings

Mode = Literal["hybrid", "dense", "lexical"]


def _shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def _overlapping(sa: set[str], sb: set[str], threshold: float = 0.85) -> bool:
    """Near-duplicate passages: most word 3-grams of the shorter one appear in the other."""
    if not sa or not sb:
        return False
    return len(sa & sb) / min(len(sa), len(sb)) >= threshold


class HybridRetriever:
    """Finds the passages that best answer a query, among those the caller may see.

    >>> retriever.search("how should the board appraise the CEO?", k=5, filters=Filters(("public",)))
    """

    def __init__(self, index: Index, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def search(self, query: str, k: int, filters: Filters, mode: Mode | None = None) -> list[Passage]:
        mode = mode or self.settings.mode
        n = max(self.settings.candidates, k * 3)
        vector = self.embedder.embed_query(query)
        dense = self.index.dense_search(vector, n, filters) if mode != "lexical" else []
        lexical = self.index.lexical_search(query, n, filters) if mode != "dense" else []

        fused: dict[str, float] = {}
        by_id: dict[str, Passage] = {}
        for rank, p in enumerate(dense):
            by_id[p.chunk_id] = p
            p.ranks["dense"] = rank + 1
            fused[p.chunk_id] = fused.get(p.chunk_id, 0.0) + 1.0 / (self.settings.rrf_k + rank + 1)
        lex_rank = {cid: r + 1 for r, (cid, _) in enumerate(lexical)}
        for cid, rank in lex_rank.items():
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (self.settings.rrf_k + rank)

        missing = [cid for cid in fused if cid not in by_id]
        by_id.update(self.index.passages(missing, filters))
        order = sorted((cid for cid in fused if cid in by_id), key=lambda c: -fused[c])

        results: list[Passage] = []
        kept: list[tuple[str, set[str]]] = []  # (stripped text, shingles) of each result, computed once
        for cid in order:
            p = by_id[cid]
            if cid in lex_rank:
                p.ranks["lexical"] = lex_rank[cid]
            text, shingles = p.text.strip(), _shingles(p.text)
            if any(text == t or _overlapping(shingles, s) for t, s in kept):
                continue
            kept.append((text, shingles))
            p.score = round(fused[cid], 6)
            results.append(p)
            if len(results) >= k:
                break
        self._fill_similarity(results, vector, filters)
        return results

    def _fill_similarity(self, passages: list[Passage], query_vector: np.ndarray, filters: Filters) -> None:
        """Cosine similarity for passages only the lexical search found (used for abstention)."""
        need = [p.chunk_id for p in passages if p.similarity is None]
        if not need:
            return
        vecs = self.index.vectors(need, filters)
        for p in passages:
            if p.similarity is None and p.chunk_id in vecs:
                p.similarity = float(np.dot(vecs[p.chunk_id], query_vector))


def embedding_text(text: str, meta: dict) -> str:  # type: ignore[type-arg]
    """What gets embedded for a chunk: the passage with its title and section (shared with BM25)."""
    return index_text(text, meta)
