"""Presenting a run: the text table, the JSON report and the self-contained HTML report.

>>> print(format_table(report))
>>> json_path, html_path = write_reports(report, Path("evals/reports"))   # also latest.json / latest.html
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from typing import Any

from . import charts
from .charts import Cell

REPORTS_DIR = Path(__file__).resolve().parent / "reports"

# (summary key, label, kind): kind "rate" is 0..1 with higher better, "low" 0..1 with lower better, "ms" a latency
METRICS: tuple[tuple[str, str, str], ...] = (
    ("hit_at_1", "hit@1", "rate"),
    ("recall_at_k", "recall@k", "rate"),
    ("mrr", "MRR@k", "rate"),
    ("ndcg_at_10", "nDCG@10", "rate"),
    ("answer_rate", "answered (answerable)", "rate"),
    ("evidence_in_answer_text", "evidence in answer text", "rate"),
    ("false_answer_rate", "answered (unanswerable)", "low"),
    ("unanswerable_related", "related (unanswerable)", "rate"),
    ("unanswerable_none", "none (unanswerable)", "rate"),
    ("evidence_in_answer", "evidence in answer+cites", "rate"),
    ("citation_precision", "citation precision", "rate"),
    ("citations_resolve", "citations resolve", "rate"),
    ("abstention_accuracy", "abstention accuracy", "rate"),
    ("false_abstention", "false abstention", "low"),
    ("key_point_recall", "key-point recall (broad)", "rate"),
    ("broad_half_points", "half the points (broad)", "rate"),
    ("broad_answer_rate", "answered (broad)", "rate"),
    ("key_points_top3", "key points in top 3", "rate"),
    ("key_points_top10", "key points in top 10", "rate"),
    ("search_ms_p50", "search p50 ms", "ms"),
    ("search_ms_p95", "search p95 ms", "ms"),
    ("ask_ms_p50", "ask p50 ms", "ms"),
    ("ask_ms_p95", "ask p95 ms", "ms"),
)
_KIND = {key: kind for key, _, kind in METRICS}
SPLIT_KEYS = (
    "hit_at_1",
    "recall_at_k",
    "answer_rate",
    "evidence_in_answer_text",
    "false_answer_rate",
    "key_point_recall",
    "broad_half_points",
)


def _thresholds(report: dict[str, Any]) -> str:
    a = report.get("answerability") or {}
    return f"{a.get('answer_at')} (related_at {a.get('related_at')})"


def fmt(value: float | None, key: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if _KIND.get(key) == "ms" else f"{value:.3f}"


def label(key: str, k: int) -> str:
    return next(lbl for kk, lbl, _ in METRICS if kk == key).replace("@k", f"@{k}")


def format_table(report: dict[str, Any]) -> str:
    """The headline numbers, modes side by side."""
    modes, k = report["modes"], report["k"]
    g = report["gold"]
    head = (
        f"gold: {g['items']} items ({g['answerable']} answerable, {g['unanswerable']} unanswerable), k={k}, "
        f"answer_at={_thresholds(report)}, answerer={report['answerer']}"
    )
    if g.get("broad"):
        head = head.replace(" unanswerable)", f" unanswerable, {g['broad']} broad)", 1)
    lines = [head, f"{'metric':<26}" + "".join(f"{m:>10}" for m in modes)]
    lines.append("-" * len(lines[-1]))
    for key, _, _ in METRICS:
        values = [report["summary"][m].get(key) for m in modes]
        if all(v is None for v in values):
            continue
        lines.append(f"{label(key, k):<26}" + "".join(f"{fmt(v, key):>10}" for v in values))
    for split, group in report["summary"][modes[0]].get("by_split", {}).items():
        lines.append(
            f"{modes[0]} {split} ({group['answerable']} answerable, {group['unanswerable']} unanswerable): "
            + ", ".join(f"{label(key, k)} {fmt(group.get(key), key)}" for key in SPLIT_KEYS)
        )
    if report.get("unreachable"):
        lines.append(
            f"note: {len(report['unreachable'])} gold target(s) have evidence in no indexed passage: "
            + ", ".join(sorted({u["id"] for u in report["unreachable"]}))
        )
    return "\n".join(lines)


def write_reports(report: dict[str, Any], out_dir: Path = REPORTS_DIR) -> tuple[Path, Path]:
    """Write eval-<timestamp>.json/.html and latest.json/.html; the previous latest.json is read first
    so the HTML can chart this run against it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = None
    latest = out_dir / "latest.json"
    if latest.exists():
        try:
            previous = json.loads(latest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
    stamp = report["created"].replace("-", "").replace(":", "")
    data = json.dumps(report, indent=1, ensure_ascii=False)
    html = render_html(report, previous)
    json_path = _claim(out_dir, stamp)
    html_path = json_path.with_suffix(".html")
    for path, text in ((json_path, data), (latest, data), (html_path, html), (out_dir / "latest.html", html)):
        path.write_text(text, encoding="utf-8")
    return json_path, html_path


def _claim(out_dir: Path, stamp: str) -> Path:
    """A report name no other run has: two runs finished within the same second (the resolution of
    `created`) get eval-<stamp>.json and eval-<stamp>-2.json rather than one overwriting the other.
    The name is taken with an exclusive create, so two jobs writing at once cannot both take it."""
    for n in range(1, 10_000):
        path = out_dir / (f"eval-{stamp}.json" if n == 1 else f"eval-{stamp}-{n}.json")
        try:
            with path.open("x", encoding="utf-8"):
                return path
        except FileExistsError:
            continue
    raise FileExistsError(f"{out_dir}: no free report name for {stamp}")


# the names _claim gives: eval-<stamp>.json, then eval-<stamp>-<n>.json for later runs in the same second
REPORT_NAME = re.compile(r"eval-([0-9TZ]+)(?:-([0-9]+))?\.json")


def report_order(path: Path) -> tuple[str, int]:
    """Sort key for report files, oldest first: the time stamp, then the run's number within that second."""
    match = REPORT_NAME.fullmatch(path.name)
    if not match:
        return (path.stem, 0)
    return (match.group(1), int(match.group(2) or 1))


_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; color: #1a202c; margin: 24px auto; max-width: 1160px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #e2e8f0; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #e2e8f0; padding: 3px 8px; vertical-align: top; }
th { background: #f7fafc; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.prev { color: #718096; font-size: 12px; } .up { color: #1a7f37; } .down { color: #d73a49; }
.meta { color: #4a5568; } .warn { background: #fffbea; border: 1px solid #f6e05e; padding: 6px 10px; }
.miss td { font-size: 12.5px; } .hit { background: #e6ffed; } code { font-size: 12px; }
svg { display: block; margin: 8px 0; max-width: 100%; height: auto; }
"""


def render_html(report: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    modes, k = report["modes"], report["k"]
    prev_summary = (previous or {}).get("summary", {})
    g = report["gold"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>cstassist evaluation {escape(report['created'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>cstassist evaluation</h1><p class='meta'>{escape(report['created'])} · gold <code>{escape(g['path'])}</code> "
        f"({g['items']} items: {g['answerable']} answerable, {g['unanswerable']} unanswerable) · k={k} · "
        f"answer_at={escape(_thresholds(report))} · answerer {escape(report['answerer'])} · embedder "
        f"{escape(report['embedder'])} · index {report['index'].get('documents')} documents, {report['index'].get('chunks')} chunks"
        + (f" · compared with the run of {escape(previous['created'])}" if previous else " · no previous run")
        + "</p>",
    ]
    if report.get("unreachable"):
        rows = "".join(
            f"<li><b>{escape(u['id'])}</b> {escape(u['document_id'])}: “{escape(u['evidence'])}”</li>"
            for u in report["unreachable"]
        )
        parts.append(
            f"<div class='warn'>Evidence found in no indexed passage (no retrieval can hit these; "
            f"a chunking or gold-set problem):<ul>{rows}</ul></div>"
        )
    parts.append("<h2>Summary</h2>" + _summary_table(report, prev_summary))
    rates = [
        key
        for key, _, kind in METRICS
        if kind in ("rate", "low") and any(report["summary"][m].get(key) is not None for m in modes)
    ]
    groups = [label(key, k) for key in rates]
    values = {(label(key, k), m): report["summary"][m].get(key) for key in rates for m in modes}
    prev = {(label(key, k), m): prev_summary.get(m, {}).get(key) for key in rates for m in modes}
    parts.append(charts.grouped_bars(groups, modes, values, prev, title="Quality by mode (black tick: previous run)"))
    lat = [key for key, _, kind in METRICS if kind == "ms" and any(report["summary"][m].get(key) is not None for m in modes)]
    parts.append(
        charts.grouped_bars(
            [label(key, k) for key in lat],
            modes,
            {(label(key, k), m): report["summary"][m].get(key) for key in lat for m in modes},
            {(label(key, k), m): prev_summary.get(m, {}).get(key) for key in lat for m in modes},
            vmax=None,
            title="Latency by mode, ms (black tick: previous run)",
            value_format="{:.0f}",
            width=700,
            height=260,
        )
    )
    parts.append("<h2>Per question</h2>" + _rank_chart(report))
    if any(r.get("abstained") is not None for m in modes for r in report["questions"][m]):
        parts.append(_abstention_chart(report))
    parts.append(_by_type_table(report))
    parts.append("<h2>Answerability curve</h2>" + _sweep_section(report))
    if report["gold"].get("broad"):
        parts.append("<h2>Broad questions</h2>" + _broad_table(report, modes[0]))
    parts.append(
        "<h2>Misses</h2><p>Answerable questions whose evidence was not in the top "
        f"{k}, with what was retrieved instead (a green row carries evidence, but below rank {k}); "
        "then wrong abstentions.</p>"
    )
    for i, mode in enumerate(modes):
        parts.append(
            f"<details{' open' if i == 0 else ''}><summary><b>{escape(mode)}</b></summary>{_misses(report, mode)}</details>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def _summary_table(report: dict[str, Any], prev_summary: dict[str, Any]) -> str:
    modes, k = report["modes"], report["k"]
    rows = ["<table><tr><th>metric</th>" + "".join(f"<th>{escape(m)}</th>" for m in modes) + "</tr>"]
    for key, _, kind in METRICS:
        cells = []
        for m in modes:
            v, p = report["summary"][m].get(key), prev_summary.get(m, {}).get(key)
            extra = ""
            if v is not None and p is not None:
                better = (v > p) if kind == "rate" else (v < p)
                cls = "" if abs(v - p) < 1e-9 else ("up" if better else "down")
                extra = f" <span class='prev {cls}'>(was {fmt(p, key)})</span>"
            cells.append(f"<td class='num'>{fmt(v, key)}{extra}</td>")
        if any(report["summary"][m].get(key) is not None for m in modes):
            rows.append(f"<tr><td>{escape(label(key, k))}</td>{''.join(cells)}</tr>")
    return "".join(rows) + "</table>"


def _rank_chart(report: dict[str, Any]) -> str:
    k = report["k"]
    rows = []
    for m in report["modes"]:
        cells = []
        for r in report["questions"][m]:
            if r["kind"] != "answerable":
                continue
            rank = r.get("first_hit_rank")
            late = next((i + 1 for i, p in enumerate(r["retrieved"]) if p["hit"]), None) if rank is None else None
            shown = rank or late
            tip = f"{r['id']}: {'rank ' + str(rank) if rank else ('rank ' + str(late) + ' (beyond k)' if late else 'miss')} — {r['question']}"
            cells.append(
                Cell(str(shown) if shown else "×", tip, charts.rank_color(rank) if rank or not late else charts.LATE_COLOR)
            )
        rows.append((m, cells))
    legend = [(charts.rank_color(i), f"rank {i}") for i in range(1, k + 1) if i in charts.RANK_COLORS]
    legend += [(charts.LATE_COLOR, "below top k"), (charts.MISS_COLOR, "not retrieved")]
    return charts.cell_grid(
        rows, title=f"Rank of the first passage with the evidence (answerable questions, gold order; top {k})", legend=legend
    )


def _abstention_chart(report: dict[str, Any]) -> str:
    rows = []
    for m in report["modes"]:
        cells = [
            Cell(
                "A" if r["abstained"] else "",
                f"{r['id']} ({r['kind']}): {'abstained' if r['abstained'] else 'answered'}"
                f", confidence {r.get('confidence') or 0:.3f} — {r['question']}",
                "#1a7f37" if r["abstention_correct"] else charts.MISS_COLOR,
            )
            for r in report["questions"][m]
            if r.get("abstained") is not None
        ]
        rows.append((m, cells))
    return charts.cell_grid(
        rows,
        title="Abstention per question (A: abstained; green: right call, red: wrong call)",
        legend=[("#1a7f37", "right"), (charts.MISS_COLOR, "wrong")],
        cell=14,
        per_line=72,
    )


def _by_type_table(report: dict[str, Any]) -> str:
    modes, k = report["modes"], report["k"]
    types = []
    for m in modes:
        types += [t for t in report["summary"][m]["by_type"] if t not in types]
    rows = [
        "<table><tr><th>question type</th><th>n</th>"
        + "".join(f"<th>{escape(m)} hit@1</th><th>{escape(m)} recall@{k}</th>" for m in modes)
        + "</tr>"
    ]
    for t in types:
        first = next(report["summary"][m]["by_type"][t] for m in modes if t in report["summary"][m]["by_type"])
        cells = "".join(
            f"<td class='num'>{fmt(report['summary'][m]['by_type'].get(t, {}).get('hit_at_1'))}</td>"
            f"<td class='num'>{fmt(report['summary'][m]['by_type'].get(t, {}).get('recall_at_k'))}</td>"
            for m in modes
        )
        rows.append(f"<tr><td>{escape(t)}</td><td class='num'>{first['n']}</td>{cells}</tr>")
    return "<h3>By question type</h3>" + "".join(rows) + "</table>"


def _sweep_section(report: dict[str, Any]) -> str:
    out = []
    for m in report["modes"][:1]:
        sw = report["sweep"][m]
        xs = [r["threshold"] for r in sw["rows"]]
        current = sw.get("current")
        out.append(
            charts.line_chart(
                xs,
                [
                    ("answer rate (answerable)", [r["answer_rate"] for r in sw["rows"]], "#1a7f37"),
                    ("false-answer rate (unanswerable)", [r["false_answer_rate"] for r in sw["rows"]], "#d73a49"),
                ],
                [(current, f"current {current}")] if current is not None else [],
                title=f"Direct answers against the answerability threshold ({m}); AUC {fmt(sw.get('auc'))}",
                x_label="answer_at (model confidence)",
            )
        )
    return "".join(out)


def _broad_table(report: dict[str, Any], mode: str) -> str:
    """Each broad question: how many of its key points the answer states (strict), and which it misses."""
    rows = []
    for r in report["questions"][mode]:
        if r["kind"] != "broad" or "answer" not in r:
            continue
        a = r["answer"]
        stated = a["points_stated"]
        missed = [i + 1 for i, ok in enumerate(stated) if not ok]
        rows.append(
            f"<tr class='{'hit' if sum(stated) * 2 >= len(stated) else 'miss'}'><td>{escape(r['id'])}</td>"
            f"<td>{escape(r['question'])}</td><td>{escape(r['outcome'])}</td><td class='num'>{sum(stated)}/{len(stated)}</td>"
            f"<td class='num'>{fmt(r.get('key_points_top3'))}</td><td class='num'>{a['words']}</td>"
            f"<td>{escape(', '.join(map(str, missed)) or '-')}</td><td>{escape(a['text'][:400])}</td></tr>"
        )
    return (
        f"<p>{mode}: key points stated in the answer text (strict), the share the top 3 passages hold, the answer's "
        "words, and the numbers of the key points it misses.</p><table><tr><th>id</th><th>question</th><th>outcome</th>"
        "<th>points</th><th>top 3</th><th>words</th><th>missed</th><th>answer</th></tr>" + "".join(rows) + "</table>"
    )


def _misses(report: dict[str, Any], mode: str) -> str:
    k = report["k"]
    rows = []
    for r in report["questions"][mode]:
        if r["kind"] == "answerable" and r.get("first_hit_rank") is None:
            retrieved = "".join(
                f"<tr class='{'hit' if p['hit'] else ''}'><td>{i}</td><td>{escape(p['document_id'])}<br><span class='prev'>"
                f"{escape(p['section'][:80])}</span></td><td class='num'>{fmt(p['similarity'])}</td><td>{escape(p['snippet'][:220])}</td></tr>"
                for i, p in enumerate(r["retrieved"], 1)
            )
            expected = (
                "; ".join(f"{escape(d)}" for d in r["documents"]) + "<br>" + "<br>".join(f"“{escape(e)}”" for e in r["evidence"])
            )
            rows.append(
                f"<tr class='miss'><td><b>{escape(r['id'])}</b><br>{escape(r['type'])}</td><td>{escape(r['question'])}"
                + (f"<br><span class='prev'>searched: {escape(r['query'])}</span>" if r["query"] != r["question"] else "")
                + f"</td><td>{expected}</td><td><table>{retrieved}</table></td></tr>"
            )
    out = [f"<p>{len(rows)} answerable question(s) with no evidence in the top {k}.</p>"]
    if rows:
        out.append(
            "<table><tr><th>id</th><th>question</th><th>expected</th><th>retrieved (rank, document, similarity, text)</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    wrong = [r for r in report["questions"][mode] if r.get("abstention_correct") is False]
    if wrong:
        out.append(
            "<h4>Wrong abstention calls</h4><table><tr><th>id</th><th>question</th><th>call</th><th>confidence</th><th>answer</th></tr>"
        )
        for r in wrong:
            call = "abstained (answerable)" if r["abstained"] else "answered (unanswerable)"
            out.append(
                f"<tr class='miss'><td>{escape(r['id'])}</td><td>{escape(r['question'])}</td><td>{call}</td>"
                f"<td class='num'>{r.get('confidence') or 0:.3f}</td><td>{escape(r['answer']['text'][:300])}</td></tr>"
            )
        out.append("</table>")
    return "".join(out)
