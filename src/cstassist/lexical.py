"""The lexical side of the index: BM25 (bm25s, English stemming) over the same chunks Chroma holds.

It is derived from Chroma, never edited on its own: ``LexicalIndex.build`` reads every record from the
store, and the result is cached on disk stamped with the ingest generation, so it cannot drift from
the vectors. Filters (audience first) are applied as a mask inside the scoring, like Chroma's ``where``.

Term statistics are kept per audience view: one BM25 over the public passages, one over public and members
passages together. A caller's scores come from the view of its audiences, so what members-only passages say
(how often a word occurs, how long they are) never moves a public caller's scores or ranking, which would
otherwise let anyone count words in papers they cannot read.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from .documents import AUDIENCES
from .filters import Filters
from .table import PassageTable

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
CACHE_FORMAT = 5  # 2: one BM25 per audience view; 5: and the passage table (cstassist.table)
# the audience sets callers search with (access.SCOPES): public, and public + members
VIEWS: tuple[tuple[str, ...], ...] = tuple(tuple(sorted(AUDIENCES[: i + 1])) for i in range(len(AUDIENCES)))


def index_text(text: str, meta: dict[str, Any]) -> str:
    """What the lexical index (and the embedder) see: the passage with its title and section."""
    head = " — ".join(x for x in (str(meta.get("title", "")), str(meta.get("section", ""))) if x)
    return f"{head}\n{text}" if head else text


_WORDS = re.compile(r"(?u)\b\w\w+\b").findall  # bm25s's (and scikit-learn's) token pattern
_STOPWORDS = frozenset(STOPWORDS_EN)
_stemmers = threading.local()  # a PyStemmer object is not thread-safe: one per thread


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    return stemmer.stemWord(word)


def tokenize(texts: list[str]) -> list[list[str]]:
    """Each text's stemmed content words, in order: exactly what ``bm25s.tokenize(texts, stopwords="en",
    stemmer=english)`` gives (lower-cased, its token pattern, English stop words dropped, Snowball stems), without
    its per-call progress-bar set-up and with each word's stem remembered (a search tokenises its query and every
    candidate window, so this is on the hot path)."""
    return [[_stem(w) for w in _WORDS(text.lower()) if w not in _STOPWORDS] for text in texts]


@dataclass
class View:
    """BM25 over the passages of some audiences: ``rows`` are those passages' positions in ``LexicalIndex.ids``."""

    retriever: bm25s.BM25 | None
    rows: np.ndarray


