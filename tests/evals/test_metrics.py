"""Metric functions and scoring rules on tiny hand-made inputs, with the answers worked out by hand."""

from __future__ import annotations

import json
import math

import pytest

from cstassist.documents import Answer, Citation, Passage
from cstassist.evals import metrics
from cstassist.evals.abstention import format_sweep, sweep
from cstassist.evals.gate import Thresholds, check_gate
from cstassist.evals.gold import GoldError, GoldItem, Target, load_gold
from cstassist.evals.harness import covers, score_answer, score_retrieval, summarize


def passage(doc: str, text: str, similarity: float | None = 0.5) -> Passage:
    return Passage(
        chunk_id=f"{doc}-{abs(hash(text)) % 10**6}",
        document_id=doc,
        title=doc,
        section="",
        page=None,
        published=None,
        url=None,
        source=doc,
        text=text,
        similarity=similarity,
    )


SINGLE = GoldItem("q001", "How many domains?", "answerable", ("paper",), ("five domains of effective trusts", "five domains"))
MULTI = GoldItem("q002", "Mission?", "answerable", ("a", "b"), ("mission of a", "mission of b"))
NONE = GoldItem("u001", "Capital of France?", "unanswerable", (), ())


def test_first_hit_rank_mrr_and_recall_on_a_ranked_list():
    cov = [set(), set(), {0}, {0}]
    assert metrics.first_hit_rank(cov, k=5) == 3
    assert metrics.first_hit_rank(cov, k=2) is None
    assert metrics.reciprocal_rank(cov, k=5) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(cov, k=2) == 0.0
    assert metrics.recall_at(cov, 1, k=5) == 1.0


def test_multi_document_recall_counts_each_documents_evidence_once():
    cov = [{0}, {0}, set(), {1}]
    assert metrics.recall_at(cov, 2, k=2) == 0.5  # the same document twice is still one of two
    assert metrics.recall_at(cov, 2, k=4) == 1.0


def test_binary_ndcg_rewards_new_targets_only_and_is_one_when_ideal():
    assert metrics.binary_ndcg([{0}, set()], 1) == 1.0
    assert metrics.binary_ndcg([set(), {0}], 1) == pytest.approx(1 / math.log2(3))
    # a repeat of target 0 gains nothing; target 1 at rank 3 is discounted
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert metrics.binary_ndcg([{0}, {0}, {1}], 2) == pytest.approx(expected)
    assert metrics.binary_ndcg([set()] * 10, 1) == 0.0


def test_graded_ndcg_recall_and_mrr_on_ids():
    qrels = {"d1": 2, "d2": 1}
    assert metrics.graded_ndcg(["d1", "d2", "x"], qrels) == pytest.approx(1.0)
    swapped = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))
    assert metrics.graded_ndcg(["d2", "d1"], qrels) == pytest.approx(swapped)
    assert metrics.id_recall(["x", "d2"], qrels, k=2) == 0.5
    assert metrics.id_reciprocal_rank(["x", "d2"], qrels, k=2) == 0.5
    assert metrics.id_reciprocal_rank(["x", "y"], qrels, k=2) == 0.0


def test_percentile_interpolates_and_mean_skips_missing_values():
    assert metrics.percentile([10, 20, 30, 40], 50) == 25
    assert metrics.percentile([5], 95) == 5
    assert metrics.percentile([], 50) is None
    assert metrics.mean([1, None, 0, True]) == pytest.approx(2 / 3)
    assert metrics.mean([None]) is None


def test_citation_markers_must_point_at_a_citation():
    assert metrics.markers_resolve("A [1]. B [2].", [1, 2])
    assert not metrics.markers_resolve("A [1]. B [3].", [1, 2])
    assert metrics.strip_markers("five [1] domains") == "five  domains"


def test_evidence_matches_across_whitespace_and_case_but_only_in_its_document():
    t = Target("paper", ("Five domains  of effective trusts",))
    assert t.matches("paper", "we propose there may be five\n domains of EFFECTIVE trusts here")
    assert not t.matches("other", "five domains of effective trusts")
    assert not t.matches("paper", "five domain of effective trusts")


def test_single_document_evidence_strings_are_alternatives_multi_document_ones_are_separate():
    assert SINGLE.targets == (Target("paper", ("five domains of effective trusts", "five domains")),)
    assert MULTI.targets == (Target("a", ("mission of a",)), Target("b", ("mission of b",)))
    assert NONE.targets == ()
    assert covers(MULTI.targets, [passage("b", "the mission of b"), passage("a", "mission of b")]) == [{1}, set()]


