"""A PDF's text layer in reading order, with its structure, from pdfminer's characters and their positions.

unstructured's fast PDF path hands on pdfminer's text boxes as they come: both columns of a two-column page
read across, running headers and footers glued into passages, a line break at every printed line, and
headings guessed from the words. This reader works from the characters instead (``LTChar``: position, font
size, font name, fill colour; the render mode is taken from the text state as each string is shown):

1. **Visible characters only** (``pdf_text``). A character in white (or near-white) fill, in text render mode 3
   (invisible), under 3 pt, or outside the page is dropped where it is, and reported; the same words
   elsewhere on the page stay.
2. **Lines.** pdfminer's line pieces on one baseline (a justified line comes in several) are put back
   together, left to right.
3. **Page furniture.** A line in the top or bottom margin of a page is furniture when it is a page counter,
   a print date or a file address (``cleaning.is_furniture``), smaller than the body text, or repeated (digits
   masked) on at least half the pages.
4. **Columns.** A page whose lines leave a vertical gutter near the middle is read column by column; a line
   that crosses the gutter (a heading set across both columns) closes the columns above it.
5. **Blocks.** Lines follow each other in a block unless the gap between them opens, the font size or weight
   changes, the indent changes, or a bullet starts a new item. A block that runs to the end of a column or
   page unfinished continues in the next one (the page where it turns is kept).
6. **Roles.** The body size is the most common character size. A block set larger than the body is a heading
   (``Title``), its depth the rank of its size among the document's heading sizes; a short block set wholly
   in bold is a heading one level below those; a smaller block at the foot of a page is a footnote, kept apart
   from the body; a run of lines whose pieces line up in the same columns is a table, kept whole.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .cleaning import PAGE_MARK, furniture_key, is_furniture, join_lines, vocabulary
from .parsing import Element
from .pdf_text import Line, read_pages

MARGIN = 0.07  # the top and bottom share of a page where running headers and footers live
_BULLETS = "•◦▪▫‣⁃●○■□"
_END = re.compile(r"[.!?:;\"”’)\]]$")


@dataclass
class Block:
    lines: list[Line]
    role: str = "body"  # body | heading | footnote | table | item
    depth: int | None = None

    @property
    def size(self) -> float:
        return self.lines[0].size

    @property
    def bold(self) -> bool:
        return all(ln.bold for ln in self.lines)


def _body_size(pages: list[tuple[float, float, list[Line], Any]]) -> float:
    sizes: Counter[float] = Counter()
    for _, _, lines, _ in pages:
        for ln in lines:
            sizes[ln.size] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _drop_furniture(pages: list[tuple[float, float, list[Line], Any]], body: float) -> None:
    """Remove running headers and footers, page counters, print dates and file addresses (in place)."""

    def in_margin(ln: Line, height: float) -> bool:
        return ln.y0 >= height * (1 - MARGIN) or ln.y1 <= height * MARGIN

    seen: Counter[str] = Counter()
    for _, height, lines, _ in pages:
        seen.update({furniture_key(ln.text) for ln in lines if in_margin(ln, height)})
    repeated = {k for k, n in seen.items() if n >= 2 and n >= len(pages) / 2}
    for i, (width, height, lines, bullets) in enumerate(pages):
        kept = [
            ln
            for ln in lines
            if not (
                in_margin(ln, height) and (is_furniture(ln.text) or ln.size < body * 0.9 or furniture_key(ln.text) in repeated)
            )
        ]
        pages[i] = (width, height, kept, bullets)


def _gutter(lines: list[Line], width: float, body: float) -> float | None:
    """The x of a vertical gap near the middle of the page that (almost) no line of body text crosses (a
    heading may: it is set across the columns), with at least three lines wholly on each side of it; None
    for a one-column page."""
    lines = [ln for ln in lines if ln.size < body * 1.15]
    best: tuple[int, float] | None = None
    for step in range(int(width * 0.3), int(width * 0.7)):
        x = float(step)
        crossing = sum(ln.x0 < x < ln.x1 for ln in lines)
        if best is None or crossing < best[0]:
            best = (crossing, x)
    if best is None or best[0] > max(1, len(lines) // 20):
        return None
    crossing, x = best
    # the middle of the gap: as far right as the same count of crossing lines holds
    end = x
    while end < width * 0.7 and sum(ln.x0 < end + 1 < ln.x1 for ln in lines) == crossing:
        end += 1
    x = (x + end) / 2
    if sum(ln.x1 <= x for ln in lines) < 3 or sum(ln.x0 >= x for ln in lines) < 3:
        return None
    return x


def _merge_pieces(lines: list[Line]) -> list[Line]:
    """Pieces on one baseline (within one column) as one line, left to right."""
    rows: list[list[Line]] = []
    for ln in sorted(lines, key=lambda ln: -ln.y0):
        if rows and abs(rows[-1][0].y0 - ln.y0) < 0.4 * max(rows[-1][0].size, ln.size):
            rows[-1].append(ln)
        else:
            rows.append([ln])
    out: list[Line] = []
    for row in rows:
        row.sort(key=lambda ln: ln.x0)
        first = row[0]
        for ln in row[1:]:
            first.text = f"{first.text} {ln.text}"
            first.x1 = max(first.x1, ln.x1)
            first.y1 = max(first.y1, ln.y1)
            first.pieces += ln.pieces
            first.bold = first.bold and ln.bold
            first.size = max(first.size, ln.size)
        out.append(first)
    return out


def _reading_order(lines: list[Line], width: float, body: float) -> list[list[Line]]:
    """The page's lines as runs in reading order: bands between full-width lines, each column in turn.

    A band ends at a line that crosses the gutter, or at a heading with nothing beside it in the other
    column while the other column has text above and below it, or above it when nothing but headings
    follows it (a heading set across the columns, but short)."""
    gutter = _gutter(lines, width, body)
    if gutter is None:
        return [_merge_pieces(lines)]

    def beside(ln: Line, side: list[Line]) -> bool:
        return any(o.y0 <= ln.y1 + 2 and o.y1 >= ln.y0 - 2 for o in side)

    left = [ln for ln in lines if ln.x1 <= gutter]
    right = [ln for ln in lines if ln.x0 >= gutter]
    cuts = [ln for ln in lines if ln.x0 < gutter < ln.x1]
    for ln, own, other in [(ln, left, right) for ln in left] + [(ln, right, left) for ln in right]:
        if ln.size < body * 1.15 or beside(ln, other):
            continue
        above = any(o.y0 > ln.y1 for o in other)
        below = any(o.y1 < ln.y0 for o in other)
        # at the foot of the page: only headings follow it in its own column, so it comes after both columns
        last = not any(o.y1 < ln.y0 and o.size < body * 1.15 for o in own)
        if above and (below or last):
            cuts.append(ln)
    cuts.sort(key=lambda ln: -ln.y0)
    rest = [ln for ln in lines if not any(ln is c for c in cuts)]
    runs: list[list[Line]] = []
    top = float("inf")
    for cut in [*cuts, None]:
        floor = cut.y0 if cut is not None else float("-inf")
        band = [ln for ln in rest if floor < ln.y0 < top]
        runs.append(_merge_pieces([ln for ln in band if ln.x1 <= gutter]))
        runs.append(_merge_pieces([ln for ln in band if ln.x0 >= gutter]))
        if cut is not None:
            runs.append(_merge_pieces([c for c in cuts if abs(c.y0 - cut.y0) < 1 and c is not cut] + [cut]))
            top = cut.y0
    return [r for r in runs if r]


def _has_bullet(ln: Line, bullets: list[tuple[float, float]]) -> bool:
    if ln.text[:1] in _BULLETS:
        return True
    return any(ln.x0 - 20 <= x <= ln.x0 and ln.y0 - 1 <= y <= ln.y1 + 1 for x, y in bullets)


def _same_columns(a: Line, b: Line) -> bool:
    """Two lines in one size split into the same number of pieces (two or more) starting at the same x:
    table rows."""
    return (
        len(a.pieces) == len(b.pieces) >= 2
        and abs(a.size - b.size) < 0.5
        and all(len(t) <= 40 for _, t in a.pieces + b.pieces)  # cells, not two columns of prose
        and all(abs(p[0] - q[0]) < 3 for p, q in zip(a.pieces, b.pieces))
    )


def _table_rows(run: list[Line]) -> set[int]:
    """Indexes of the lines of ``run`` that are rows of a table (two or more rows whose cells line up)."""
    rows: set[int] = set()
    for i in range(1, len(run)):
        if _same_columns(run[i - 1], run[i]):
            rows |= {i - 1, i}
    return rows


def _blocks(run: list[Line], bullets: list[tuple[float, float]]) -> list[Block]:
    """A run of lines (one column of one band) cut into blocks where the text changes or a gap opens."""
    blocks: list[Block] = []
    rows = _table_rows(run)
    for i, ln in enumerate(run):
        if i in rows:
            if blocks and blocks[-1].role == "table" and i - 1 in rows:
                blocks[-1].lines.append(ln)
            else:
                blocks.append(Block([ln], role="table"))
            continue
        ln.bullet = _has_bullet(ln, bullets)
        prev = blocks[-1].lines[-1] if blocks else None
        if prev is not None and not ln.bullet and blocks[-1].role != "table":
            size = max(prev.size, ln.size)
            gap = prev.y0 - ln.y1
            if gap < 0.6 * size and abs(prev.size - ln.size) < 0.5 and prev.bold == ln.bold and ln.x0 - prev.x0 < 1.5 * size:
                blocks[-1].lines.append(ln)
                continue
        blocks.append(Block([ln], role="item" if ln.bullet else "body"))
    return blocks


def _roles(blocks: list[Block], body: float, heights: dict[int, float]) -> None:
    """Headings (with depth), footnotes and list items, from sizes, weights and places (in place)."""
    heading_sizes = sorted({round(b.size * 2) / 2 for b in blocks if b.size >= body * 1.15}, reverse=True)
    for b in blocks:
        text = " ".join(ln.text for ln in b.lines)
        if b.role == "table":
            continue
        if b.size >= body * 1.15 and len(text) <= 200:
            b.role, b.depth = "heading", heading_sizes.index(round(b.size * 2) / 2)
        elif b.bold and b.size >= body * 0.95 and len(text) <= 100 and not _END.search(text) and b.role != "item":
            b.role, b.depth = "heading", len(heading_sizes)
        elif b.size <= body * 0.9 and b.lines[0].y0 < heights[b.lines[0].page] * 0.4 and re.match(r"^[\d*†‡§]", text):
            b.role = "footnote"


def _join_wrapped_headings(flow: list[tuple[Block, float, bool]]) -> list[tuple[Block, float, bool]]:
    """A heading that wraps onto a second line is one heading (a wide one is read as its own run)."""
    out: list[tuple[Block, float, bool]] = []
    for b, right, first in flow:
        if out and b.role == "heading" and out[-1][0].role == "heading":
            a = out[-1][0]
            last, ln = a.lines[-1], b.lines[0]
            if (
                a.depth == b.depth
                and last.page == ln.page
                and 0 <= last.y0 - ln.y1 < 0.6 * ln.size
                and not _END.search(last.text)
            ):
                a.lines += b.lines
                continue
        out.append((b, right, first))
    return out


def _continues(a: Block, b: Block, a_right: float) -> bool:
    """Block ``b`` (first of a column or page) carries on the paragraph ``a`` (last of the one before)."""
    if a.role not in ("body", "item") or b.role != "body" or abs(a.size - b.size) >= 0.5 or b.lines[0].bullet:
        return False
    last, first = a.lines[-1], b.lines[0].text
    full = last.x1 >= a_right - 2 * last.size  # the paragraph's last line runs to the column's edge
    return full or (not _END.search(last.text) and first[:1].islower())


def read_pdf(path: str) -> tuple[list[Element], list[tuple[str, str]]]:
    """The PDF's elements in reading order (see the module docstring), and the invisible text dropped."""
    pages, dropped = read_pages(path)
    body = _body_size(pages)
    _drop_furniture(pages, body)
    heights = {i: h for i, (_, h, _, _) in enumerate(pages, 1)}
    flow: list[tuple[Block, float, bool]] = []  # (block, its run's right edge, first block of its run)
    for width, _, lines, bullets in pages:
        for run in _reading_order(lines, width, body):
            right = max(ln.x1 for ln in run)
            for i, b in enumerate(_blocks(run, bullets)):
                flow.append((b, right, i == 0))
    _roles([b for b, _, _ in flow], body, heights)

    flow = _join_wrapped_headings(flow)
    merged: list[Block] = []
    footnotes: list[Block] = []
    prev_right = 0.0
    for b, right, first in flow:
        if b.role == "footnote":
            footnotes.append(b)
            continue
        if first and merged and _continues(merged[-1], b, prev_right):
            merged[-1].lines += b.lines
        else:
            if footnotes:  # a page's footnotes follow the paragraph in which that page ends
                merged += footnotes
                footnotes = []
            merged.append(b)
        prev_right = right
    merged += footnotes

    vocab = vocabulary(ln.text for b in merged for ln in b.lines)
    elements = []
    for b in merged:
        el = _element(b, vocab)
        if el is not None:
            elements.append(el)
    return elements, dropped


