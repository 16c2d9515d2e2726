"""Metadata filters: what a caller may narrow a search to. Audience is never one of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .documents import published_ord
from .errors import BadRequest


@dataclass(frozen=True)
class Filters:
    """Restrictions applied *inside* both the dense and the lexical search.

    ``audiences`` comes from who is calling (anonymous: public only), never from a request body.
    """

    audiences: tuple[str, ...] = ("public",)
    document_ids: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    published_from: str | None = None
    published_to: str | None = None

    def __post_init__(self) -> None:
        given = self.audiences
        # hashable whatever sequence was given; a bare string is one audience, not its letters
        object.__setattr__(self, "audiences", (given,) if isinstance(given, str) else tuple(given))

    @classmethod
    def from_request(cls, raw: dict[str, Any] | None, audiences: tuple[str, ...]) -> Filters:
        """Build filters from a caller's JSON ``filters`` object; unknown keys are a ``BadRequest``."""
        raw = dict(raw or {})
        allowed = {"document_id", "document_ids", "kind", "kinds", "published_from", "published_to"}
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise BadRequest(f"unknown filter {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")
        docs = _as_tuple(raw.get("document_ids", raw.get("document_id")), "document_ids")
        kinds = _as_tuple(raw.get("kinds", raw.get("kind")), "kinds")
        for key in ("published_from", "published_to"):
            value = raw.get(key)
            if value is not None and (not isinstance(value, str) or published_ord(value) == 0):
                raise BadRequest(f"filter {key!r} must be a date like 2022, 2022-02 or 2022-02-01")
        return cls(audiences, docs, kinds, raw.get("published_from"), raw.get("published_to"))

    def bounds(self) -> tuple[int, int]:
        lo = published_ord(self.published_from) if self.published_from else 0
        hi = published_ord(self.published_to) if self.published_to else 0
        if hi:  # "2022" as an upper bound means the end of 2022
            hi = hi + (9999 if hi % 10000 == 0 else 99 if hi % 100 == 0 else 0)
        return lo, hi

    def chroma_where(self) -> dict[str, Any] | None:
        """The caller's narrowing filters as a Chroma ``where`` clause, or None when there are none.

        Audience is not in it: it picks which collections are searched at all (see ``ChromaStore``).
        """
        clauses: list[dict[str, Any]] = []
        if self.document_ids:
            clauses.append({"document_id": {"$in": list(self.document_ids)}})
        if self.kinds:
            clauses.append({"kind": {"$in": list(self.kinds)}})
        lo, hi = self.bounds()
        if lo:
            clauses.append({"published_ord": {"$gte": lo}})
        if hi:
            clauses.append({"published_ord": {"$lte": hi}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _as_tuple(value: Any, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value) or len(value) > 100:
        raise BadRequest(f"filter {name!r} must be a non-empty string or list of strings")
    return tuple(value)
