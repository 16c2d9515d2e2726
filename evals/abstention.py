"""Choosing the abstention threshold (``retrieval.abstain_below``) from the gold set.

The answerer abstains when the best cosine similarity among the top passages is below the threshold
(``cstassist.answering.should_abstain``). Each evaluated question records that best similarity, so
every candidate threshold can be scored without asking again: abstention accuracy (unanswerable
questions that abstain) against false abstention (answerable questions that abstain).

The choice: the threshold with the highest abstention accuracy whose false abstention is at most
``max_false`` (0.05); among thresholds with that accuracy, the middle one, which leaves the most room
on both sides (the edges sit right next to a gold question's similarity).
"""

from __future__ import annotations

from typing import Any

from . import metrics

GRID = tuple(round(i * 0.01, 2) for i in range(0, 81))
MAX_FALSE_ABSTENTION = 0.05


def sweep(
    records: list[dict[str, Any]], grid: tuple[float, ...] = GRID, max_false: float = MAX_FALSE_ABSTENTION
) -> dict[str, Any]:
    """Abstention accuracy and false abstention at each threshold, and the chosen threshold."""
    answerable = [r["best_similarity"] for r in records if r["kind"] == "answerable"]
    unanswerable = [r["best_similarity"] for r in records if r["kind"] != "answerable"]
    rows = [
        {
            "threshold": t,
            "abstention_accuracy": metrics.mean(s < t for s in unanswerable),
            "false_abstention": metrics.mean(s < t for s in answerable),
        }
        for t in grid
    ]
    return {"max_false_abstention": max_false, "rows": rows, "chosen": choose(rows, max_false)}


def choose(rows: list[dict[str, Any]], max_false: float = MAX_FALSE_ABSTENTION) -> dict[str, Any] | None:
    ok = [r for r in rows if (r["false_abstention"] or 0.0) <= max_false]
    if not ok:
        return None
    best = max(r["abstention_accuracy"] or 0.0 for r in ok)
    tied = [r for r in ok if (r["abstention_accuracy"] or 0.0) == best]
    return tied[len(tied) // 2]


def format_sweep(result: dict[str, Any], step: float = 0.05, current: float | None = None) -> str:
    """The sweep as a small text table (every ``step``, plus the chosen and current thresholds)."""
    named = [("chosen", (result.get("chosen") or {}).get("threshold")), ("current", current)]
    lines = ["threshold  abstention accuracy  false abstention", "---------  -------------------  ----------------"]
    for r in result["rows"]:
        t = r["threshold"]
        notes = [name for name, v in named if v is not None and abs(v - t) < 1e-9]
        if not notes and abs(t / step - round(t / step)) > 1e-6:
            continue
        note = "  <- " + " & ".join(notes) if notes else ""
        lines.append(f"{t:9.2f}  {_pct(r['abstention_accuracy']):>19}  {_pct(r['false_abstention']):>16}{note}")
    return "\n".join(lines)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"
