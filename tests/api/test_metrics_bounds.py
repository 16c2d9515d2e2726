"""Requests refused before routing (issue 18, finding 4), over raw sockets against a live uvicorn: however many
distinct paths and methods arrive, /metrics keeps a bounded set of series (route templates and one ``/other``),
and each refusal (413 from a huge Content-Length, 431 from an oversized head) costs its client one request of
the rate limit, so past the budget they get 429 + Retry-After."""

from __future__ import annotations

import secrets

import pytest
from live_uvicorn import start_uvicorn
from prometheus_client.parser import text_string_to_metric_families
from raw_http import request

from cstassist.settings import LimitSettings, Settings

TOKEN = "metrics-token-for-bounds-test-0123456789"


@pytest.fixture(scope="module")
def tiny_settings(tmp_path_factory, embedder) -> Settings:
    from cstassist.ingest import ingest

    folder = tmp_path_factory.mktemp("bounds-corpus")
    (folder / "boards.md").write_text("# Boards\n\nTrust boards meet at least three times a year.\n")
    settings = Settings(data_dir=tmp_path_factory.mktemp("bounds-data"), corpus_dir=folder)
    assert ingest([folder], settings, embedder=embedder).ok
    return settings


@pytest.fixture
def start(tiny_settings, embedder, free_port):
    from cstassist.api import create_app
    from cstassist.assistant import Assistant

    assistant = Assistant.open(tiny_settings, embedder=embedder)
    started = []

    def run(**overrides) -> str:  # type: ignore[no-untyped-def]
        settings = Settings(data_dir=tiny_settings.data_dir, corpus_dir=tiny_settings.corpus_dir, **overrides)
        port = free_port()
        # the protocol-level cap of `cstassist serve` (api/server.py) set above the app's, so the app's own refusal
        # (what any other server gets) is what is measured
        started.append(start_uvicorn(create_app(settings, assistant), port, 64 * 1024))
        return f"http://127.0.0.1:{port}"

    yield run
    for server, thread in started:
        server.should_exit = True
        thread.join(timeout=10)


def _series(base: str) -> dict[tuple[str, str, str], float]:
    status, _, body = request(base, f"GET /metrics HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
    assert status == 200
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    return {
        (s.labels["route"], s.labels["method"], s.labels["status"]): s.value
        for s in families["cstassist_requests"].samples
        if s.name == "cstassist_requests_total"
    }


def test_refused_and_unknown_requests_make_a_bounded_set_of_series(start):
    base = start(metrics_token=TOKEN, limits=LimitSettings(rate_per_minute=100_000, max_header_bytes=4096))
    odd_methods = ("PROPFIND", "MKCOL", "LOCK", "UNLOCK", "PURGE", "REPORT")  # methods uvicorn's parser passes on
    for i in range(150):
        junk = secrets.token_hex(8)
        request(base, f"POST /v1/ask/{junk} HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999\r\n\r\n".encode())
        request(base, f"POST /{junk} HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999\r\n\r\n".encode())
        request(base, f"GET /{junk} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        request(base, f"{odd_methods[i % 6]} /v1/search HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n".encode())
    request(base, b"POST /v1/ask HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999\r\n\r\n")
    request(base, b"GET /v1/documents/" + b"x" * 5000 + b" HTTP/1.1\r\nHost: t\r\n\r\n")  # 431 from the app
    series = _series(base)
    assert len(series) <= 12, sorted(series)
    routes = {route for route, _, _ in series}
    assert routes <= {"/other", "/v1/ask", "/v1/search", "/v1/documents/{document_id}", "/metrics"}, routes
    assert series[("/v1/ask", "POST", "413")] == 1
    assert series[("/other", "POST", "413")] == 300
    assert ("/v1/documents/{document_id}", "GET", "431") in series
    assert {method for _, method, _ in series} <= {"GET", "POST", "OTHER"}


@pytest.mark.parametrize(
    "refused",
    [
        b"POST /v1/ask HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n",
    ],
    ids=["413", "431"],
)
def test_refusals_before_routing_cost_the_client_its_rate_limit(start, refused):
    base = start(limits=LimitSettings(rate_per_minute=4, max_header_bytes=4096))
    expected = 413 if b"Content-Length" in refused else 431
    statuses = [request(base, refused, source="127.0.0.7")[0] for _ in range(4)]
    assert statuses == [expected] * 4
    status, headers, body = request(base, refused, source="127.0.0.7")
    assert status == 429 and int(headers["retry-after"]) >= 1, body
    # the budget is the client's: another address is refused as before, not rate limited
    assert request(base, refused, source="127.0.0.8")[0] == expected