def test_retrieval_record_for_an_answerable_and_an_unanswerable_item():
    ps = [passage("paper", "intro", 0.41), passage("paper", "there are five domains", 0.62), passage("x", "y", None)]
    rec = score_retrieval(SINGLE, SINGLE.question, ps, k=5)
    assert (rec["first_hit_rank"], rec["recall"], rec["reciprocal_rank"]) == (2, 1.0, 0.5)
    assert rec["best_similarity"] == 0.62
    assert [r["hit"] for r in rec["retrieved"]] == [False, True, False]
    none = score_retrieval(NONE, NONE.question, ps[:1], k=5)
    assert "first_hit_rank" not in none and none["best_similarity"] == 0.41


def test_answer_scoring_evidence_citation_precision_and_markers():
    good, other = passage("paper", "CST proposes five domains."), passage("paper", "Unrelated text.")
    answer = Answer("CST proposes five domains. [1] Also this. [2]", [Citation(1, good), Citation(2, other)], "answer", "q")
    scored = score_answer(SINGLE, answer)
    assert scored["evidence_found"] is True
    assert scored["evidence_in_text"] is True  # strict: the evidence is in the answer text itself
    only_cited = score_answer(SINGLE, Answer("See this. [1]", [Citation(1, good)], "answer", "q"))
    assert only_cited["evidence_found"] is True and only_cited["evidence_in_text"] is False
    assert scored["citation_precision"] == 0.5
    assert scored["markers_resolve"] is True
    abstained = score_answer(SINGLE, Answer("I couldn't find that.", [], "none", "q"))
    assert abstained["evidence_found"] is False and abstained["citation_precision"] is None
    dangling = score_answer(NONE, Answer("Paris [3].", [Citation(1, other)], "answer", "q"))
    assert dangling["markers_resolve"] is False and dangling["evidence_found"] is None


def _rec(kind: str, best: float, rank: int | None = 1, abstained: bool = False, outcome: str | None = None) -> dict:
    rec = {
        "kind": kind,
        "type": "single-document" if kind == "answerable" else "unanswerable",
        "best_similarity": best,
        "confidence": best,
        "outcome": outcome or ("none" if abstained else "answer"),
        "search_ms": 10.0,
        "ask_ms": 20.0,
        "abstained": abstained,
        "abstention_correct": abstained != (kind == "answerable"),
        "answer": {
            "evidence_found": kind == "answerable" and not abstained,
            "evidence_in_text": (kind == "answerable") if not abstained and kind == "answerable" else None,
            "citation_precision": None,
            "markers_resolve": True,
        },
    }
    if kind == "answerable":
        rec.update(first_hit_rank=rank, recall=1.0 if rank else 0.0, reciprocal_rank=1 / rank if rank else 0.0, ndcg=1.0)
    return rec


def test_summary_rates_over_the_right_populations():
    recs = [
        _rec("answerable", 0.6, 1),
        _rec("answerable", 0.5, None, abstained=True),
        _rec("unanswerable", 0.2, abstained=True),
        _rec("unanswerable", 0.55),
        _rec("unanswerable", 0.3, abstained=True, outcome="related"),
    ]
    recs[0]["split"], recs[1]["split"] = "heldout", "heldout"
    s = summarize(recs, k=5)
    assert s["answer_rate"] == 0.5 and s["evidence_in_answer_text"] == 1.0
    assert s["false_answer_rate"] == 1 / 3 and s["unanswerable_related"] == 1 / 3 and s["unanswerable_none"] == 1 / 3
    assert s["by_split"]["heldout"]["answerable"] == 2 and s["by_split"]["dev"]["unanswerable"] == 3
    recs.pop()
    assert (s["answerable"], s["unanswerable"]) == (2, 3)
    assert s["hit_at_1"] == 0.5 and s["recall_at_k"] == 0.5
    assert s["false_abstention"] == 0.5 and s["abstention_accuracy"] == 2 / 3
    assert s["search_ms_p50"] == 10.0 and s["by_type"]["single-document"]["n"] == 2


