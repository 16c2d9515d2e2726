"""Reports from a real run: the text table, JSON + HTML with inline SVG charts, and run-to-run comparison."""

from __future__ import annotations

import copy
import json
import re

from cstassist.evals import compare, format_comparison, format_table, report_order, write_reports
from cstassist.evals.compare import _changes


def test_table_shows_the_modes_side_by_side(eval_report):
    table = format_table(eval_report)
    header = next(line for line in table.splitlines() if line.startswith("metric"))
    assert header.split()[1:] == ["hybrid", "dense", "lexical"]
    for label in ("hit@1", "recall@5", "MRR@5", "nDCG@10", "citation precision", "abstention accuracy", "ask p95 ms"):
        assert any(line.startswith(label) for line in table.splitlines()), label


def test_html_report_is_written_with_svg_charts_against_the_previous_run(eval_report, tmp_path):
    first_json, first_html = write_reports(eval_report, tmp_path)
    later = copy.deepcopy(eval_report)
    later["created"] = "2099-01-01T00:00:00Z"
    second_json, second_html = write_reports(later, tmp_path)

    assert first_json != second_json and first_html.exists() and second_html.exists()
    assert json.loads((tmp_path / "latest.json").read_text())["created"] == "2099-01-01T00:00:00Z"
    html = (tmp_path / "latest.html").read_text()
    assert html == second_html.read_text()
    assert len(re.findall(r"<svg\b", html)) >= 5  # quality, latency, ranks, abstentions, threshold sweep
    assert "previous run" in html and "compared with the run of " + eval_report["created"] in html
    assert not re.search(r"<script|<link|<img|src=|url\(", html)  # self-contained: nothing to fetch
    first_html_text = first_html.read_text()
    assert "no previous run" in first_html_text
    misses = [r for r in eval_report["questions"]["hybrid"] if r["kind"] == "answerable" and r["first_hit_rank"] is None]
    assert f"{len(misses)} answerable question(s) with no evidence in the top 5" in html
    for r in misses:
        assert f"<b>{r['id']}</b>" in html


def test_compare_lists_questions_that_got_better_and_worse(eval_report):
    # the dense baseline as the "old" run of the product mode, hybrid as the "new" one
    old = copy.deepcopy(eval_report)
    old["modes"] = ["hybrid"]
    old["questions"] = {"hybrid": eval_report["questions"]["dense"]}
    old["summary"] = {"hybrid": eval_report["summary"]["dense"]}
    changes = compare(old, eval_report)
    assert list(changes["modes"]) == ["hybrid"]
    hybrid = changes["modes"]["hybrid"]
    dense_rank = {r["id"]: r.get("first_hit_rank") for r in eval_report["questions"]["dense"]}
    hybrid_rank = {r["id"]: r.get("first_hit_rank") for r in eval_report["questions"]["hybrid"]}
    improved = {i for i in hybrid_rank if hybrid_rank[i] != dense_rank[i] and (hybrid_rank[i] or 99) < (dense_rank[i] or 99)}
    assert improved and improved <= {b["id"] for b in hybrid["better"]}
    text = format_comparison(changes)
    assert "better (" in text and "worse (" in text and "hit@1" in text


def test_a_question_change_is_classified_by_rank_abstention_and_evidence():
    old = {
        "kind": "answerable",
        "first_hit_rank": 3,
        "abstention_correct": True,
        "abstained": False,
        "answer": {"evidence_found": False},
    }
    new = {
        "kind": "answerable",
        "first_hit_rank": 1,
        "abstention_correct": False,
        "abstained": True,
        "answer": {"evidence_found": False},
    }
    better, worse = _changes(old, new)
    assert better == ["rank 3 -> rank 1"]
    assert worse == ["now abstained (wrong)"]
    better, worse = _changes({**new, "first_hit_rank": None}, {**old, "answer": {"evidence_found": True}})
    assert better == ["miss -> rank 3", "now answered (correct)", "evidence now in the answer"] and worse == []


def test_two_runs_in_the_same_second_keep_both_reports_and_sort_newest_last_written_first(eval_report, tmp_path):
    first_json, _ = write_reports(eval_report, tmp_path)
    again = copy.deepcopy(eval_report)
    again["marker"] = "second"
    second_json, second_html = write_reports(again, tmp_path)

    assert first_json != second_json and second_html.stem == second_json.stem
    assert json.loads(first_json.read_text())["created"] == json.loads(second_json.read_text())["created"]
    assert "marker" not in json.loads(first_json.read_text())
    assert json.loads(second_json.read_text())["marker"] == "second"
    newest_first = sorted(tmp_path.glob("eval-*.json"), key=report_order, reverse=True)
    assert newest_first == [second_json, first_json]
