"""Read timeouts and a cap on connections per client (issue 18, finding 8).

Before: a connection that never sent a byte, a head sent a byte at a time and a body announced but never sent
were each held for 60 s and more. Raw sockets against a real uvicorn running the protocol ``cstassist serve``
runs, with the limits shortened (1 s head, 1.5 s body, 4 connections) so the test takes seconds."""

from __future__ import annotations

import json
import socket
import time

import pytest
from live_uvicorn import start_uvicorn
from raw_http import connect, read_response

from cstassist.settings import LimitSettings

HEAD_S, BODY_S, PER_CLIENT = 1.0, 1.5, 4
GET = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"


@pytest.fixture(scope="module")
def base(api_settings, assistant, free_port):  # type: ignore[no-untyped-def]
    from cstassist.api import create_app

    limits = LimitSettings(header_timeout_s=HEAD_S, body_timeout_s=BODY_S, max_connections_per_client=PER_CLIENT)
    port = free_port()
    server, thread = start_uvicorn(create_app(api_settings, assistant), port, limits=limits)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _closed_after(sock: socket.socket) -> tuple[float, bytes]:
    """Seconds until the server closes ``sock``, and what it sent first (up to 10 s; a held socket fails)."""
    started, got = time.monotonic(), b""
    sock.settimeout(10)
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            pytest.fail(f"the server still held the connection after 10 s (sent {got[:80]!r})")
        if not chunk:
            return time.monotonic() - started, got
        got += chunk


def _status(data: bytes) -> int | None:
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None


def test_a_connection_that_sends_nothing_is_closed_after_the_head_timeout(base):
    with connect(base) as sock:
        took, got = _closed_after(sock)
    assert got == b"" and took < HEAD_S + 2


def test_a_head_sent_a_byte_at_a_time_gets_408(base):
    with connect(base) as sock:
        started = time.monotonic()
        try:
            for byte in b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 100:
                sock.sendall(bytes([byte]))
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        took, got = _closed_after(sock)
    assert _status(got) == 408, got
    assert json.loads(got.partition(b"\r\n\r\n")[2])["error"]["code"] == "request_timeout"
    assert time.monotonic() - started < HEAD_S + 3


@pytest.mark.parametrize("drip", [False, True], ids=["body-never-sent", "body-dripped"])
def test_a_body_that_does_not_arrive_in_time_gets_408(base, drip):
    head = b"POST /v1/search HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n"
    with connect(base) as sock:
        sock.sendall(head + b'{"query": "')
        started = time.monotonic()
        if drip:  # a byte every 0.2 s never lets an idle timer fire: the limit is a total
            try:
                for _ in range(40):
                    sock.sendall(b"a")
                    time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                pass
        took, got = _closed_after(sock)
    assert _status(got) == 408, got
    assert time.monotonic() - started < BODY_S + 3


def test_a_client_past_its_connection_cap_gets_429_and_others_are_served_again_once_it_closes(base):
    held = [connect(base) for _ in range(PER_CLIENT)]
    try:
        with connect(base) as extra:
            status, headers, body = read_response(extra)
        assert status == 429 and json.loads(body)["error"]["code"] == "too_many_connections"
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)  # the server notices the closes
    with connect(base) as sock:
        sock.sendall(GET)
        assert read_response(sock)[0] == 200


def test_an_ordinary_keep_alive_client_is_unaffected(base):
    with connect(base) as sock:
        for i in range(3):
            time.sleep(HEAD_S * 0.6 if i else 0)  # idle between requests, inside the limit
            sock.sendall(GET)
            assert read_response(sock)[0] == 200
        body = json.dumps({"query": "board meetings"}).encode()
        for piece in (b"POST /v1/search HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n", b"Content-Length: "):
            sock.sendall(piece)  # a head in pieces, slower than one read but inside the limit
            time.sleep(0.3)
        sock.sendall(str(len(body)).encode() + b"\r\n\r\n" + body)
        assert read_response(sock)[0] == 200
