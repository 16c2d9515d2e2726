"""Elements -> chunks that follow the document's structure.

A chunk never crosses a section heading, nor a PDF page except inside a paragraph that turns the page (it
then records where the new page starts), so its citation (section, page of the quoted sentence) is exact.
Small neighbouring elements in one section are packed together up to ``max_chars``; an element that is
longer than that is split at sentence boundaries with LangChain's ``RecursiveCharacterTextSplitter``.
Small tables stay whole. Sentences addressed to an assistant are replaced by "[text removed]" first
(``redact_elements``), so no chunk, heading path or citation ever carries them.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from langchain_text_splitters import RecursiveCharacterTextSplitter

from .cleaning import PAGE_MARK
from .documents import Chunk, chunk_id
from .injection import redact
from .parsing import Element
from .text import terms

MAX_CHARS = 1000  # ~200-250 tokens: short enough to quote, long enough to carry an answer
MIN_CHARS = 350
MAX_TABLE_CHARS = 2000
# bump when parsing or chunking changes: every document is re-parsed and re-chunked on the next ingest
# (4: hidden HTML/Markdown text dropped before parsing; instruction-like sentences redacted)
# (6: text cleaned at parse time, PDFs read by cstassist.pdf_layout, page turns kept in chunks)
CHUNKER_VERSION = "6"

_HEADING_END = re.compile(r"[.,;:!?\"”’)]$")
_splitter = RecursiveCharacterTextSplitter(
    chunk_size=MAX_CHARS, chunk_overlap=0, separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""], keep_separator="end"
)


def _looks_like_heading(el: Element, following: Element | None) -> bool:
    if el.from_layout:
        return el.category == "Title"
    if el.category == "Title":
        return len(el.text) <= 120
    if el.category not in {"ListItem", "Text", "NarrativeText", "UncategorizedText"}:
        return False
    text = el.text.strip()
    if len(text) > 70 or _HEADING_END.search(text) or not text[:1].isupper():
        return False
    return following is not None and following.category in {"NarrativeText", "ListItem"} and len(following.text) >= 60


def outline(elements: list[Element]) -> Iterable[tuple[int | None, Element]]:
    """Yield (heading depth, element) for every element: a depth (0 = top) for headings, None for body text."""
    last_title_depth = -1
    for i, el in enumerate(elements):
        nxt = elements[i + 1] if i + 1 < len(elements) else None
        if not _looks_like_heading(el, nxt):
            yield None, el
            continue
        if el.category == "Title":
            depth = el.depth or 0
            last_title_depth = depth
        elif el.category == "ListItem":
            depth = last_title_depth + 1
        else:
            depth = 0
            last_title_depth = 0
        yield depth, el


def sections(elements: list[Element]) -> Iterable[tuple[tuple[str, ...], Element]]:
    """Yield (heading path, element) for every body element; headings themselves are consumed."""
    path: list[tuple[int, str]] = []
    for depth, el in outline(elements):
        if depth is not None:
            path = [(d, t) for d, t in path if d < depth] + [(depth, el.text.strip())]
            continue
        yield tuple(t for _, t in path), el


def infer_title(elements: list[Element]) -> str | None:
    for el in elements[:20]:
        if el.category == "Title" and 3 <= len(el.text) <= 150:
            return el.text.strip()
    return None


def _render(el: Element) -> str:
    return f"- {el.text}" if el.category == "ListItem" else el.text


@dataclass
class _Piece:
    """A chunk's worth (or less) of one element: its text, and the pages it lies on."""

    text: str
    page: int | None  # the page it starts on
    breaks: tuple[tuple[int, int], ...] = ()  # (offset in text, page from there on)

    @property
    def last_page(self) -> int | None:
        return self.breaks[-1][1] if self.breaks else self.page


def _pieces(el: Element) -> list[_Piece]:
    text = _render(el)
    shift = len(text) - len(el.text)  # the "- " of a list item
    breaks = tuple((o + shift, p) for o, p in el.page_breaks)
    if (el.category == "Table" and len(text) <= MAX_TABLE_CHARS) or len(text) <= MAX_CHARS:
        return [_Piece(text, el.page, breaks)]
    out, cursor = [], 0
    for part in (p.strip() for p in _splitter.split_text(text)):
        if not part:
            continue
        start = text.find(part, cursor)
        start = cursor if start < 0 else start
        cursor = start + len(part)
        before = [p for o, p in breaks if o <= start]
        inside = tuple((o - start, p) for o, p in breaks if start < o < cursor)
        out.append(_Piece(part, before[-1] if before else el.page, inside))
    return out


def redact_elements(elements: list[Element]) -> tuple[list[Element], list[str]]:
    """The elements with instruction-like sentences replaced by "[text removed]", and the sentences removed."""
    out: list[Element] = []
    removed: list[str] = []
    for el in elements:
        text, gone = redact(el.text)
        removed += gone
        if gone and el.page_breaks:  # keep each page turn where it was in the text: carry it through as a mark
            marked = _with_marks(el.text, el.page_breaks)
            marked, _ = redact(marked)
            text = marked.replace(PAGE_MARK, "")
            offsets = [m.start() - i for i, m in enumerate(re.finditer(PAGE_MARK, marked))]
            breaks = tuple(zip(offsets, (p for _, p in el.page_breaks)))
            out.append(dataclasses.replace(el, text=text, page_breaks=breaks))
        else:
            out.append(el if not gone else dataclasses.replace(el, text=text))
    return out, removed


