"""A document's outline: its section headings in order, read from the index, for answers that list them.

Some answers are a document's own headings: "What are the five domains of a strong trust?" is answered by the
paper's five sections, not by any sentence ("we propose that there may be five domains of effective trusts:"
introduces a list that the paper gives as headings). ``Outline.headings(passage)`` gives the sub-headings
directly under a passage's section, in document order.

The outline of a document is read once per index generation from the passage's own audience collection (so
it never mixes in another audience's documents), with metadata only; at most ``CACHED`` documents are kept.
``Outline.next_chunk(passage)`` reads the chunk after a passage (a list that runs on past it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from .documents import Passage

CACHED = 256


class Outline:
    """Sub-headings of a passage's section. ``generation`` says when what is cached is out of date."""

    def __init__(self, store, generation: Callable[[], int]) -> None:  # type: ignore[no-untyped-def]
        self.store = store
        self.generation = generation
        self._cache: OrderedDict[tuple[int, str, str], list[tuple[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def sections(self, document_id: str, audience: str) -> list[tuple[str, str]]:
        """The document's section paths in chunk order, each with the id of its first chunk."""
        key = (self.generation(), audience, document_id)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        collection = self.store.collections.get(audience)
        if collection is None:
            return []
        got = collection.get(where={"document_id": document_id}, include=["metadatas"])
        rows = sorted(
            (int(m.get("ordinal", 0)), str(m.get("section", "")), i) for i, m in zip(got["ids"], got["metadatas"] or [])
        )
        first: dict[str, str] = {}
        for _, section, chunk_id in rows:
            if section:
                first.setdefault(section, chunk_id)
        sections = list(first.items())
        with self._lock:
            self._cache[key] = sections
            while len(self._cache) > CACHED:
                self._cache.popitem(last=False)
        return sections

    def next_chunk(self, passage: Passage) -> Passage | None:
        """The chunk after ``passage`` in its document (a list that runs on), from the same audience's collection."""
        collection = self.store.collections.get(passage.audience)
        if collection is None or passage.ordinal < 0:
            return None
        got = collection.get(
            where={"$and": [{"document_id": passage.document_id}, {"ordinal": passage.ordinal + 1}]},
            include=["documents", "metadatas"],
            limit=1,
        )
        if not got.get("ids"):
            return None
        return Passage.from_record(got["ids"][0], got["documents"][0], got["metadatas"][0])

    def headings(self, passage: Passage) -> list[tuple[str, Passage | None]]:
        """The headings one level under ``passage``'s section, in document order, each with the first chunk under it
        (what a point listing the heading cites); none when the passage has no section."""
        if not passage.section:
            return []
        prefix = passage.section + " > "
        heads: dict[str, str] = {}
        for section, chunk_id in self.sections(passage.document_id, passage.audience):
            if section.startswith(prefix):
                head = section[len(prefix) :].split(" > ", 1)[0].strip()
                if head:
                    heads.setdefault(head, chunk_id)
        if not heads:
            return []
        collection = self.store.collections[passage.audience]
        got = collection.get(ids=list(heads.values()), include=["documents", "metadatas"])
        chunks = {i: Passage.from_record(i, t, m) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"])}
        return [(head, chunks.get(chunk_id)) for head, chunk_id in heads.items()]
