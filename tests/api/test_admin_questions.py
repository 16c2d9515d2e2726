"""The questions report's grouping and export (cstassist.staff.questions), with the real embedder."""

from __future__ import annotations

import csv
import io

from cstassist.settings import AdminSettings
from cstassist.staff.questions import AskedQuestion, group_questions, unanswered_csv

DEFAULT = AdminSettings().group_similarity  # the shipped threshold, not one picked for these questions


def asked(question: str, at: float, outcome: str = "none") -> AskedQuestion:
    return AskedQuestion(f"a{at:.0f}", at, question, outcome, 0.1, [], "anonymous")


FEES = [
    asked("How much does it cost to register a multi-academy trust with the DfE?", 1),
    asked("What is the registration fee for a new multi-academy trust?", 5),
]
OTHER = asked("Which football club did the first CST chair support as a child?", 3)


def test_similar_questions_share_a_group_and_groups_come_newest_first(embedder):
    groups = group_questions([*FEES, OTHER], embedder.embed, threshold=DEFAULT)
    assert [len(g.questions) for g in groups] == [2, 1]
    assert groups[0].latest.question == FEES[1].question, "a group leads with its newest question"
    assert groups[0].as_dict()["count"] == 2 and groups[0].as_dict()["outcomes"] == {"none": 2, "related": 0}


def test_a_threshold_of_one_keeps_every_question_apart(embedder):
    assert len(group_questions([*FEES, OTHER], embedder.embed, threshold=1.0)) == 3


def test_nothing_to_group_is_an_empty_report(embedder):
    assert group_questions([], embedder.embed, threshold=DEFAULT) == []


def test_the_csv_export_cannot_run_a_formula_in_a_spreadsheet(embedder):
    hostile = asked('=HYPERLINK("https://evil.example","click")', 9)
    rows = list(csv.DictReader(io.StringIO(unanswered_csv(group_questions([hostile, OTHER], embedder.embed, DEFAULT)))))
    assert rows[0]["question"].startswith("'=") and rows[0]["group_question"].startswith("'=")
    assert rows[1]["question"] == OTHER.question and rows[1]["group"] == "2"
