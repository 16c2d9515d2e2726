"""Composed answers for broad questions: a lead from the best passage, then the key points other passages make.

"What makes a strong trust?" is not answered by one sentence. The composed answer is

1. a **lead**: the answer-bearing span of the best passage (``cstassist.extractive``), kept to a few sentences;
2. **key points**: up to ``max_points`` sentences (a list's introduction with its items), at most ``PER_PASSAGE``
   from one passage, chosen by maximal marginal relevance: the next point is the candidate most relevant to the
   question and least like the points already taken (closeness of their sentence-window vectors, which every
   passage carries from ingest, so no embedding is computed here; word overlap where a passage has no windows).
   A point from a section already used counts as more alike, so the answer spreads over sections and documents;
3. in the documents' own order (document by document, as first ranked; chunk and sentence order within one),
   each cited ``[n]``, labelled with its section heading when the heading is a sub-heading of its document;
4. at most ``max_words`` words in all.

Two shapes are recognised in the text itself. When the lead *introduces a list* (ends with ":"), the list is the
answer: its items become the points. When that list is not there because the document's **sub-headings are the
list** ("we propose that there may be five domains of effective trusts:" followed by five sections), the
headings under the lead's section are listed (``headings``: looked up in the index, see ``cstassist.outline``).

Sentences a follow-up's previous answer already said are left out (``avoid``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .documents import Passage
from .extractive import Said, Span, is_list_item, usable_sentences
from .injection import is_instruction
from .text import sentences, terms
from .windows import WINDOW_SENTENCES, per_sentence, starts_of

MMR_LAMBDA = 0.7  # relevance against novelty; 1 would ignore repetition
SAME_SECTION = 0.6  # a candidate from a section already used is at least this alike
RELEVANCE_FLOOR = 0.5  # a point must score at least this share of the best candidate's relevance
POINT_LEXICAL = 1.0  # a point's relevance: its sentence's cosine + this x its share of the question's IDF mass
PASSAGE_PRIOR = 0.5  # ... + this x its passage's fused retrieval score (0-1): broad points rarely repeat the question
LEAD_WORDS = 70  # the lead keeps whole sentences up to about this many words
MAX_POINT_WORDS = 60
MIN_POINT_WORDS = 6
MAX_LIST = 8  # list items a list-introducing point brings with it
PER_PASSAGE = 2  # most points from one passage (the lead counts as one of its passage's)
MAX_LABEL_WORDS = 6
_ITEM = re.compile(r"^(-|•|\*|\d{1,2}[.)])\s+")

# a passage -> the sub-headings directly under its section, in document order, each with the first chunk under it
Headings = Callable[[Passage], "list[tuple[str, Passage | None]]"]
# a passage -> the next chunk of its document, when the index has one (cstassist.outline)
NextChunk = Callable[[Passage], "Passage | None"]


@dataclass(frozen=True)
class Unit:
    """A sentence of a passage (a list's introduction with its items): a candidate key point."""

    passage: Passage
    rank: int  # the passage's rank in the retrieval
    start: int  # first sentence index in the passage
    text: str
    relevance: float
    vector: np.ndarray | None
    found: frozenset[str]

    @functools.cached_property
    def length(self) -> Any:
        """The vector's norm (of the vector's own dtype), worked out once: MMR compares each unit with every point
        taken."""
        return np.linalg.norm(self.vector) if self.vector is not None else 0.0

    @functools.cached_property
    def stems(self) -> set[str]:
        return terms(self.text)

    @property
    def place(self) -> tuple[str, str]:
        return (self.passage.document_id, self.passage.section)

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Point:
    """A key point as the API returns it beside the text."""

    text: str
    passage: Passage
    label: str = ""
    n: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "n": self.n,
            "label": self.label,
            "document_id": self.passage.document_id,
            "section": self.passage.section,
            "title": self.passage.title,
        }


@dataclass(frozen=True)
class Composition:
    lead: str
    lead_passage: Passage
    points: list[Point]


def _norm(s: str) -> str:
    return " ".join(s.split())


def _share(found: set[str], weights: dict[str, float]) -> float:
    mass = sum(weights.values()) or 1.0
    return sum(w for t, w in weights.items() if t in found) / mass


