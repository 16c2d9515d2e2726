"""Bad requests get ``{"error": {"code", "message"}}`` with a 4xx status, never a 5xx or a stack trace."""

from __future__ import annotations

import pytest

INVALID = (400, 422)  # refused by the schema (422) or by the core's own checks (400): either way the caller's fault


def assert_error(r, status: int | tuple[int, ...]) -> dict:
    assert r.status_code in (status if isinstance(status, tuple) else (status,)), (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] and body["error"]["message"]
    assert "Traceback" not in r.text
    return body["error"]


BAD_BODIES = {
    "empty question": ("/v1/ask", {"question": ""}, INVALID),
    "blank question": ("/v1/ask", {"question": "   \n "}, INVALID),
    # whitespace to Python's strip() but not to the schema regex engine: refused by the schema, like any blank
    "question of control separators": ("/v1/ask", {"question": "\x1f \x1c"}, INVALID),
    "query of control separators": ("/v1/search", {"query": "\x1f"}, INVALID),
    "question over 2000 characters": ("/v1/ask", {"question": "governance " * 200}, INVALID),
    "empty query": ("/v1/search", {"query": ""}, INVALID),
    "query over 2000 characters": ("/v1/search", {"query": "q" * 2001}, INVALID),
    "k of 0": ("/v1/search", {"query": "trust boards", "k": 0}, INVALID),
    "k of 51": ("/v1/search", {"query": "trust boards", "k": 51}, INVALID),
    "ask with k of 0": ("/v1/ask", {"question": "trust boards", "k": 0}, INVALID),
    "ask with k of 51": ("/v1/ask", {"question": "trust boards", "k": 51}, INVALID),
    "unknown filter key": ("/v1/search", {"query": "trust boards", "filters": {"colour": "blue"}}, INVALID),
    "unknown top-level field": ("/v1/ask", {"question": "trust boards", "temperature": 2}, INVALID),
    "question is a number": ("/v1/ask", {"question": 42}, INVALID),
    "question is a list": ("/v1/ask", {"question": ["a", "b"]}, INVALID),
    "k is text": ("/v1/search", {"query": "trust boards", "k": "five"}, INVALID),
    "k is a fraction": ("/v1/search", {"query": "trust boards", "k": 2.5}, INVALID),
    "filters is a string": ("/v1/search", {"query": "trust boards", "filters": "kind=annual report"}, INVALID),
    "document_id filter is a number": ("/v1/search", {"query": "trust boards", "filters": {"document_id": 7}}, INVALID),
    "date filter that is not a date": (
        "/v1/search",
        {"query": "trust boards", "filters": {"published_from": "last spring"}},
        INVALID,
    ),
    "empty document_ids list": ("/v1/search", {"query": "trust boards", "filters": {"document_ids": []}}, INVALID),
    "missing question": ("/v1/ask", {}, INVALID),
    "body is a JSON list": ("/v1/ask", ["What is a strong trust?"], INVALID),
    "conversation_id too short": ("/v1/ask", {"question": "trust boards", "conversation_id": "abc"}, INVALID),
    "stream is not a boolean": ("/v1/ask", {"question": "trust boards", "stream": "maybe"}, INVALID),
    "feedback rating not up or down": ("/v1/feedback", {"answer_id": "x" * 32, "rating": "meh"}, INVALID),
}


@pytest.mark.parametrize("path,body,status", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_request_bodies_get_a_4xx_error_object(client, path, body, status):
    assert_error(client.post(path, json=body), status)


def test_question_over_the_limit_says_what_the_limit_is(client):
    err = assert_error(client.post("/v1/ask", json={"question": "x" * 2001}), INVALID)
    assert "2000" in err["message"]


def test_a_question_of_exactly_2000_characters_is_accepted(client):
    r = client.post("/v1/ask", json={"question": ("trust governance " * 200)[:2000]})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("raw", [b'{"question": "What is a strong trust?"', b"question=strong+trust"])
def test_malformed_json_is_a_400(client, raw):
    err = assert_error(client.post("/v1/ask", content=raw, headers={"Content-Type": "application/json"}), 400)
    assert err["code"] == "malformed_json"


def test_body_that_is_not_utf8_is_a_400(client):
    assert_error(client.post("/v1/ask", content=b"\xff\xfe\x00", headers={"Content-Type": "application/json"}), 400)


def test_unknown_document_id_is_a_404(client):
    err = assert_error(client.get("/v1/documents/no-such-paper"), 404)
    assert err["code"] == "not_found"


def test_unknown_route_and_wrong_method_are_error_objects(client):
    assert_error(client.get("/v1/nothing-here"), 404)
    assert_error(client.get("/v1/ask"), 405)


def test_body_over_the_limit_is_a_413(client, api_settings):
    big = {"question": "q" * (api_settings.limits.max_body_bytes + 10)}
    err = assert_error(client.post("/v1/ask", json=big), 413)
    assert err["code"] == "payload_too_large"


def test_body_over_the_limit_without_content_length_is_a_413(client, api_settings):
    """A chunked upload has no Content-Length to check up front; the limit must still hold while reading."""
    piece = b'{"question": "' + b"q" * 8192

    def chunks():
        yield piece
        for _ in range(api_settings.limits.max_body_bytes // 8192 + 2):
            yield b"q" * 8192
        yield b'"}'

    r = client.post("/v1/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert_error(r, 413)


def test_unrecognised_credential_is_a_401_not_anonymous(client):
    err = assert_error(client.post("/v1/search", json={"query": "trust"}, headers={"Authorization": "Bearer hunter2"}), 401)
    assert err["code"] == "unauthorized"
