"""Comparing two evaluation reports question by question: what got better, what got worse.

A question is *better* when its first relevant passage moved up (or appeared), when its answer's
abstention became correct, or when its answer now contains the evidence; *worse* for the opposite.

>>> changes = compare(json.load(open("old.json")), json.load(open("new.json")))
>>> print(format_comparison(changes))
"""

from __future__ import annotations

from typing import Any

from .report import METRICS, fmt


def _rank_text(rank: int | None) -> str:
    return f"rank {rank}" if rank else "miss"


def _changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(improvements, regressions) of one question, as short phrases."""
    better, worse = [], []
    if new["kind"] == "answerable":
        a, b = old.get("first_hit_rank"), new.get("first_hit_rank")
        if a != b:
            moved = f"{_rank_text(a)} -> {_rank_text(b)}"
            (better if (b or 999) < (a or 999) else worse).append(moved)
    a, b = old.get("abstention_correct"), new.get("abstention_correct")
    if a is not None and b is not None and a != b:
        what = "abstained" if new.get("abstained") else "answered"
        (better if b else worse).append(f"now {what} ({'correct' if b else 'wrong'})")
    a = (old.get("answer") or {}).get("evidence_found")
    b = (new.get("answer") or {}).get("evidence_found")
    if a is not None and b is not None and a != b:
        (better if b else worse).append("evidence now in the answer" if b else "evidence no longer in the answer")
    return better, worse


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Per mode present in both reports: metric deltas and the questions that got better or worse."""
    out: dict[str, Any] = {"old": old.get("created"), "new": new.get("created"), "modes": {}}
    for mode in [m for m in new.get("modes", []) if m in old.get("modes", [])]:
        before = {r["id"]: r for r in old["questions"][mode]}
        better, worse, added = [], [], []
        for rec in new["questions"][mode]:
            prev = before.get(rec["id"])
            if prev is None:
                added.append(rec["id"])
                continue
            up, down = _changes(prev, rec)
            if up:
                better.append({"id": rec["id"], "question": rec["question"], "changes": up})
            if down:
                worse.append({"id": rec["id"], "question": rec["question"], "changes": down})
        s_old, s_new = old["summary"][mode], new["summary"][mode]
        deltas = {key: (s_old.get(key), s_new.get(key)) for key, _, _ in METRICS}
        out["modes"][mode] = {"better": better, "worse": worse, "added": added, "metrics": deltas}
    return out


def format_comparison(changes: dict[str, Any]) -> str:
    lines = [f"comparing {changes['old']} -> {changes['new']}"]
    for mode, c in changes["modes"].items():
        lines.append(f"\n== {mode}")
        for key, label, _ in METRICS:
            a, b = c["metrics"][key]
            if a is not None or b is not None:
                delta = f"{b - a:+.3f}" if a is not None and b is not None else ""
                lines.append(f"  {label:<22} {fmt(a, key):>8} -> {fmt(b, key):>8}  {delta}")
        for title, rows in (("better", c["better"]), ("worse", c["worse"])):
            lines.append(f"  {title} ({len(rows)}):")
            for r in rows:
                lines.append(f"    {r['id']:<6} {'; '.join(r['changes']):<40} {r['question'][:70]}")
        if c["added"]:
            lines.append(f"  new questions: {', '.join(c['added'])}")
    return "\n".join(lines)
