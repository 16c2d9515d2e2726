"""A candidate passage as ranking sees it: its scores and marks, before (and mostly without) its text.

Hybrid search ranks 30-60 candidates and returns a handful; a candidate carries what fusion, the superseded
demotion and reciprocal rank fusion read, and only those the ranking keeps are read whole (``Index.passages``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Candidate:
    chunk_id: str
    similarity: float | None  # cosine to the query
    window_scores: tuple[float, ...]  # cosine of each of its sentence windows; empty when none are stored
    superseded: bool  # its paper is superseded by one the caller may see
    digest: int | None = None  # of its text (cstassist.table.text_digest); None when not known before reading it
    ranks: dict[str, int] = field(default_factory=dict)  # its rank in each search that found it

    @property
    def window_similarity(self) -> float | None:
        return max(self.window_scores) if self.window_scores else None
