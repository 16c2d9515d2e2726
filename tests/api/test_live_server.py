"""The app behind a real uvicorn on a loopback port: server-sent events and limits over a real socket."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
from event_stream import sse_events

QUESTION = "What are the five domains of a strong trust?"


def test_answer_streams_as_server_sent_events_over_a_socket(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as http:
        with http.stream("POST", "/v1/ask", json={"question": QUESTION}, headers={"Accept": "text/event-stream"}) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            assert r.headers["cache-control"] == "no-cache"
            assert "content-length" not in r.headers  # streamed, not buffered into one body
            body = "".join(r.iter_text())
    parsed = sse_events(body)
    names = [name for name, _ in parsed]
    assert names[0] == "meta" and names[-1] == "done" and names.count("token") > 1
    done = parsed[-1][1]
    assert done["abstained"] is False
    assert any(c["document_id"] == "what-is-a-strong-trust-2022" for c in done["citations"])
    assert "".join(d["text"] for n, d in parsed if n == "token") == done["answer"]


def _raw_http(base: str, request: bytes) -> bytes:
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=30) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_raw_socket_sse_response_is_chunked_event_stream(live_server):
    body = b'{"question": "What is the capital of France?", "stream": true}'
    raw = _raw_http(
        live_server,
        b"POST /v1/ask HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body,
    )
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"content-type: text/event-stream" in head.lower()
    assert b"transfer-encoding: chunked" in head.lower()
    assert b"event: meta\ndata: " in payload and b"event: done\ndata: " in payload
    assert b'"abstained": true' in payload


def test_chunked_upload_over_the_body_limit_is_refused_with_413(live_server, api_settings):
    piece = b"q" * 16384
    chunks = [b'{"question": "'] + [piece] * (api_settings.limits.max_body_bytes // len(piece) + 2) + [b'"}']
    wire = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    raw = _raw_http(
        live_server,
        b"POST /v1/ask HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + wire,
    )
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"payload_too_large" in payload


def test_a_request_id_that_is_not_plain_text_is_replaced_not_a_server_error(live_server):
    for given in (b"\xff\xfe", b"caf\xc3\xa9", b"id with spaces"):
        raw = _raw_http(
            live_server, b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Request-ID: " + given + b"\r\nConnection: close\r\n\r\n"
        )
        head, _, payload = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), (given, head)
        rid = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n") if line.lower().startswith(b"x-request-id:"))
        assert rid != given and rid.isascii() and 8 <= len(rid) <= 64
    raw = _raw_http(live_server, b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Request-ID: trace-42\r\nConnection: close\r\n\r\n")
    assert b"\r\nx-request-id: trace-42\r\n" in raw.lower()