def _units(p: Passage, rank: int, weights: dict[str, float], said: Said) -> list[Unit]:
    """The passage's candidate points: each usable sentence (with the one before when it refers back)."""
    sents = sentences(p.text)
    usable = usable_sentences(sents)
    cos = per_sentence(len(sents), p.window_scores)
    starts = starts_of(len(sents))
    vecs = p.window_vectors if p.window_vectors is not None and len(p.window_vectors) == len(starts) else None
    out = []
    for i, s in enumerate(sents):
        if not usable[i] or s in said or s.rstrip().endswith("?"):
            continue
        if s.rstrip().endswith(":"):  # a list's introduction is a point together with what it introduces
            follow = [strip_item(x) for x, ok in zip(sents[i + 1 : i + 1 + MAX_LIST], usable[i + 1 :]) if ok]
            items = [x for x, raw in zip(follow, sents[i + 1 :]) if is_list_item(raw)] if follow else []
            if not follow:
                continue
            s = f"{s} {'; '.join(items) if len(items) >= 2 else follow[0]}"
        elif len(s.split()) < MIN_POINT_WORDS:
            continue  # a heading, a fragment, a name in a list
        s = strip_item(s)
        found = frozenset(terms(s) & set(weights))
        c = cos[i] if cos[i] is not None else (p.similarity or 0.0)
        vector = None
        if vecs is not None:  # the window that starts nearest before this sentence holds it
            w = max((k for k, st in enumerate(starts) if st <= i < st + WINDOW_SENTENCES), default=None)
            vector = vecs[w] if w is not None else None
        text = _norm(s)
        if len(text.split()) > MAX_POINT_WORDS:
            text = " ".join(text.split()[:MAX_POINT_WORDS]) + " …"
        relevance = c + POINT_LEXICAL * _share(set(found), weights) + PASSAGE_PRIOR * p.score
        out.append(Unit(p, rank, i, text, relevance, vector, found))
    return out


def _alike(a: Unit, b: Unit) -> float:
    if a.vector is not None and b.vector is not None:
        sim = float(a.vector @ b.vector / ((a.length * b.length) or 1.0))
    else:
        ta, tb = a.stems, b.stems
        sim = len(ta & tb) / (len(ta | tb) or 1)
    return max(sim, SAME_SECTION) if a.place == b.place else sim


def _label(p: Passage, lead: Passage, text: str) -> str:
    """The point's sub-heading, when it has one that says something the sentence does not."""
    if " > " not in p.section:
        return ""
    head = p.section.rsplit(" > ", 1)[1].strip()
    if not head or len(head.split()) > MAX_LABEL_WORDS or head.lower() in text.lower():
        return ""
    return head


def _lead(span: Span) -> list[str]:
    """The lead: the span's sentences while they fit in about ``LEAD_WORDS`` (the first always)."""
    said = _norm(span.text)
    out: list[str] = []
    for s in [x for x in sentences(span.passage.text)[span.start : span.end] if _norm(x) in said] or sentences(span.text):
        if out and len(" ".join(out + [s]).split()) > LEAD_WORDS:
            break
        out.append(s)
    return out


def strip_item(text: str) -> str:
    """A list item without its bullet or number."""
    return _ITEM.sub("", text).strip()


def _join(parts: list[str]) -> str:
    text = ""
    for part in parts:
        text += ("\n" if is_list_item(part) else (" " if text else "")) + part
    return text.strip()


def _items(p: Passage, lines: list[str]) -> tuple[list[Point], bool]:
    """The list items at the start of ``lines`` (each item's first sentence), and whether the list ran to the end."""
    items = []
    for line in lines:
        if not line.strip():
            continue
        if not is_list_item(line.strip()):
            return items, False
        first = sentences(line)[0]
        if not is_instruction(first):
            items.append(Point(strip_item(first), p))
    return items, True


def _list_points(
    lead: Span, lead_sents: list[str], passages: list[Passage], max_points: int, next_chunk: NextChunk | None
) -> list[Point]:
    """When the lead introduces a list (a sentence ending with ":" followed by list items): the items, read on
    into the document's next chunks when the list runs past its passage."""
    p = lead.passage
    intro = next((s for s in lead_sents if s.rstrip().endswith(":")), None)
    if intro is None:
        return []
    lines = p.text.splitlines()
    at = next((k for k, line in enumerate(lines) if line.strip().endswith(intro.strip())), None)
    if at is None:
        return []
    items, open_end = _items(p, lines[at + 1 :])
    if not items and any(line.strip() for line in lines[at + 1 :]):
        return []  # what follows the introduction is not a list
    chunk = p
    while open_end and len(items) < max_points:
        found = next((q for q in passages if q.document_id == p.document_id and q.ordinal == chunk.ordinal + 1), None)
        chunk = found or (next_chunk(chunk) if next_chunk and chunk.ordinal >= 0 else None)
        if chunk is None:
            break
        more, open_end = _items(chunk, chunk.text.splitlines())
        if not more:
            break
        items += more
    return items[:max_points] if len(items) >= 2 else []