@dataclass
class LexicalIndex:
    views: dict[tuple[str, ...], View]
    ids: list[str]
    audience: np.ndarray
    document_id: np.ndarray
    kind: np.ndarray
    published_ord: np.ndarray
    generation: int
    # every passage's vector, windows and superseded mark, row for row with ``ids`` (cstassist.table): candidates are
    # scored from it, and a search narrowed by document, kind or date scores exactly the rows its filters allow
    # instead of asking Chroma for a ``where``
    table: PassageTable | None = None

    @classmethod
    def build(
        cls, records: list[tuple[str, str, dict[str, Any]]], generation: int, vectors: np.ndarray | None = None
    ) -> LexicalIndex:
        ids = [r[0] for r in records]
        metas = [r[2] for r in records]
        audience = np.array([m.get("audience", "public") for m in metas], dtype=object)
        tokens = tokenize([index_text(t, m) for _, t, m in records]) if records else []
        views = {}
        for view in VIEWS:
            rows = np.flatnonzero(np.isin(audience, list(view))) if records else np.zeros(0, dtype=np.int64)
            retriever = None
            if len(rows):
                retriever = bm25s.BM25()
                retriever.index([tokens[i] for i in rows], show_progress=False)
            views[view] = View(retriever, rows.astype(np.int64))
        return cls(
            views=views,
            ids=ids,
            audience=audience,
            document_id=np.array([m.get("document_id", "") for m in metas], dtype=object),
            kind=np.array([m.get("kind", "") for m in metas], dtype=object),
            published_ord=np.array([int(m.get("published_ord", 0)) for m in metas], dtype=np.int64),
            generation=generation,
            table=None if vectors is None else PassageTable.build([r[1] for r in records], metas, vectors),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def mask(self, filters: Filters) -> np.ndarray:
        m = self._audience_mask(filters.audiences).copy()
        if filters.document_ids:
            m &= np.isin(self.document_id, list(filters.document_ids))
        if filters.kinds:
            m &= np.isin(self.kind, list(filters.kinds))
        lo, hi = filters.bounds()
        if lo:
            m &= self.published_ord >= lo
        if hi:
            m &= self.published_ord <= hi
        return m

    def nearest(self, query_vector: np.ndarray, n: int, filters: Filters) -> list[tuple[str, float]] | None:
        """(chunk id, cosine) of the ``n`` passages closest to ``query_vector`` among those the filters allow, best
        first, scored exactly over the allowed rows; None when this index holds no vectors (an older cache)."""
        if self.table is None or len(self.table) != len(self.ids):
            return None
        vectors = self.table.vectors
        rows = np.flatnonzero(self.mask(filters))
        if not len(rows):
            return []
        q = query_vector.astype(np.float32)
        # a filter that allows most passages: score them all in one pass rather than gather most of the table first
        sims = (vectors @ q)[rows] if len(rows) > len(self.ids) // 2 else vectors[rows] @ q
        n = min(n, len(rows))
        top = np.argpartition(-sims, n - 1)[:n]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(self.ids[rows[i]], float(sims[i])) for i in top]

    def _audience_mask(self, audiences: tuple[str, ...]) -> np.ndarray:
        cache = self.__dict__.setdefault("_masks", {})  # one boolean row per audience set, reused by every query
        if audiences not in cache:
            cache[audiences] = np.isin(self.audience, list(audiences))
        return cache[audiences]

    def search(self, query: str, n: int, filters: Filters) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; only chunks the filters allow, only positive scores."""
        return self.search_with(query, n, filters)[0]

    def search_with(
        self, query: str, n: int, filters: Filters, also: list[str] = ()
    ) -> tuple[list[tuple[str, float]], dict[str, float]]:  # type: ignore[assignment]
        """The top ``n`` as in :meth:`search`, and the BM25 score of each chunk in ``also`` (0 when filtered out or
        unmatched), from one scoring pass: score fusion needs both sides' scores for every candidate."""
        view = self.view(filters.audiences)
        if view.retriever is None or not self.ids:
            return [], {}
        tokens = tokenize([query])[0]
        if not tokens:
            return [], {cid: 0.0 for cid in also}
        scores = np.zeros(len(self.ids))
        scores[view.rows] = view.retriever.get_scores(tokens)
        scores = np.where(self.mask(filters), scores, 0.0)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        positions = self._positions()
        extra = {cid: float(scores[positions[cid]]) if cid in positions else 0.0 for cid in also}
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0], extra

    def document_frequency(self, tokens: list[str], filters: Filters) -> tuple[int, dict[str, int]]:
        """How many passages the filters allow, and in how many of those each (stemmed) token occurs.

        Counted within the caller's audiences only, so what a signal built on it reveals is what the caller
        could search anyway (a term found only in members-only passages counts as absent for the public)."""
        mask = self.mask(filters)
        visible = int(mask.sum())
        view = self.view(filters.audiences)
        if view.retriever is None or not tokens:
            return visible, {t: 0 for t in tokens}
        vocab = view.retriever.vocab_dict
        indptr, indices = view.retriever.scores["indptr"], view.retriever.scores["indices"]
        in_view = mask[view.rows]
        out = {}
        for t in tokens:
            i = vocab.get(t)
            out[t] = 0 if i is None else int(in_view[indices[indptr[i] : indptr[i + 1]]].sum())
        return visible, out

    def view(self, audiences: tuple[str, ...]) -> View:
        """The BM25 whose statistics a caller with ``audiences`` is scored by: the view of exactly those audiences,
        else the smallest one holding them all (the mask still keeps every other passage out)."""
        key = tuple(sorted(set(audiences)))
        if key in self.views:
            return self.views[key]
        covering = [v for v in self.views if set(key) <= set(v)] or list(self.views)
        return self.views[min(covering, key=lambda v: len(self.views[v].rows))]

    def position(self, chunk_id: str) -> int | None:
        """The chunk's row (in ``ids``, the BM25 views' masks and the passage table); None when it is not indexed."""
        return self._positions().get(chunk_id)

    def _positions(self) -> dict[str, int]:
        if "_pos" not in self.__dict__:
            self.__dict__["_pos"] = {cid: i for i, cid in enumerate(self.ids)}
        return self.__dict__["_pos"]

    def save(self, folder: Path) -> None:
        """Write the cache to ``folder``, replacing it. Safe when two processes save at once (a host's service
        following a new generation while an ingest on the same host saves it): each writes its own temporary
        folder, and the one that loses the final swap just drops its copy."""
        tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}-{threading.get_ident()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        names = {"+".join(v): v for v in self.views}
        for name, view in names.items():
            if self.views[view].retriever is not None:
                self.views[view].retriever.save(str(tmp / f"bm25-{name}"))  # type: ignore[union-attr]
        np.savez(
            tmp / "meta.npz",
            audience=self.audience.astype(str),
            document_id=self.document_id.astype(str),
            kind=self.kind.astype(str),
            published_ord=self.published_ord,
            **{f"rows-{name}": self.views[v].rows for name, v in names.items()},
        )
        if self.table is not None:
            self.table.save(tmp)
        head = {"format": CACHE_FORMAT, "generation": self.generation, "ids": self.ids, "views": sorted(names)}
        (tmp / "ids.json").write_text(json.dumps(head))
        old = folder.with_name(f"{folder.name}.old-{os.getpid()}-{threading.get_ident()}")
        try:
            if folder.exists():
                folder.rename(old)
            tmp.rename(folder)
        except OSError:
            log.info("another process replaced the lexical cache at the same moment; keeping its copy")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        try:
            head = json.loads((folder / "ids.json").read_text())
            if head.get("format") != CACHE_FORMAT:
                raise ValueError(f"format {head.get('format')}, not {CACHE_FORMAT}")
            meta = np.load(folder / "meta.npz")
            views = {}
            for name in head["views"]:
                saved = folder / f"bm25-{name}"
                retriever = bm25s.BM25.load(str(saved)) if saved.exists() else None
                views[tuple(name.split("+"))] = View(retriever, meta[f"rows-{name}"].astype(np.int64))
            table = PassageTable.load(folder)
        except (OSError, ValueError, KeyError) as exc:
            log.info("lexical cache unusable (%s); it will be rebuilt", exc)
            return None
        return cls(
            views=views,
            ids=head["ids"],
            audience=meta["audience"].astype(object),
            document_id=meta["document_id"].astype(object),
            kind=meta["kind"].astype(object),
            published_ord=meta["published_ord"],
            generation=int(head["generation"]),
            table=table,
        )
