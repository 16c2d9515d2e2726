"""The gold-set checker accepts the bundled set and refuses a broad item whose key point the corpus does not state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "evals" / "data" / "check_gold.py"


def check(gold: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHECKER), str(gold), "--strict"], capture_output=True, text=True, timeout=60)


def test_the_bundled_gold_set_passes_with_its_broad_questions_in_both_splits():
    done = check(ROOT / "evals" / "data" / "gold.jsonl")
    assert done.returncode == 0, done.stdout[-2000:]
    broad = [
        json.loads(line)
        for line in (ROOT / "evals/data/gold.jsonl").read_text(encoding="utf-8").splitlines()
        if '"broad"' in line
    ]
    assert len(broad) >= 40 and all(3 <= len(b["key_points"]) <= 6 for b in broad)
    held = sum(b["split"] == "heldout" for b in broad)
    assert abs(held - len(broad) / 3) <= 1


def test_a_key_point_the_corpus_does_not_state_is_an_error(tmp_path):
    item = {
        "id": "b001",
        "question": "What makes a strong trust?",
        "kind": "broad",
        "documents": ["what-is-a-strong-trust-2022"],
        "evidence": [],
        "follow_up_of": None,
        "category": None,
        "absent": [],
        "split": "dev",
        "key_points": [["Expert Governance"], ["Quality of education"], ["trusts should run casinos"]],
    }
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(item) + "\n", encoding="utf-8")
    done = check(gold)
    assert done.returncode == 1 and "key point 'trusts should run casinos' is not stated" in done.stdout
    item["key_points"] = item["key_points"][:2]
    gold.write_text(json.dumps(item) + "\n", encoding="utf-8")
    assert "needs 3-6 key points" in check(gold).stdout
