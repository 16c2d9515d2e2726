"""Feedback on answers is stored, the last rating wins, and `cstassist feedback export` writes it as JSONL."""

from __future__ import annotations

import json

from event_stream import sse_events

from cstassist.database import Database
from cstassist.feedback import FeedbackStore

QUESTION = "What are the five domains of a strong trust?"


def _answer(client) -> dict:
    r = client.post("/v1/ask", json={"question": QUESTION})
    assert r.status_code == 200
    return r.json()


def _export(store: FeedbackStore) -> dict[str, dict]:
    import io

    buf = io.StringIO()
    store.export(buf)
    return {row["answer_id"]: row for row in map(json.loads, buf.getvalue().splitlines())}


def test_feedback_is_stored_with_its_question_answer_and_citations(client, api_settings):
    answer = _answer(client)
    r = client.post("/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "down", "comment": "missed domain five"})
    assert r.status_code == 201
    row = _export(FeedbackStore(Database.for_settings(api_settings)))[answer["answer_id"]]
    assert row["rating"] == "down" and row["comment"] == "missed domain five"
    assert row["question"] == QUESTION and row["answer"] == answer["answer"]
    assert [c["chunk_id"] for c in row["citations"]] == [c["chunk_id"] for c in answer["citations"]]
    assert row["abstained"] is False


def test_the_last_rating_for_an_answer_wins(client, api_settings):
    answer_id = _answer(client)["answer_id"]
    client.post("/v1/feedback", json={"answer_id": answer_id, "rating": "up"})
    client.post("/v1/feedback", json={"answer_id": answer_id, "rating": "down", "comment": "on reflection, no"})
    row = _export(FeedbackStore(Database.for_settings(api_settings)))[answer_id]
    assert (row["rating"], row["comment"]) == ("down", "on reflection, no")


def test_feedback_on_a_streamed_answer_is_accepted(client):
    r = client.post("/v1/ask", json={"question": QUESTION, "stream": True})
    answer_id = sse_events(r.text)[0][1]["answer_id"]  # the meta event
    assert client.post("/v1/feedback", json={"answer_id": answer_id, "rating": "up"}).status_code == 201


def test_feedback_for_an_unknown_answer_is_refused(client, api_settings):
    r = client.post("/v1/feedback", json={"answer_id": "0" * 32, "rating": "up"})
    assert 400 <= r.status_code < 500
    assert r.json()["error"]["code"] and "answer_id" in r.json()["error"]["message"]
    assert "0" * 32 not in _export(FeedbackStore(Database.for_settings(api_settings)))


def test_feedback_comment_over_the_limit_is_refused(client):
    answer_id = _answer(client)["answer_id"]
    r = client.post("/v1/feedback", json={"answer_id": answer_id, "rating": "up", "comment": "x" * 2001})
    assert 400 <= r.status_code < 500 and r.json()["error"]["code"]


def test_cli_feedback_export_writes_jsonl_with_the_feedback(client, cli, tmp_path):
    answer = _answer(client)
    client.post("/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "up", "comment": "exported via the CLI"})
    out = tmp_path / "feedback.jsonl"
    done = cli(["feedback", "export", "--output", str(out)])
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert "exported" in done.stderr and str(len(rows)) in done.stderr
    mine = [r for r in rows if r["answer_id"] == answer["answer_id"]]
    assert len(mine) == 1
    assert mine[0]["rating"] == "up" and mine[0]["comment"] == "exported via the CLI" and mine[0]["question"] == QUESTION
    assert {"answer_id", "at", "rating", "comment", "question", "answer", "citations", "abstained"} == set(mine[0])