def _heading_points(
    lead: Span, lead_sents: list[str], units: list[Unit], headings: Headings | None, max_points: int
) -> list[Point]:
    """When the lead introduces a list that is not in the text, and the lead's section has sub-headings: those.
    Each heading is shown with the best retrieved sentence under it, or else the first sentence of its section,
    and cites the passage that sentence is from (a heading alone would cite a passage that does not state it)."""
    if headings is None or not any(s.rstrip().endswith(":") for s in lead_sents):
        return []
    heads = headings(lead.passage)
    if len(heads) < 2:
        return []
    points = []
    for h, first in heads[:max_points]:
        under = [u for u in units if u.passage.section.endswith(" > " + h) and u.passage.document_id == lead.passage.document_id]
        best = max(under, key=lambda u: u.relevance, default=None)
        if best is not None:
            points.append(Point(best.text, best.passage, h))
        elif first is not None:
            opening = next((s for s in sentences(first.text) if len(s.split()) >= MIN_POINT_WORDS and not is_instruction(s)), "")
            if opening:
                words = opening.split()
                text = opening if len(words) <= MAX_POINT_WORDS else " ".join(words[:MAX_POINT_WORDS]) + " …"
                points.append(Point(strip_item(text), first, h))
    return points if len(points) >= 2 else []


def compose(
    lead: Span,
    passages: list[Passage],
    weights: dict[str, float],
    max_words: int,
    max_points: int,
    avoid: Iterable[str] = (),
    headings: Headings | None = None,
    next_chunk: NextChunk | None = None,
) -> Composition | None:
    """The composed answer led by ``lead`` (the best passage's span), or None when fewer than two points qualify
    (then the span alone is the answer)."""
    said = Said(avoid)
    lead_sents = _lead(lead)
    lead_text = _join(lead_sents)
    units = [u for rank, p in enumerate(passages) for u in _units(p, rank, weights, said)]
    listed = _list_points(lead, lead_sents, passages, max_points, next_chunk) or _heading_points(
        lead, lead_sents, units, headings, max_points
    )
    if listed:
        return Composition(lead_text, lead.passage, listed)
    said_lead = {_norm(s) for s in lead_sents}
    pool = [u for u in units if u.text not in said_lead and not (u.passage is lead.passage and lead.start <= u.start < lead.end)]
    if not pool:
        return None
    top = max(u.relevance for u in pool)
    pool = [u for u in pool if u.relevance >= RELEVANCE_FLOOR * top]
    lead_unit = Unit(lead.passage, 0, lead.start, lead_text, lead.score, _lead_vector(lead), lead.found)
    chosen: list[Unit] = []
    words = len(lead_text.split())
    while pool and len(chosen) < max_points:
        taken = [lead_unit, *chosen]

        def mmr(u: Unit, taken: list[Unit] = taken) -> float:
            return MMR_LAMBDA * u.relevance / (top or 1.0) - (1 - MMR_LAMBDA) * max(_alike(u, t) for t in taken)

        best = max(pool, key=mmr)
        pool.remove(best)
        cost = best.words + len(_label(best.passage, lead.passage, best.text).split())
        if words + cost > max_words:
            continue
        chosen.append(best)
        words += cost
        if sum(u.passage.chunk_id == best.passage.chunk_id for u in [lead_unit, *chosen]) >= PER_PASSAGE:
            pool = [u for u in pool if u.passage.chunk_id != best.passage.chunk_id]
    if len(chosen) < 2:
        return None
    first_rank: dict[str, int] = {}
    for u in [lead_unit, *sorted(chosen, key=lambda u: u.rank)]:
        first_rank.setdefault(u.passage.document_id, len(first_rank))
    chosen.sort(key=lambda u: (first_rank[u.passage.document_id], u.passage.ordinal, u.start))
    return Composition(
        lead_text, lead.passage, [Point(u.text, u.passage, _label(u.passage, lead.passage, u.text)) for u in chosen]
    )


def _lead_vector(lead: Span) -> np.ndarray | None:
    p = lead.passage
    starts = starts_of(len(sentences(p.text)))
    if p.window_vectors is None or len(p.window_vectors) != len(starts):
        return None
    w = max((k for k, st in enumerate(starts) if st <= lead.start), default=0)
    return p.window_vectors[w]