def _with_marks(text: str, breaks: tuple[tuple[int, int], ...]) -> str:
    for offset, _ in sorted(breaks, reverse=True):
        text = text[:offset] + PAGE_MARK + text[offset:]
    return text


def _governed(path: tuple[str, ...], text: str) -> tuple[str, ...]:
    """In a listing, a heading governs an item only when the item names it (all its content words): a
    series title above a run of unrelated papers must not label them. Otherwise the item is cited by the
    headings above that one, or by the document alone."""
    found = terms(text)
    while path and not terms(path[-1]) <= found:
        path = path[:-1]
    return path


@dataclass
class _Group:
    """Pieces that will be one chunk."""

    path: tuple[str, ...]
    kind: str  # "body", or "Table" / "Footnote": those are never packed with other text
    hidden: bool
    pieces: list[_Piece] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(p.text) + 1 for p in self.pieces)

    @property
    def page(self) -> int | None:
        return self.pieces[0].page

    @property
    def last_page(self) -> int | None:
        return self.pieces[-1].last_page

    def follows(self, other: _Group) -> bool:
        """Same section and kind, and this one starts on the page where ``other`` ends."""
        return self.path == other.path and self.kind == other.kind == "body" and self.page == other.last_page

    def absorb(self, other: _Group) -> None:
        self.pieces += other.pieces
        self.hidden = self.hidden or other.hidden

    def text_and_breaks(self) -> tuple[str, tuple[tuple[int, int], ...]]:
        text, breaks, page = "", [], self.page
        for piece in self.pieces:
            if text:
                text += "\n"
            if piece.page != page and piece.page is not None:
                breaks.append((len(text), piece.page))
            breaks += [(len(text) + o, p) for o, p in piece.breaks]
            page = piece.last_page
            text += piece.text
        return text, tuple(breaks)


def chunk_elements(document_id: str, elements: list[Element], listing: bool = False) -> list[Chunk]:
    """Pack elements into chunks along headings and pages, with stable content-derived ids.

    A chunk crosses a page only where a paragraph does (a PDF paragraph that turns the page); it keeps
    where each page starts in its text (``Chunk.page_breaks``), so a quote is cited by its own page.
    Tables and footnotes are chunks of their own.

    ``listing``: the document is a list of independent items (a policy library, a catalogue; the manifest's
    ``layout: listing``): each item is its own chunk, never packed with its neighbours, and is labelled by a
    heading only when it names that heading (``_governed``)."""
    elements, _ = redact_elements(elements)
    groups: list[_Group] = []
    for path, el in sections(elements):
        kind = el.category if el.category in ("Table", "Footnote") else "body"
        if listing:
            path = _governed(path, el.text)
            groups += [_Group(path, kind, el.hidden, [piece]) for piece in _pieces(el)]
            continue
        for piece in _pieces(el):
            group = _Group(path, kind, el.hidden, [piece])
            if groups and group.follows(groups[-1]) and groups[-1].size + len(piece.text) <= MAX_CHARS:
                groups[-1].absorb(group)
            else:
                groups.append(group)
    if not listing:
        groups = _merge_runts(groups)

    seen: Counter[str] = Counter()
    chunks = []
    for ordinal, group in enumerate(groups):
        text, breaks = group.text_and_breaks()
        seen[text] += 1
        chunks.append(
            Chunk(
                chunk_id=chunk_id(document_id, text, seen[text]),
                document_id=document_id,
                text=text,
                section=" > ".join(group.path),
                ordinal=ordinal,
                page=group.page,
                hidden_text=group.hidden,
                page_breaks=breaks,
            )
        )
    return chunks


def _merge_runts(groups: list[_Group]) -> list[_Group]:
    """Fold a too-short chunk into the previous one when both share section and page; a tiny
    fragment (a cover line, a stray heading) goes into the next chunk on the same page."""
    forward: list[_Group] = []
    carry: _Group | None = None
    for g in groups:
        if carry is not None and carry.last_page == g.page and g.kind == "body":
            g = _Group(g.path, g.kind, carry.hidden or g.hidden, carry.pieces + g.pieces)
        elif carry is not None:
            forward.append(carry)
        carry = None
        if g.kind == "body" and g.size - len(g.pieces) < 120:
            carry = g
            continue
        forward.append(g)
    if carry is not None:
        forward.append(carry)
    out: list[_Group] = []
    for g in forward:
        if out:
            prev = out[-1]
            if g.follows(prev) and (prev.size < MIN_CHARS or g.size < MIN_CHARS // 2) and prev.size + g.size <= MAX_CHARS * 1.2:
                prev.absorb(g)
                continue
        out.append(g)
    return out
