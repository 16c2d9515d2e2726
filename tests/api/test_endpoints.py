"""Every endpoint answers over HTTP with the documented shape."""

from __future__ import annotations

from event_stream import sse_events
from prometheus_client.parser import text_string_to_metric_families

STRONG_TRUST = "What are the five domains of a strong trust?"


def test_search_returns_passages_with_citation_facts(client):
    r = client.post("/v1/search", json={"query": "the five domains of a strong trust", "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["results"]) == 3
    assert body["took_ms"] >= 0
    first = body["results"][0]
    assert set(first) == {
        "chunk_id",
        "document_id",
        "title",
        "section",
        "page",
        "published",
        "url",
        "superseded_by",
        "superseded_by_title",
        "source",
        "text",
        "score",
    }
    assert first["document_id"] == "what-is-a-strong-trust-2022"
    assert first["title"] and first["text"] and first["published"] == "2022-02"
    scores = [p["score"] for p in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_as_json_returns_answer_citations_and_ids(client):
    r = client.post("/v1/ask", json={"question": STRONG_TRUST})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {
        "answer",
        "outcome",
        "confidence",
        "citations",
        "abstained",
        "conversation_id",
        "answer_id",
        "took_ms",
        "points",
    }
    assert body["abstained"] is False and body["outcome"] == "answer" and 0.0 <= body["confidence"] <= 1.0
    assert body["answer"] and body["citations"]
    assert {"n", "chunk_id", "document_id", "title", "section", "page", "published", "url", "text"} <= set(body["citations"][0])
    assert body["conversation_id"] and body["answer_id"]


def _check_stream(r, question_answer: dict) -> None:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-1] == "done"
    assert set(names[1:-1]) == {"token"}, names
    meta, done = events[0][1], events[-1][1]
    assert meta["conversation_id"] == done["conversation_id"] and meta["answer_id"] == done["answer_id"]
    streamed = "".join(data["text"] for name, data in events if name == "token")
    assert streamed == done["answer"]
    assert done["abstained"] is question_answer["abstained"]
    assert [c["chunk_id"] for c in done["citations"]] == [c["chunk_id"] for c in question_answer["citations"]]


def test_ask_streams_meta_token_done_events_when_stream_is_true(client):
    expected = client.post("/v1/ask", json={"question": STRONG_TRUST}).json()
    r = client.post("/v1/ask", json={"question": STRONG_TRUST, "stream": True})
    _check_stream(r, expected)
    assert len([1 for name, _ in sse_events(r.text) if name == "token"]) > 1


def test_ask_streams_when_the_client_accepts_event_stream(client):
    expected = client.post("/v1/ask", json={"question": STRONG_TRUST}).json()
    r = client.post("/v1/ask", json={"question": STRONG_TRUST}, headers={"Accept": "text/event-stream"})
    _check_stream(r, expected)


def test_streamed_abstention_ends_with_abstained_and_no_citations(client):
    r = client.post("/v1/ask", json={"question": "What is the capital of France?", "stream": True})
    events = sse_events(r.text)
    assert events[-1][0] == "done"
    assert events[-1][1]["abstained"] is True and events[-1][1]["citations"] == []


def test_documents_lists_the_bundled_corpus_with_chunk_counts(client):
    r = client.get("/v1/documents")
    assert r.status_code == 200
    docs = {d["document_id"]: d for d in r.json()["documents"]}
    assert set(docs) == {
        "cst-annual-report-2024-25",
        "policy-library-trust-governance",
        "school-trusts-insurgent-mission",
        "taking-stock-2019",
        "what-is-a-strong-trust-2022",
        "estates-guidance-2019",
        "estates-guidance-2024",
    }
    strong = docs["what-is-a-strong-trust-2022"]
    assert strong["title"] == "What is a strong trust? A CST discussion paper"
    assert strong["kind"] == "discussion paper" and strong["published"] == "2022-02"
    assert all(d["chunks"] > 0 for d in docs.values())


def test_document_by_id_returns_its_metadata(client):
    r = client.get("/v1/documents/taking-stock-2019")
    assert r.status_code == 200
    body = r.json()
    assert body["document_id"] == "taking-stock-2019" and body["author"] == "Leora Cruddas" and body["chunks"] > 0


def test_healthz_says_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


METRICS_TOKEN = "ops-metrics-token-for-tests"


def test_readyz_reports_the_loaded_index_to_the_metrics_token_only(make_client, assistant):
    client = make_client(metrics_token=METRICS_TOKEN)
    r = client.get("/readyz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    assert body["chunks"] == assistant.index.chunk_count() == body["lexical_chunks"]
    assert body["documents"] == 8
    assert client.get("/readyz").json() == {"status": "ready", "database": "ok"}  # no index figures


def test_metrics_parse_as_prometheus_and_count_requests_and_answers(make_client, assistant):
    client = make_client(metrics_token=METRICS_TOKEN)  # its own registry, so the counts below are this test's
    client.post("/v1/ask", json={"question": STRONG_TRUST})
    client.post("/v1/ask", json={"question": "What is the capital of France?"})
    client.get("/v1/documents/no-such-document")
    r = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    requests = {
        (s.labels["route"], s.labels["method"], s.labels["status"]): s.value
        for s in families["cstassist_requests"].samples
        if s.name == "cstassist_requests_total"
    }
    assert requests[("/v1/ask", "POST", "200")] == 2
    assert requests[("/v1/documents/{document_id}", "GET", "404")] == 1
    answers = {f: families[f].samples[0].value for f in ("cstassist_answers", "cstassist_abstentions")}
    assert answers == {"cstassist_answers": 1, "cstassist_abstentions": 1}
    assert families["cstassist_index_chunks"].samples[0].value == assistant.index.chunk_count()
    latency = [
        s
        for s in families["cstassist_request_seconds"].samples
        if s.name == "cstassist_request_seconds_count" and s.labels["route"] == "/v1/ask"
    ]
    assert latency and latency[0].value == 2


def test_tokens_are_minted_for_an_api_key(client, member_key):
    r = client.post("/v1/tokens", headers={"Authorization": f"Bearer {member_key}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token"].startswith("cstt_") and body["scope"] == "members"
    assert body["expires_at"] > 0


def test_feedback_is_accepted_for_an_answer_this_service_gave(client):
    answer_id = client.post("/v1/ask", json={"question": STRONG_TRUST}).json()["answer_id"]
    r = client.post("/v1/feedback", json={"answer_id": answer_id, "rating": "up", "comment": "clear"})
    assert r.status_code == 201 and r.json() == {"ok": True}


def test_demo_page_and_widget_script_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/widget.js"' in page.text
    script = client.get("/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("application/javascript")
    assert "cst-assist-widget" in script.text and "/v1/ask" in script.text


def test_every_response_carries_a_request_id_and_echoes_a_given_one(client):
    assert len(client.get("/healthz").headers["x-request-id"]) >= 8
    assert client.get("/healthz", headers={"X-Request-ID": "trace-abc-123"}).headers["x-request-id"] == "trace-abc-123"
