"""`cstassist eval` end to end: options parsed, reports written, the gate's exit status, compare and
feedback drafts."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from cstassist.cli import main
from cstassist.evals.gold import DEFAULT_GOLD


def _subset(gold_items, tmp_path):
    """Four gold items: two questions, a follow-up of one of them, and an unanswerable one."""
    follow = next(i for i in gold_items if i.follow_up_of)
    parent = next(i for i in gold_items if i.id == follow.follow_up_of)
    other = next(i for i in gold_items if i.answerable and not i.follow_up_of and i.id != parent.id)
    none = next(i for i in gold_items if not i.answerable)
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(i.as_dict()) + "\n" for i in (other, parent, follow, none)), encoding="utf-8")
    return path


@pytest.mark.slow
def test_eval_writes_reports_and_the_gate_sets_the_exit_status(corpus_index, gold_items, tmp_path, capsys):
    gold = _subset(gold_items, tmp_path)
    impossible = tmp_path / "thresholds.yaml"
    impossible.write_text(yaml.safe_dump({"mode": "hybrid", "k": 5, "floors": {"hit_at_1": 1.01}}))
    out = tmp_path / "reports"
    argv = [
        "eval",
        "--gold",
        str(gold),
        "--data-dir",
        str(corpus_index.data_dir),
        "--no-ingest",
        "--modes",
        "hybrid",
        "--out",
        str(out),
        "--answer-at",
        "0.2",
    ]
    assert main([*argv, "--gate", "--thresholds", str(impossible)]) == 1
    captured = capsys.readouterr()
    assert "GATE FAILED" in captured.err and "hit_at_1" in captured.err
    assert captured.out.splitlines()[1].split() == ["metric", "hybrid"]
    report = json.loads((out / "latest.json").read_text())
    assert report["answerability"]["answer_at"] == 0.2 and report["gold"]["items"] == 4 and (out / "latest.html").exists()
    assert len(list(out.glob("eval-*.html"))) == 1

    assert main([*argv, "--sweep"]) == 0
    assert "<- current" in capsys.readouterr().out


def test_gate_refuses_a_run_that_leaves_out_the_gated_mode(tmp_path, capsys):
    assert main(["eval", "--modes", "dense", "--gate", "--out", str(tmp_path)]) == 2
    assert "thresholds are for mode hybrid" in capsys.readouterr().err


def test_unknown_mode_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["eval", "--modes", "hybrid,semantic"])
    assert exc.value.code == 2


def test_compare_prints_better_and_worse_questions(eval_report, tmp_path, capsys):
    new = tmp_path / "new.json"
    new.write_text(json.dumps(eval_report))
    old_report = json.loads(json.dumps(eval_report))
    first = next(r for r in old_report["questions"]["hybrid"] if r.get("first_hit_rank") == 1)
    first["first_hit_rank"] = None
    old = tmp_path / "old.json"
    old.write_text(json.dumps(old_report))
    assert main(["eval", "--compare", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert f"{first['id']}" in out and "miss -> rank 1" in out and "worse (0)" in out


def test_from_feedback_writes_drafts_beside_the_given_gold_file(tmp_path, capsys):
    gold = tmp_path / "gold.jsonl"
    shutil.copy(DEFAULT_GOLD, gold)
    feedback = tmp_path / "fb.jsonl"
    feedback.write_text(
        json.dumps(
            {
                "answer_id": "x",
                "at": 1.0,
                "rating": "down",
                "comment": None,
                "question": "Who is CST's chair?",
                "answer": "...",
                "citations": [],
                "abstained": True,
            }
        )
        + "\n"
    )
    assert main(["eval", "--gold", str(gold), "--from-feedback", str(feedback)]) == 0
    assert "wrote 1 draft case(s) (1 rated down)" in capsys.readouterr().out
    (drafts,) = tmp_path.glob("drafts-*.jsonl")
    assert json.loads(drafts.read_text())["kind"] == "draft"
