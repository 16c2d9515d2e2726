"""Hybrid search: dense (Chroma) and lexical (BM25) candidates, filtered inside both searches, fused by
their normalised scores (or by reciprocal rank), with near-duplicate passages collapsed."""

from __future__ import annotations

from typing import Literal

import numpy as np

from .candidates import Candidate
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
        dense = self.index.nearest(vector, n, filters, index) if mode != "lexical" else []
        dense_sim = dict(dense)
        found, bm25 = index.search_with(query, n, filters, list(dense_sim)) if mode != "dense" else ([], {})
        bm25.update(found)
        lex_rank = {cid: r + 1 for r, (cid, _) in enumerate(found)}
        ids = list(dense_sim) + [cid for cid in lex_rank if cid not in dense_sim]
        cands = self.index.candidates(ids, dense_sim, vector, filters, index)
        for rank, (cid, _) in enumerate(dense):
            if cid in cands:
                cands[cid].ranks["dense"] = rank + 1
        for cid, rank in lex_rank.items():
            if cid in cands:
                cands[cid].ranks["lexical"] = rank

        if mode == "dense":
            fused = {cid: cands[cid].similarity or 0.0 for cid, _ in dense if cid in cands}
        elif mode == "lexical":
            fused = {cid: score for cid, score in found if cid in cands}
        elif self.settings.fusion == "rrf":
            fused = {cid: sum(1.0 / (self.settings.rrf_k + r) for r in c.ranks.values()) for cid, c in cands.items()}
        else:
            fused = self._score_fusion(cands, bm25)
        fused = self._demote_superseded(fused, cands)
        order = sorted(fused, key=lambda c: -fused[c])
        return self._distinct(order, cands, fused, k, filters, vector, index)

    def _score_fusion(self, cands: dict[str, Candidate], bm25: dict[str, float]) -> dict[str, float]:
        ids = list(cands)
        cosine = [cands[c].similarity or 0.0 for c in ids]
        best = [cands[c].window_similarity for c in ids]
        # a passage stored without windows (ingested before they existed) stands in with its own cosine
        window = [cos if b is None else b for b, cos in zip(best, cosine)]
        dense, windows = _min_max(np.array(cosine)), _min_max(np.array(window))
        lexical = _min_max(np.array([bm25.get(c, 0.0) for c in ids]))
        w, ww = self.settings.dense_weight, self.settings.window_weight
        fused = (1 - ww) * (w * dense + (1 - w) * lexical) + ww * windows
        return dict(zip(ids, fused.tolist()))

    def _demote_superseded(self, fused: dict[str, float], cands: dict[str, Candidate]) -> dict[str, float]:
        """A passage whose document is superseded scores ``superseded_weight`` of its score: where the newer
        document says the same thing it comes first, and what only the older one says is still found."""
        w = self.settings.superseded_weight
        return {cid: score * w if cands[cid].superseded else score for cid, score in fused.items()}

    def _distinct(
        self,
        order: list[str],
        cands: dict[str, Candidate],
        fused: dict[str, float],
        k: int,
        filters: Filters,
        vector: np.ndarray,
        lexical: LexicalIndex,
    ) -> list[Passage]:
        """The first ``k`` passages in ``order`` that are not near-duplicates of one already taken. Only these (and
        the duplicates passed over) are read whole, a few more than needed at a time."""
        results: list[Passage] = []
        texts: set[str] = set()  # the stripped text of each result: a copy is left out before any shingling
        kept: list[frozenset[str]] = []  # the shingles of each result
        seen: set[int] = set()  # text digests met: a copy's fate is its original's, so it is passed over unread
        at, batch = 0, k + 3
        while at < len(order) and len(results) < k:
            ids: list[str] = []
            while at < len(order) and len(ids) < batch:
                cid, at = order[at], at + 1
                digest = cands[cid].digest
                if digest is None or digest not in seen:
                    ids.append(cid)
                    if digest is not None:
                        seen.add(digest)
            batch = 2 * k
            sims = {cid: cands[cid].similarity for cid in ids if cands[cid].similarity is not None}
            passages = self.index.passages(ids, filters, vector, lexical, sims)  # type: ignore[arg-type]
            for cid in ids:
                p = passages.get(cid)
                if p is None:
                    continue
                text = p.text.strip()
                if text in texts:
                    continue
                shingles = self.index.shingles(p)
                if any(_overlapping(shingles, s) for s in kept):
                    continue
                texts.add(text)
                kept.append(shingles)
                p.ranks = dict(cands[cid].ranks)
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
