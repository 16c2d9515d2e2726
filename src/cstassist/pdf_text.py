"""A PDF's visible characters as line pieces, with position, size, weight and cell boundaries.

The first step of reading a PDF (``pdf_layout`` does the rest): pdfminer's characters (``LTChar``), each
tagged with the text render mode it was shown in, grouped into pdfminer's line pieces. A character a reader
cannot see (white or near-white fill, render mode 3, under 3 pt, outside the page, painted over by a white shape) is dropped where it is
and reported; a piece is split into cells where a gap wider than a space opens (table cells).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Line:
    """Text on one baseline within one column of one page."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    size: float
    bold: bool
    page: int
    pieces: list[tuple[float, str]] = field(default_factory=list)  # (x0, text) of each piece: a table's cells
    bullet: bool = False


TINY_PT = 3.0  # text set smaller than this is not read by anyone (the DOCX rule too: hidden_docx)
MIN_CONTRAST = 1.5  # WCAG contrast ratio against the white page below which a fill colour is not seen


def _luminance(color: object) -> float | None:
    """WCAG relative luminance of a pdfminer fill colour (grey, RGB or CMYK components in 0..1); None if unknown."""
    if isinstance(color, (int, float)):
        rgb = [float(color)] * 3
    elif isinstance(color, (list, tuple)) and len(color) in (1, 3, 4):
        try:
            comps = [float(c) for c in color]
        except (TypeError, ValueError):
            return None
        if len(comps) == 4:  # CMYK, converted the naive way
            c, m, y, k = comps
            rgb = [(1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)]
        else:
            rgb = comps * 3 if len(comps) == 1 else comps
    else:
        return None
    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in (min(1.0, max(0.0, v)) for v in rgb)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _white(color: object) -> bool:
    """A fill too close to the white page to be read: white, and near-white such as #EEE (contrast under 1.5)."""
    lum = _luminance(color)
    return lum is not None and 1.05 / (lum + 0.05) < MIN_CONTRAST


