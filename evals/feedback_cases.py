"""Members' feedback -> draft gold cases for staff to review (never added to the gold set automatically).

Input: the JSONL that ``cstassist feedback export`` writes (one rated answer per line). Output:
``drafts-<date>.jsonl`` beside the gold set, one draft per distinct question not already in the gold
set, shaped like a gold item with ``kind: "draft"``: the documents the answer cited are candidate
``documents``; ``evidence`` is left for the reviewer to copy from the corpus; the member's rating and
comment, and the answer they saw, are under ``review``. Thumbs-down drafts come first.

>>> drafts = drafts_from_feedback(Path("feedback.jsonl"), load_gold())
>>> path = write_drafts(drafts, DATA_DIR)
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from .gold import GoldItem, normalize


def drafts_from_feedback(feedback_path: Path, gold: list[GoldItem]) -> list[dict[str, Any]]:
    """One draft per distinct question (the latest feedback on it wins); questions in ``gold`` are skipped."""
    known = {normalize(i.question) for i in gold}
    latest: dict[str, dict[str, Any]] = {}
    with Path(feedback_path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                question = str(row["question"]).strip()
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{feedback_path}:{lineno}: not a feedback export line ({exc})") from exc
            key = normalize(question)
            if not key or key in known:
                continue
            if key not in latest or float(row.get("at") or 0) >= float(latest[key].get("at") or 0):
                latest[key] = row
    drafts = []
    for row in sorted(latest.values(), key=lambda r: (r.get("rating") != "down", float(r.get("at") or 0))):
        documents = list(dict.fromkeys(str(c["document_id"]) for c in row.get("citations") or [] if c.get("document_id")))
        drafts.append(
            {
                "id": f"d{len(drafts) + 1:03d}",
                "question": str(row["question"]).strip(),
                "kind": "draft",
                "documents": documents,
                "evidence": [],
                "follow_up_of": None,
                "review": {
                    "rating": row.get("rating"),
                    "comment": row.get("comment"),
                    "answer": row.get("answer"),
                    "abstained": bool(row.get("abstained")),
                    "answer_id": row.get("answer_id"),
                    "at": row.get("at"),
                    "todo": "decide answerable/unanswerable; for answerable, keep the right documents and copy evidence "
                    "strings from the corpus (evals/data/FORMAT.md); give it the next free q/u id; move it to gold.jsonl",
                },
            }
        )
    return drafts


def write_drafts(drafts: list[dict[str, Any]], folder: Path, day: date | None = None) -> Path:
    """Write ``drafts-<YYYY-MM-DD>.jsonl`` in ``folder`` (replacing one of the same day) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"drafts-{(day or date.today()).isoformat()}.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in drafts), encoding="utf-8")
    return path
