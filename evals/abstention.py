"""The answerability curve: direct-answer rate against false-answer rate as the threshold moves.

Each evaluated question records the answerability model's probability that its top passages answer
it (``confidence``, ``cstassist.answerability``). A question gets ``answer`` when that probability is
at least ``answer_at``, so every candidate threshold can be scored without asking again: the share of
answerable questions answered directly, against the share of unanswerable questions answered
(falsely). The model's own threshold is chosen by cross-validation in ``evals/answerability.py``;
this curve shows where it sits.
"""

from __future__ import annotations

from typing import Any

from . import metrics

GRID = tuple(round(i * 0.01, 2) for i in range(0, 101))


def sweep(records: list[dict[str, Any]], grid: tuple[float, ...] = GRID, current: float | None = None) -> dict[str, Any]:
    """Answer rate (answerable) and false-answer rate (unanswerable) at each threshold on the confidence."""
    answerable = [r["confidence"] for r in records if r["kind"] == "answerable" and r.get("confidence") is not None]
    unanswerable = [r["confidence"] for r in records if r["kind"] == "unanswerable" and r.get("confidence") is not None]
    rows = [
        {
            "threshold": t,
            "answer_rate": metrics.mean(c >= t for c in answerable),
            "false_answer_rate": metrics.mean(c >= t for c in unanswerable),
        }
        for t in grid
    ]
    return {"rows": rows, "current": current, "auc": metrics.auc(answerable, unanswerable)}


def format_sweep(result: dict[str, Any], step: float = 0.05) -> str:
    """The curve as a small text table (every ``step``, plus the current threshold)."""
    current = result.get("current")
    lines = [
        f"AUC (answerable vs unanswerable, on the confidence): {_pct(result.get('auc'))}",
        "threshold  answer rate (answerable)  false-answer rate (unanswerable)",
        "---------  ------------------------  --------------------------------",
    ]
    for r in result["rows"]:
        t = r["threshold"]
        is_current = current is not None and abs(current - t) < 0.005
        if not is_current and abs(t / step - round(t / step)) > 1e-6:
            continue
        note = "  <- current" if is_current else ""
        lines.append(f"{t:9.2f}  {_pct(r['answer_rate']):>24}  {_pct(r['false_answer_rate']):>32}{note}")
    return "\n".join(lines)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"
