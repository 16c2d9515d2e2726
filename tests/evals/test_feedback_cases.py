"""Exported widget feedback becomes draft gold cases for staff review, never gold items."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from cstassist.evals import drafts_from_feedback, load_gold, write_drafts
from cstassist.evals.gold import DEFAULT_GOLD
from cstassist.feedback import FeedbackStore


@pytest.fixture
def feedback_export(tmp_path, gold_items):
    """A real feedback store with three rated answers (one on a question already in the gold set), exported."""
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    cite = lambda n, doc: {"n": n, "chunk_id": f"{doc}-c{n}", "document_id": doc}  # noqa: E731
    store.record_answer(
        "a1",
        "Who chairs the CST board?",
        "The board is chaired by ... [1]",
        [cite(1, "what-is-a-strong-trust-2022"), cite(2, "what-is-a-strong-trust-2022"), cite(3, "taking-stock-2019")],
        False,
    )
    store.record_answer("a2", "  What does CST charge for membership?  ", "I couldn't find an answer ...", [], True)
    store.record_answer(
        "a3", gold_items[0].question, "We think our 'best bet' ... [1]", [cite(1, "what-is-a-strong-trust-2022")], False
    )
    store.add("a1", "up")
    store.add("a2", "down", "It should know the fee, it's on the website")
    store.add("a3", "down")
    path = tmp_path / "feedback.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        assert store.export(fh) == 3
    return path


def test_feedback_becomes_draft_cases_for_review(feedback_export, gold_items):
    drafts = drafts_from_feedback(feedback_export, gold_items)
    assert [d["question"] for d in drafts] == ["What does CST charge for membership?", "Who chairs the CST board?"]  # down first
    fee, chair = drafts
    assert all(d["kind"] == "draft" and d["evidence"] == [] and d["follow_up_of"] is None for d in drafts)
    assert chair["documents"] == ["what-is-a-strong-trust-2022", "taking-stock-2019"]  # cited documents, once each, in order
    assert fee["documents"] == [] and fee["review"]["abstained"] is True
    assert fee["review"]["rating"] == "down" and fee["review"]["comment"] == "It should know the fee, it's on the website"
    assert chair["review"]["answer"].startswith("The board is chaired") and chair["review"]["answer_id"] == "a1"
    assert len({d["id"] for d in drafts}) == 2


def test_drafts_are_written_beside_the_gold_set_and_never_into_it(feedback_export, tmp_path):
    gold = tmp_path / "data" / "gold.jsonl"
    gold.parent.mkdir()
    shutil.copy(DEFAULT_GOLD, gold)
    before = gold.read_bytes()
    path = write_drafts(drafts_from_feedback(feedback_export, load_gold(gold)), gold.parent, day=date(2025, 3, 1))
    assert path == gold.parent / "drafts-2025-03-01.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2 and all(
        set(d) == {"id", "question", "kind", "documents", "evidence", "follow_up_of", "review"} for d in lines
    )
    assert gold.read_bytes() == before


def test_a_file_that_is_not_a_feedback_export_is_refused_with_its_line(tmp_path, gold_items):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"rating": "up"}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        drafts_from_feedback(bad, gold_items)
