"""Elements -> chunks that follow the document's structure.

A chunk never crosses a section heading or a PDF page, so its citation (section, page) is exact.
Small neighbouring elements in one section are packed together up to ``max_chars``; an element that is
longer than that is split at sentence boundaries with LangChain's ``RecursiveCharacterTextSplitter``.
Small tables stay whole. Sentences addressed to an assistant are replaced by "[text removed]" first
(``redact_elements``), so no chunk, heading path or citation ever carries them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from .documents import Chunk, chunk_id
from .injection import redact
from .parsing import Element
from .text import terms

MAX_CHARS = 1000  # ~200-250 tokens: short enough to quote, long enough to carry an answer
MIN_CHARS = 350
MAX_TABLE_CHARS = 2000
# bump when parsing or chunking changes: every document is re-parsed and re-chunked on the next ingest
# (4: hidden HTML/Markdown text dropped before parsing; instruction-like sentences redacted)
CHUNKER_VERSION = "5"

_HEADING_END = re.compile(r"[.,;:!?\"”’)]$")
_splitter = RecursiveCharacterTextSplitter(
    chunk_size=MAX_CHARS, chunk_overlap=0, separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""], keep_separator="end"
)


def _looks_like_heading(el: Element, following: Element | None) -> bool:
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


def _pieces(el: Element) -> list[str]:
    text = _render(el)
    if el.category == "Table" and len(text) <= MAX_TABLE_CHARS:
        return [text]
    if len(text) <= MAX_CHARS:
        return [text]
    return [p.strip() for p in _splitter.split_text(text) if p.strip()]


def redact_elements(elements: list[Element]) -> tuple[list[Element], list[str]]:
    """The elements with instruction-like sentences replaced by "[text removed]", and the sentences removed."""
    out: list[Element] = []
    removed: list[str] = []
    for el in elements:
        text, gone = redact(el.text)
        removed += gone
        out.append(el if not gone else Element(el.category, text, el.depth, el.page, el.hidden))
    return out, removed


def _governed(path: tuple[str, ...], text: str) -> tuple[str, ...]:
    """In a listing, a heading governs an item only when the item names it (all its content words): a
    series title above a run of unrelated papers must not label them. Otherwise the item is cited by the
    headings above that one, or by the document alone."""
    found = terms(text)
    while path and not terms(path[-1]) <= found:
        path = path[:-1]
    return path


def chunk_elements(document_id: str, elements: list[Element], listing: bool = False) -> list[Chunk]:
    """Pack elements into chunks along headings and pages, with stable content-derived ids.

    ``listing``: the document is a list of independent items (a policy library, a catalogue; the manifest's
    ``layout: listing``): each item is its own chunk, never packed with its neighbours, and is labelled by a
    heading only when it names that heading (``_governed``)."""
    elements, _ = redact_elements(elements)
    groups: list[tuple[tuple[str, ...], int | None, bool, list[str]]] = []
    for path, el in sections(elements):
        if listing:
            path = _governed(path, el.text)
            for piece in _pieces(el):
                groups.append((path, el.page, el.hidden, [piece]))
            continue
        for piece in _pieces(el):
            if groups:
                gpath, gpage, ghidden, parts = groups[-1]
                size = sum(len(p) + 1 for p in parts)
                same_place = gpath == path and gpage == el.page
                is_table = el.category == "Table"
                if same_place and not is_table and size + len(piece) <= MAX_CHARS:
                    parts.append(piece)
                    groups[-1] = (gpath, gpage, ghidden or el.hidden, parts)
                    continue
            groups.append((path, el.page, el.hidden, [piece]))
    if not listing:
        groups = _merge_runts(groups)

    seen: Counter[str] = Counter()
    chunks = []
    for ordinal, (path, page, hidden, parts) in enumerate(groups):
        text = "\n".join(parts)
        seen[text] += 1
        chunks.append(
            Chunk(
                chunk_id=chunk_id(document_id, text, seen[text]),
                document_id=document_id,
                text=text,
                section=" > ".join(path),
                ordinal=ordinal,
                page=page,
                hidden_text=hidden,
            )
        )
    return chunks


def _merge_runts(groups):  # type: ignore[no-untyped-def]
    """Fold a too-short chunk into the previous one when both share section and page; a tiny
    fragment (a cover line, a stray heading) goes into the next chunk on the same page."""
    forward = []
    carry = None
    for g in groups:
        if carry is not None and carry[1] == g[1]:
            g = (g[0], g[1], g[2] or carry[2], carry[3] + g[3])
        elif carry is not None:
            forward.append(carry)
        carry = None
        if sum(len(p) for p in g[3]) < 120:
            carry = g
            continue
        forward.append(g)
    if carry is not None:
        forward.append(carry)
    groups = forward
    out = []
    for g in groups:
        if out:
            ppath, ppage, phidden, pparts = out[-1]
            psize = sum(len(p) + 1 for p in pparts)
            gsize = sum(len(p) + 1 for p in g[3])
            if (
                ppath == g[0]
                and ppage == g[1]
                and (psize < MIN_CHARS or gsize < MIN_CHARS // 2)
                and psize + gsize <= MAX_CHARS * 1.2
            ):
                out[-1] = (ppath, ppage, phidden or g[2], pparts + g[3])
                continue
        out.append(g)
    return out