CATEGORY = {"heading": "Title", "body": "NarrativeText", "item": "ListItem", "footnote": "Footnote", "table": "Table"}


def _element(b: Block, vocab: Counter[str]) -> Element | None:
    """A block as an element: lines joined, bullet glyph dropped, the char offsets where a new page starts."""
    if b.role == "table":  # rows kept as rows, cells apart
        text = "\n".join(" | ".join(" ".join(t.split()) for _, t in ln.pieces) for ln in b.lines)
        return Element("Table", text, None, b.lines[0].page, from_layout=True)
    raw = [(PAGE_MARK if i and ln.page != b.lines[i - 1].page else "") + ln.text for i, ln in enumerate(b.lines)]
    turns = iter(ln.page for i, ln in enumerate(b.lines) if i and ln.page != b.lines[i - 1].page)
    text = join_lines("\n".join(raw), vocab)
    if b.role == "item":
        text = text.lstrip(_BULLETS + " ")
    breaks, out = [], []
    for ch in text:
        if ch == PAGE_MARK:
            breaks.append((len(out), next(turns, b.lines[-1].page)))
        else:
            out.append(ch)
    text = "".join(out)
    if not text.strip():
        return None
    return Element(CATEGORY[b.role], text, b.depth, b.lines[0].page, page_breaks=tuple(breaks), from_layout=True)
