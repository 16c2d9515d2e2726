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


def test_jobs_report_progress_and_a_restart_fails_the_ones_left_unfinished(tmp_path):
    import threading
    import time

    from cstassist.database import Database
    from cstassist.errors import BadRequest
    from cstassist.staff import Jobs

    jobs = Jobs(Database.for_path(tmp_path / "jobs.sqlite"))
    release = threading.Event()

    def work(progress):
        progress(0.5, "half way")
        release.wait(10)
        return {"chunks": 3}

    ok = jobs.submit("ingest", "key:x (ops)", work, queue="index")
    bad = jobs.submit("ingest", "key:x (ops)", lambda progress: (_ for _ in ()).throw(BadRequest("corrupt PDF")), queue="index")
    for _ in range(200):
        if jobs.get(ok).stage == "half way":
            break
        time.sleep(0.02)
    assert (jobs.get(ok).status, jobs.get(ok).progress, jobs.get(bad).status) == ("running", 0.5, "queued")
    restarted = Jobs(jobs.db)  # another process opening the same database after this one died
    assert restarted.abandon_unfinished() == 2
    assert restarted.get(bad).status == "failed" and "interrupted" in restarted.get(bad).error
    release.set()
    jobs.shutdown()  # the running job finishes; the queued one is dropped
    assert (jobs.get(ok).status, jobs.get(ok).result) == ("done", {"chunks": 3})
    failing = jobs.submit("ingest", "key:x (ops)", lambda progress: (_ for _ in ()).throw(BadRequest("corrupt PDF")), queue="x")
    for _ in range(200):
        if jobs.get(failing).status == "failed":
            break
        time.sleep(0.02)
    assert jobs.get(failing).error == "corrupt PDF", "a job fails with its one-line reason"
