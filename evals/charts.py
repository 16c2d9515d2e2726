"""Self-contained SVG charts for the HTML report: plain strings, no scripts, no external resources.

>>> svg = grouped_bars(["hit@1"], ["hybrid"], {("hit@1", "hybrid"): 0.8}, previous={("hit@1", "hybrid"): 0.7})
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#718096")
FONT = 'font-family="system-ui, sans-serif"'


def _text(x: float, y: float, s: str, size: int = 11, anchor: str = "middle", fill: str = "#222", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" {FONT} {extra}>{escape(s)}</text>'
    )


def grouped_bars(
    groups: Sequence[str],
    series: Sequence[str],
    values: dict[tuple[str, str], float | None],
    previous: dict[tuple[str, str], float | None] | None = None,
    vmax: float | None = 1.0,
    title: str = "",
    value_format: str = "{:.2f}",
    width: int = 1100,
    height: int = 300,
) -> str:
    """Bars of ``values[(group, series)]``, one cluster per group; a black tick marks the previous run."""
    previous = previous or {}
    known = [v for v in list(values.values()) + list(previous.values()) if v is not None]
    top = vmax if vmax is not None else (max(known) * 1.15 if known and max(known) > 0 else 1.0)
    left, right, top_pad, bottom = 44, 10, 34, 46
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    group_w = plot_w / max(1, len(groups))
    bar_w = min(34.0, group_w * 0.8 / max(1, len(series)))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    if title:
        out.append(_text(left, 18, title, 14, "start", extra='font-weight="600"'))
    for i in range(5):
        v = top * i / 4
        y = top_pad + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        out.append(_text(left - 6, y + 4, value_format.format(v), 10, "end", "#555"))
    for gi, group in enumerate(groups):
        gx = left + gi * group_w + (group_w - bar_w * len(series)) / 2
        for si, name in enumerate(series):
            x = gx + si * bar_w
            v = values.get((group, name))
            color = PALETTE[si % len(PALETTE)]
            if v is not None:
                h = plot_h * min(v, top) / top
                y = top_pad + plot_h - h
                out.append(
                    f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="{color}">'
                    f"<title>{escape(f'{name} {group}: {value_format.format(v)}')}</title></rect>"
                )
                out.append(_text(x + bar_w / 2, y - 3, value_format.format(v), 9))
            p = previous.get((group, name))
            if p is not None:
                y = top_pad + plot_h - plot_h * min(p, top) / top
                out.append(
                    f'<line x1="{x:.1f}" x2="{x + bar_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#111" stroke-width="2.5">'
                    f"<title>{escape(f'{name} {group} previous run: {value_format.format(p)}')}</title></line>"
                )
        out.append(_text(left + gi * group_w + group_w / 2, top_pad + plot_h + 16, group, 11))
    lx = left
    for si, name in enumerate(series):
        out.append(f'<rect x="{lx}" y="{height - 16}" width="12" height="10" fill="{PALETTE[si % len(PALETTE)]}"/>')
        out.append(_text(lx + 16, height - 7, name, 11, "start"))
        lx += 24 + 7 * len(name)
    if previous:
        out.append(f'<line x1="{lx}" x2="{lx + 16}" y1="{height - 11}" y2="{height - 11}" stroke="#111" stroke-width="2.5"/>')
        out.append(_text(lx + 20, height - 7, "previous run", 11, "start"))
    out.append("</svg>")
    return "\n".join(out)


@dataclass(frozen=True)
class Cell:
    label: str  # drawn in the cell (short)
    tooltip: str
    color: str


def cell_grid(
    rows: Sequence[tuple[str, Sequence[Cell]]],
    title: str = "",
    legend: Sequence[tuple[str, str]] = (),
    cell: int = 16,
    label_w: int = 70,
    per_line: int = 60,
    index_every: int = 10,
) -> str:
    """One row of coloured cells per series (e.g. per mode, one cell per question), wrapped every
    ``per_line`` cells into blocks; every ``index_every``-th position is numbered above its cell."""
    n = max((len(cells) for _, cells in rows), default=0)
    blocks = max(1, -(-n // per_line))
    per_line = max(1, -(-n // blocks))  # even blocks, no short last line
    width = label_w + min(n, per_line) * cell + 20
    top = 28 if title else 6
    block_h = 14 + len(rows) * (cell + 3) + 10
    height = top + blocks * block_h + (24 if legend else 4)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    if title:
        out.append(_text(4, 18, title, 14, "start", extra='font-weight="600"'))
    for b in range(blocks):
        y0 = top + b * block_h
        for j in range(per_line):
            pos = b * per_line + j
            if pos < n and (pos + 1) % index_every == 0:
                out.append(_text(label_w + j * cell + (cell - 1) / 2, y0 + 10, str(pos + 1), 9, fill="#718096"))
        for ri, (name, cells) in enumerate(rows):
            y = y0 + 14 + ri * (cell + 3)
            out.append(_text(label_w - 6, y + cell - 4, name, 11, "end"))
            for j, c in enumerate(cells[b * per_line : (b + 1) * per_line]):
                x = label_w + j * cell
                out.append(
                    f'<rect x="{x}" y="{y}" width="{cell - 1}" height="{cell}" fill="{c.color}"><title>{escape(c.tooltip)}</title></rect>'
                )
                if c.label:
                    out.append(_text(x + (cell - 1) / 2, y + cell - 4, c.label, 10, fill="#fff" if c.color in _DARK else "#111"))
    lx = label_w
    for color, name in legend:
        y = height - 16
        out.append(f'<rect x="{lx}" y="{y}" width="12" height="10" fill="{color}"/>')
        out.append(_text(lx + 16, y + 9, name, 11, "start"))
        lx += 26 + 6.5 * len(name)
    out.append("</svg>")
    return "\n".join(out)


RANK_COLORS = {1: "#1a7f37", 2: "#4caf50", 3: "#9ccc65", 4: "#d4e157", 5: "#fdd835"}
MISS_COLOR = "#d73a49"
LATE_COLOR = "#ffb74d"  # found, but below the top k
_DARK = {"#1a7f37", "#4caf50", MISS_COLOR, "#2b6cb0"}


def rank_color(rank: int | None) -> str:
    if rank is None:
        return MISS_COLOR
    return RANK_COLORS.get(rank, LATE_COLOR)


def line_chart(
    xs: Sequence[float],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    markers: Sequence[tuple[float, str]] = (),
    title: str = "",
    x_label: str = "",
    width: int = 700,
    height: int = 280,
) -> str:
    """Lines over ``xs`` with values in [0, 1]; ``markers`` are labelled vertical lines."""
    left, right, top_pad, bottom = 44, 16, 34, 56
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    span = (x1 - x0) or 1.0

    def px(x: float) -> float:
        return left + plot_w * (x - x0) / span

    def py(v: float) -> float:
        return top_pad + plot_h - plot_h * v

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    if title:
        out.append(_text(left, 18, title, 14, "start", extra='font-weight="600"'))
    for i in range(5):
        v = i / 4
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#e2e8f0"/>')
        out.append(_text(left - 6, py(v) + 4, f"{v:.2f}", 10, "end", "#555"))
    step = 0.1 if span <= 1.0 else span / 5
    for i in range(int(span / step + 1e-9) + 1):
        x = x0 + i * step
        out.append(_text(px(x), top_pad + plot_h + 14, f"{x:.2f}", 10, fill="#555"))
    if x_label:
        out.append(_text(left + plot_w / 2, top_pad + plot_h + 28, x_label, 11))
    for i, (x, label) in enumerate(markers):
        out.append(
            f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{top_pad}" y2="{top_pad + plot_h}" stroke="#444" stroke-dasharray="4 3"/>'
        )
        out.append(_text(px(x) + 3, top_pad + 10 + 13 * i, label, 10, "start", "#444"))
    lx = left
    for name, ys, color in series:
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys) if y is not None)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
        out.append(f'<rect x="{lx}" y="{height - 16}" width="12" height="10" fill="{color}"/>')
        out.append(_text(lx + 16, height - 7, name, 11, "start"))
        lx += 26 + 7 * len(name)
    out.append("</svg>")
    return "\n".join(out)
