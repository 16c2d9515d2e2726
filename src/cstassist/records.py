"""Passages as search reads them, kept in memory between searches.

Fetching a passage from Chroma (its text, its metadata with the window vectors, its vector) costs about a tenth of
a millisecond each at 50,000 passages, and a hybrid search reads 30-60 candidates: most of a search's time went
there, not into the nearest-neighbour search itself (0.7 ms; benchmarks/README.md). So each passage, once read, is
kept ready to use: invisible characters already stripped, window vectors decoded, its shingles for de-duplication
worked out the first time they are needed, in a bounded least-recently-used cache.

Passages change only when an ingest writes them, and an ingest ends by moving the ledger's generation on; the cache
belongs to one generation and empties itself when asked for another (``at``), and ingest empties it as it writes.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .documents import Passage
from .injection import strip_invisible
from .windows import window_vectors


def shingles(text: str) -> frozenset[str]:
    """The passage's word 3-grams (the unit of near-duplicate detection)."""
    words = re.findall(r"\w+", text.lower())
    return frozenset(" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2)))


@dataclass
class Record:
    """One stored passage, ready for any caller: ``passage`` is a template (``for_caller`` hands out copies)."""

    passage: Passage
    meta: dict[str, Any]
    vector: np.ndarray | None
    windows: np.ndarray | None
    _shingles: frozenset[str] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, chunk_id: str, text: str, meta: dict[str, Any], vector: np.ndarray | None) -> Record:
        p = Passage.from_record(chunk_id, strip_invisible(text), meta)
        # passages stored before invisible characters were stripped at ingest lose them here
        p.title, p.section = strip_invisible(p.title), strip_invisible(p.section)
        windows = window_vectors(meta, len(vector)) if vector is not None else None
        slim = {k: v for k, v in meta.items() if k != "windows"}
        return cls(p, slim, vector, windows)

    @property
    def audience(self) -> str:
        return self.passage.audience

    @property
    def shingles(self) -> frozenset[str]:
        if self._shingles is None:
            self._shingles = shingles(self.passage.text)
        return self._shingles

    def for_caller(self, audiences: tuple[str, ...], query_vector: np.ndarray | None, similarity: float | None) -> Passage:
        """A fresh passage as a caller with ``audiences`` may see it, scored against ``query_vector``. The link to a
        replacement the caller may not see (a public paper superseded by a members-only one) is left out, so its
        title and id reach no answer, citation, search result or widget flag, and the passage ranks as it would were
        the replacement never ingested. A passage stored before the replacement's audience was recorded is treated
        as members-only."""
        p = object.__new__(Passage)  # a shallow copy, without copy.copy's pickling protocol (47 a search)
        p.__dict__.update(self.passage.__dict__)
        p.ranks = {}
        if p.superseded_by and str(self.meta.get("superseded_by_audience") or "members") not in audiences:
            p.superseded_by = None
            p.superseded_by_title = None
        if query_vector is not None:
            if similarity is None and self.vector is not None:
                similarity = float(self.vector @ query_vector)
            p.set_windows(self.windows, query_vector)
        p.similarity = similarity
        return p


Fetch = Callable[[list[str]], Iterable[tuple[str, str, dict[str, Any], np.ndarray | None]]]


class RecordCache:
    """The last ``size`` passages read, for one generation of the index. Thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.generation: int | None = None
        self._items: OrderedDict[str, Record] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def at(self, generation: int) -> RecordCache:
        """This cache, emptied first when it holds another generation's passages."""
        if generation != self.generation:
            with self._lock:
                if generation != self.generation:
                    self._items.clear()
                    self.generation = generation
        return self

    def peek(self, chunk_id: str) -> Record | None:
        """The record held for ``chunk_id``, if any (without counting it as used)."""
        return self._items.get(chunk_id)

    def get(self, ids: list[str], fetch: Fetch) -> dict[str, Record]:
        """The records of ``ids`` that exist, in the order of ``ids`` (whatever was held before), reading the ones not
        held with one ``fetch`` call."""
        out: dict[str, Record] = {}
        with self._lock:
            generation = self.generation
            for cid in ids:
                rec = self._items.get(cid)
                if rec is not None:
                    self._items.move_to_end(cid)
                    out[cid] = rec
        missing = [cid for cid in ids if cid not in out]
        self.hits += len(out)
        self.misses += len(missing)
        if missing:
            fetched = {cid: Record.of(cid, text, meta, vec) for cid, text, meta, vec in fetch(missing)}
            out.update(fetched)
            if self.size:
                with self._lock:
                    if generation == self.generation:  # not when the index moved on while these were read
                        self._items.update(fetched)
                        while len(self._items) > self.size:
                            self._items.popitem(last=False)
            out = {cid: out[cid] for cid in ids if cid in out}
        return out
