"""Metric functions: plain inputs (ranked lists, sets, numbers) in, numbers out.

Ranked retrieval results are described by ``covers``: for each retrieved passage, best first, the set
of targets (indexes into an item's targets, see ``gold.Target``) that the passage carries evidence
for. An empty set is an irrelevant passage.

>>> covers = [set(), {0}, set()]          # the evidence is in the second passage
>>> first_hit_rank(covers, k=5), reciprocal_rank(covers, k=5), recall_at(covers, 1, k=5)
(2, 0.5, 1.0)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

Covers = Sequence[set[int]]
_MARKER = re.compile(r"\[(\d+)\]")


def first_hit_rank(covers: Covers, k: int) -> int | None:
    """1-based rank of the first relevant passage within the top ``k``; None when there is none."""
    for rank, c in enumerate(covers[:k], 1):
        if c:
            return rank
    return None


def reciprocal_rank(covers: Covers, k: int) -> float:
    rank = first_hit_rank(covers, k)
    return 1.0 / rank if rank else 0.0


def recall_at(covers: Covers, n_targets: int, k: int) -> float:
    """Share of the item's targets (documents' evidence) found in the top ``k``, each counted once."""
    if n_targets <= 0:
        return 0.0
    found: set[int] = set().union(*covers[:k]) if covers[:k] else set()
    return len(found) / n_targets


def dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg(gains: Sequence[float], ideal_gains: Iterable[float], k: int = 10) -> float:
    """Normalised discounted cumulative gain at ``k`` (``ideal_gains`` in any order)."""
    best = dcg(sorted(ideal_gains, reverse=True)[:k])
    return dcg(list(gains)[:k]) / best if best > 0 else 0.0


def binary_ndcg(covers: Covers, n_targets: int, k: int = 10) -> float:
    """nDCG@k with binary relevance: a passage gains 1 when it brings a target not already covered
    above it (so the same evidence twice is not rewarded twice); the ideal covers every target at once."""
    seen: set[int] = set()
    gains = []
    for c in covers[:k]:
        new = c - seen
        gains.append(1.0 if new else 0.0)
        seen |= c
    return ndcg(gains, [1.0] * n_targets, k)


def graded_ndcg(ranked_ids: Sequence[str], qrels: dict[str, int], k: int = 10) -> float:
    """nDCG@k as BEIR computes it: the gain of a document is its qrels grade (0 when unjudged)."""
    gains = [float(qrels.get(i, 0)) for i in ranked_ids[:k]]
    return ndcg(gains, [float(g) for g in qrels.values() if g > 0], k)


def id_recall(ranked_ids: Sequence[str], relevant: Iterable[str], k: int) -> float:
    rel = set(relevant)
    return len(rel & set(ranked_ids[:k])) / len(rel) if rel else 0.0


def id_reciprocal_rank(ranked_ids: Sequence[str], relevant: Iterable[str], k: int) -> float:
    rel = set(relevant)
    for rank, i in enumerate(ranked_ids[:k], 1):
        if i in rel:
            return 1.0 / rank
    return 0.0


def markers_resolve(text: str, citation_numbers: Iterable[int]) -> bool:
    """Every ``[n]`` in an answer is the number of one of its citations."""
    numbers = set(citation_numbers)
    return all(int(m) in numbers for m in _MARKER.findall(text))


def strip_markers(text: str) -> str:
    """An answer's text without its ``[n]`` markers, so evidence split by one still matches."""
    return _MARKER.sub("", text)


def key_point_recall(stated: Sequence[bool]) -> float:
    """Share of a broad question's key points that its answer states (``GoldItem.points_stated``)."""
    return sum(stated) / len(stated) if stated else 0.0


def half_stated(stated: Sequence[bool]) -> bool:
    """The answer states at least half of the question's key points."""
    return bool(stated) and 2 * sum(stated) >= len(stated)


def mean(values: Iterable[float | bool | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Area under the ROC curve: the chance that a random positive scores above a random negative (ties half)."""
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))
