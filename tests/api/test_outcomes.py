"""The three outcomes of /v1/ask (answer, related, none) over JSON and server-sent events, the demo page's
example questions, and a superseded document. The answerability model is the one the package ships."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest
from event_stream import sse_events
from superseded_docs import NEW_ID, NEW_TITLE, OLD_ID, OLD_ONLY_QUESTION, SURVEY_QUESTION

ANSWER = "When was the Confederation of School Trusts launched?"
RELATED = "What's the quorum for a trust board meeting?"  # board business the corpus touches but never settles
NONE = "Can you give me a recipe for a Victoria sponge?"
OUTCOMES = {ANSWER: "answer", RELATED: "related", NONE: "none"}


def ask(client, question: str, **extra) -> dict:
    r = client.post("/v1/ask", json={"question": question, **extra})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("question", OUTCOMES)
def test_each_outcome_over_json_and_its_contract(client, question):
    body = ask(client, question)
    outcome = OUTCOMES[question]
    assert body["outcome"] == outcome, (body["confidence"], body["answer"])
    assert body["abstained"] is (outcome != "answer")
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])}
    if outcome == "none":
        assert body["citations"] == [] and not markers
    else:
        assert body["citations"] and markers == {c["n"] for c in body["citations"]}
    if outcome == "related":
        assert body["answer"].startswith("CST's guidance doesn't answer this directly")


@pytest.mark.parametrize("question", OUTCOMES)
def test_the_streamed_done_event_carries_the_same_outcome(client, question):
    r = client.post("/v1/ask", json={"question": question, "stream": True})
    done = [data for name, data in sse_events(r.text) if name == "done"]
    assert len(done) == 1 and done[0]["outcome"] == OUTCOMES[question]
    assert done[0]["abstained"] is (OUTCOMES[question] != "answer")


def test_outcomes_over_real_http(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as http:
        for question, outcome in OUTCOMES.items():
            r = http.post("/v1/ask", json={"question": question})
            assert r.status_code == 200 and r.json()["outcome"] == outcome


def test_the_openapi_schema_documents_the_three_outcomes(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["AskOut"]
    outcome = schema["properties"]["outcome"]
    assert outcome["enum"] == ["answer", "related", "none"]
    assert "related" in outcome["description"] and "outcome" in schema["required"]


class _Examples(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[str, str]] = []
        self._doc: str | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = dict(attrs)
        if tag in ("li", "button") and "data-example" in a:
            self._doc, self._text = a.get("data-expect-document"), ""

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self._doc is not None:
            self._text += data

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag in ("li", "button") and self._doc is not None:
            self.items.append((" ".join(self._text.split()), self._doc))
            self._doc = None


def test_every_example_on_the_demo_page_gets_an_answer_citing_its_document(client):
    parser = _Examples()
    parser.feed(client.get("/").text)
    assert len(parser.items) >= 3
    for question, document in parser.items:
        body = ask(client, question)
        assert body["outcome"] == "answer", (question, body["confidence"], body["answer"])
        assert document in {c["document_id"] for c in body["citations"]}, (question, body["citations"])


def test_a_superseded_document_ranks_below_its_replacement(client):
    results = client.post("/v1/search", json={"query": SURVEY_QUESTION, "k": 5}).json()["results"]
    docs = [r["document_id"] for r in results]
    assert NEW_ID in docs and OLD_ID in docs and docs.index(NEW_ID) < docs.index(OLD_ID)
    old = next(r for r in results if r["document_id"] == OLD_ID)
    assert old["superseded_by"] == NEW_ID and old["superseded_by_title"] == NEW_TITLE
    body = ask(client, SURVEY_QUESTION)
    assert body["outcome"] == "answer" and body["citations"][0]["document_id"] == NEW_ID
    assert "three years" in body["answer"]


def test_an_answer_from_a_superseded_document_says_so_and_names_the_newer_one(client):
    body = ask(client, OLD_ONLY_QUESTION)
    assert body["outcome"] == "answer", (body["confidence"], body["answer"])
    cited = body["citations"][0]
    assert cited["document_id"] == OLD_ID and cited["superseded_by"] == NEW_ID
    assert f"superseded by “{NEW_TITLE}”" in body["answer"]
