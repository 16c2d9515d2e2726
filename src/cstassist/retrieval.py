"""Hybrid search: dense (Chroma) and lexical (BM25) candidates, filtered inside both searches, fused by
their normalised scores (or by reciprocal rank), with near-duplicate passages collapsed."""

from __future__ import annotations

from typing import Literal

import numpy as np

from .documents import Passage
from .embedding import Embedder
from .filters import Filters
from .index import Index
from .lexical import LexicalIndex
from .settings import RetrievalSettings

Mode = Literal["hybrid", "dense", "lexical"]


def _overlapping(sa: frozenset[str], sb: frozenset[str], threshold: float = 0.85) -> bool:
    """Near-duplicate passages: most word 3-grams of the shorter one appear in the other."""
    if not sa or not sb:
        return False
    return len(sa & sb) / min(len(sa), len(sb)) >= threshold


class HybridRetriever:
    """Finds the passages that best answer a query, among those the caller may see.

    Hybrid mode takes the top candidates of each search and scores every candidate three ways: cosine
    from its vector, cosine of its best sentence window (``cstassist.windows``), and BM25 from the same
    scoring pass. Each is min-max normalised over the candidates and they are added with
    ``window_weight`` and ``dense_weight`` (equal thirds by default; see ``evals/README.md`` for why
    not RRF).

    >>> retriever.search("how should the board appraise the CEO?", k=5, filters=Filters(("public",)))
    """

    def __init__(self, index: Index, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def search(
        self, query: str, k: int, filters: Filters, mode: Mode | None = None, lexical: LexicalIndex | None = None
    ) -> list[Passage]:
        """``lexical``: the BM25 index the caller already holds (one generation of the index for the whole request)."""
        mode = mode or self.settings.mode
        n = max(self.settings.candidates, k * 3)
        vector = self.embedder.embed_query(query)
        index = lexical or self.index.lexical()
        dense = self.index.dense_search(vector, n, filters, index) if mode != "lexical" else []
        by_id = {p.chunk_id: p for p in dense}
        lexical, bm25 = index.search_with(query, n, filters, list(by_id)) if mode != "dense" else ([], {})
        for rank, p in enumerate(dense):
            p.ranks["dense"] = rank + 1
        lex_rank = {cid: r + 1 for r, (cid, _) in enumerate(lexical)}
        bm25.update(lexical)

        missing = [cid for cid in lex_rank if cid not in by_id]
        by_id.update(self.index.passages(missing, filters, vector, index))
        for cid, rank in lex_rank.items():
            if cid in by_id:
                by_id[cid].ranks["lexical"] = rank

        if mode == "dense":
            fused = {p.chunk_id: p.similarity or 0.0 for p in dense}
        elif mode == "lexical":
            fused = {cid: score for cid, score in lexical if cid in by_id}
        elif self.settings.fusion == "rrf":
            fused = {cid: sum(1.0 / (self.settings.rrf_k + r) for r in p.ranks.values()) for cid, p in by_id.items()}
        else:
            fused = self._score_fusion(by_id, bm25)
        fused = self._demote_superseded(fused, by_id)
        return self._distinct(sorted(fused, key=lambda c: -fused[c]), by_id, fused, k)

    def _score_fusion(self, by_id: dict[str, Passage], bm25: dict[str, float]) -> dict[str, float]:
        ids = list(by_id)
        cosine = [by_id[c].similarity or 0.0 for c in ids]
        best = [by_id[c].window_similarity for c in ids]
        # a passage stored without windows (ingested before they existed) stands in with its own cosine
        window = [cos if b is None else b for b, cos in zip(best, cosine)]
        dense, windows = _min_max(np.array(cosine)), _min_max(np.array(window))
        lexical = _min_max(np.array([bm25.get(c, 0.0) for c in ids]))
        w, ww = self.settings.dense_weight, self.settings.window_weight
        fused = (1 - ww) * (w * dense + (1 - w) * lexical) + ww * windows
        return dict(zip(ids, fused.tolist()))

    def _demote_superseded(self, fused: dict[str, float], by_id: dict[str, Passage]) -> dict[str, float]:
        """A passage whose document is superseded scores ``superseded_weight`` of its score: where the newer
        document says the same thing it comes first, and what only the older one says is still found."""
        w = self.settings.superseded_weight
        return {cid: score * w if by_id[cid].superseded_by else score for cid, score in fused.items()}

    def _distinct(self, order: list[str], by_id: dict[str, Passage], fused: dict[str, float], k: int) -> list[Passage]:
        """The first ``k`` passages in ``order`` that are not near-duplicates of one already taken."""
        results: list[Passage] = []
        texts: set[str] = set()  # the stripped text of each result: a copy is left out before any shingling
        kept: list[frozenset[str]] = []  # the shingles of each result
        for cid in order:
            p = by_id[cid]
            text = p.text.strip()
            if text in texts:
                continue
            shingles = self.index.shingles(p)
            if any(_overlapping(shingles, s) for s in kept):
                continue
            texts.add(text)
            kept.append(shingles)
            p.score = round(fused[cid], 6)
            results.append(p)
            if len(results) >= k:
                break
        return results


def _min_max(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    span = float(values.max() - values.min())
    return (values - values.min()) / span if span > 0 else np.ones_like(values)