def test_the_answerability_curve_counts_answers_on_each_side_of_every_threshold():
    recs = [_rec("answerable", c) for c in (0.3, 0.6, 0.8, 0.9)] + [_rec("unanswerable", c) for c in (0.1, 0.5, 0.7)]
    result = sweep(recs, grid=(0.0, 0.55, 0.75, 1.0), current=0.75)
    rows = {r["threshold"]: r for r in result["rows"]}
    assert (rows[0.0]["answer_rate"], rows[0.0]["false_answer_rate"]) == (1.0, 1.0)
    assert (rows[0.55]["answer_rate"], rows[0.55]["false_answer_rate"]) == (0.75, 1 / 3)
    assert (rows[0.75]["answer_rate"], rows[0.75]["false_answer_rate"]) == (0.5, 0.0)
    assert result["auc"] == 9 / 12  # of the 12 (answerable, unanswerable) pairs, 9 rank the answerable one higher
    assert "<- current" in format_sweep(result, step=0.25)


def test_auc_is_the_chance_a_positive_outscores_a_negative():
    assert metrics.auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert metrics.auc([0.1], [0.9]) == 0.0
    assert metrics.auc([0.5], [0.5]) == 0.5
    assert metrics.auc([], [0.5]) is None


def test_gate_reports_each_metric_below_its_floor_or_above_its_ceiling():
    t = Thresholds(floors={"hit_at_1": 0.8, "mrr": 0.7, "citation_precision": 0.5}, ceilings={"false_abstention": 0.05})
    assert check_gate({"hit_at_1": 0.81, "mrr": 0.7, "citation_precision": 0.6, "false_abstention": 0.05}, t) == []
    failures = check_gate({"hit_at_1": 0.79, "mrr": 0.9, "citation_precision": None, "false_abstention": 0.08}, t)
    assert len(failures) == 3
    assert any(f.startswith("hit_at_1: 0.790 is below") for f in failures)
    assert any("citation_precision: not measured" in f for f in failures)
    assert any(f.startswith("false_abstention: 0.080 is above") for f in failures)


def test_bundled_gold_set_loads_and_bad_files_are_refused_with_the_line(gold_items, tmp_path):
    assert len(gold_items) >= 100 and any(i.follow_up_of for i in gold_items) and any(not i.answerable for i in gold_items)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps(
            {"id": "f1", "question": "and?", "kind": "answerable", "documents": ["a"], "evidence": ["e"], "follow_up_of": "q9"}
        )
        + "\n"
    )
    with pytest.raises(GoldError, match=r"bad.jsonl:1: 'f1' follows 'q9'"):
        load_gold(bad)
    bad.write_text("{not json\n")
    with pytest.raises(GoldError, match="bad.jsonl:1"):
        load_gold(bad)


BROAD = GoldItem(
    "b001",
    "What makes a strong trust?",
    "broad",
    ("paper",),
    (),
    key_points=(("Expert Governance", "strategic governance"), ("quality of education",), ("civic actors",), ("good employers",)),
)


def test_key_point_recall_is_strict_on_the_answer_text_and_any_phrase_states_a_point():
    text = "Strategic  GOVERNANCE is a defining feature [1].\n- The best trusts are good employers [2]"
    stated = BROAD.points_stated(metrics.strip_markers(text))
    assert stated == [True, False, False, True]
    assert metrics.key_point_recall(stated) == 0.5 and metrics.half_stated(stated) is True
    assert metrics.half_stated([True, False, False]) is False and metrics.key_point_recall([]) == 0.0
    assert BROAD.points_stated(metrics.strip_markers("the quality of [3]education"))[1] is True  # a marker never hides it


def test_broad_items_are_scored_apart_from_the_answerable_and_unanswerable_figures():
    passages = [passage("paper", "Expert Governance and the quality of education."), passage("paper", "Civic actors.")]
    rec = score_retrieval(BROAD, BROAD.question, passages, 5)
    assert rec["type"] == "broad" and rec["key_points_top3"] == 0.75 and "first_hit_rank" not in rec
    answer = Answer("Expert Governance matters [1]", [Citation(1, passages[0])], "answer", BROAD.question)
    rec.update(answer=score_answer(BROAD, answer), outcome="answer", abstained=False, search_ms=1.0, ask_ms=1.0)
    out = summarize([rec], 5)
    assert (out["answerable"], out["unanswerable"], out["broad"]) == (0, 0, 1)
    assert out["key_point_recall"] == 0.25 and out["broad_half_points"] == 0.0 and out["false_answer_rate"] is None
    assert check_gate(out, Thresholds(floors={"key_point_recall": 0.6})) == ["key_point_recall: 0.250 is below the floor 0.600"]