def _aggregator(rsrc: Any, laparams: Any) -> Any:
    """pdfminer's page aggregator, with each character tagged with the text render mode it was shown in and the
    order it was drawn in, and the page's opaque white-filled shapes recorded with theirs (``covers``): a shape
    painted over text after it hides that text from a reader."""
    from pdfminer.converter import PDFPageAggregator

    class Aggregator(PDFPageAggregator):
        _render_mode = 0
        _drawn = 0
        covers: list[tuple[float, float, float, float, int]] = []

        def begin_page(self, page, ctm):  # type: ignore[no-untyped-def]
            self.covers = []
            super().begin_page(page, ctm)

        def render_string(self, textstate, seq, ncs, graphicstate):  # type: ignore[no-untyped-def]
            self._render_mode = getattr(textstate, "render", 0) or 0
            super().render_string(textstate, seq, ncs, graphicstate)

        def render_char(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            adv = super().render_char(*args, **kwargs)
            self._drawn += 1
            self.cur_item._objs[-1].render_mode = self._render_mode
            self.cur_item._objs[-1].drawn = self._drawn
            return adv

        def paint_path(self, gstate, stroke, fill, evenodd, path):  # type: ignore[no-untyped-def]
            before = len(self.cur_item._objs)
            super().paint_path(gstate, stroke, fill, evenodd, path)
            if fill and _white(getattr(gstate, "ncolor", None)):
                for shape in self.cur_item._objs[before:]:
                    self._drawn += 1
                    self.covers.append((shape.x0, shape.y0, shape.x1, shape.y1, self._drawn))

    return Aggregator(rsrc, laparams=laparams)


def _covered(obj: Any, covers: list[tuple[float, float, float, float, int]]) -> bool:
    """Whether a white shape drawn after the character lies over its middle."""
    x, y, drawn = (obj.x0 + obj.x1) / 2, (obj.y0 + obj.y1) / 2, getattr(obj, "drawn", 0)
    return any(d > drawn and x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1, d in covers)


def read_pages(path: str) -> tuple[list[tuple[float, float, list[Line], list[tuple[float, float]]]], list[tuple[str, str]]]:
    """Every page's (width, height, line pieces, bullet positions), and the invisible text dropped."""
    from pdfminer.layout import LAParams, LTCurve, LTTextLine
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    rsrc = PDFResourceManager()
    device = _aggregator(rsrc, LAParams())
    interpreter = PDFPageInterpreter(rsrc, device)
    pages, dropped = [], []
    with open(path, "rb") as fh:
        for number, page in enumerate(PDFPage.get_pages(fh), 1):
            interpreter.process_page(page)
            layout = device.get_result()
            width, height = layout.width, layout.height
            pieces: list[Line] = []
            bullets: list[tuple[float, float]] = []
            for item in _walk(layout):
                if isinstance(item, LTTextLine):
                    pieces.extend(_piece(item, number, width, height, dropped, device.covers))
                elif isinstance(item, LTCurve) and item.width < 8 and item.height < 8 and item.fill:
                    bullets.append((item.x1, (item.y0 + item.y1) / 2))  # a drawn list bullet
            pages.append((width, height, pieces, bullets))
    return pages, dropped


def _walk(item: Any) -> Any:
    """Text lines and small shapes of a page, inside boxes and figures too."""
    from pdfminer.layout import LTCurve, LTFigure, LTTextContainer, LTTextLine

    for child in item:
        if isinstance(child, (LTTextLine, LTCurve)):
            yield child
        elif isinstance(child, (LTTextContainer, LTFigure)):
            yield from _walk(child)


def _piece(
    line: Any,
    page: int,
    width: float,
    height: float,
    dropped: list[tuple[str, str]],
    covers: list[tuple[float, float, float, float, int]] = (),  # type: ignore[assignment]
) -> list[Line]:
    """One pdfminer line piece as a ``Line`` of its visible characters (the invisible ones reported)."""
    from pdfminer.layout import LTChar

    text, hidden, why = [], [], ""
    chars: list[Any] = []
    cells: list[tuple[float, list[str]]] = []  # pieces split at a gap wider than a space: table cells
    for obj in line:
        if not isinstance(obj, LTChar):
            text.append(obj.get_text())
            if cells:
                cells[-1][1].append(obj.get_text())
            continue
        reason = ""
        if getattr(obj, "render_mode", 0) == 3:
            reason = "invisible text"
        elif obj.size < TINY_PT:
            reason = "tiny text"
        elif _white(getattr(obj.graphicstate, "ncolor", None)):
            reason = "white text"
        elif obj.x1 < 0 or obj.x0 > width or obj.y1 < 0 or obj.y0 > height:
            reason = "off-page text"
        elif covers and _covered(obj, covers):
            reason = "covered text"
        if reason:
            hidden.append(obj.get_text())
            why = why or reason
            continue
        if not cells or (chars and obj.x0 - chars[-1].x1 > 0.8 * obj.size):
            cells.append((obj.x0, []))
        cells[-1][1].append(obj.get_text())
        chars.append(obj)
        text.append(obj.get_text())
    if hidden and "".join(hidden).strip():
        dropped.append((why, " ".join("".join(hidden).split())))
    visible = "".join(text).strip()
    if not chars or not visible:
        return []
    sizes = Counter(round(c.size, 1) for c in chars)
    bold = sum("bold" in c.fontname.lower() or "black" in c.fontname.lower() for c in chars) > len(chars) / 2
    x0, x1 = min(c.x0 for c in chars), max(c.x1 for c in chars)
    y0 = statistics.median(c.y0 for c in chars)
    y1 = statistics.median(c.y1 for c in chars)
    pieces = [(cx, "".join(t).strip()) for cx, t in cells if "".join(t).strip()]
    return [Line(visible, x0, x1, y0, y1, sizes.most_common(1)[0][0], bold, page, pieces)]
