"""Issue 12's findings, each checked over real HTTP against a live uvicorn: credentials of any bytes,
credential guessing and invalid requests under the rate limit, the request header cap, what anonymous
callers learn from /readyz and /metrics, empty credentials, echoed input in errors, and ingest while the
service holds the data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from raw_http import connect, read_response, request, send_until_answered

from cstassist.settings import LimitSettings

# header value bytes: anything but CR and LF (which would end the header); NUL and other control bytes included
HEADER_BYTES = st.binary(min_size=1, max_size=3000).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"") or b"x")
PREFIXES = st.sampled_from(
    [
        b"Authorization: Bearer ",
        b"Authorization: Bearer cstt_",
        b"Authorization: Bearer cstk_",
        b"X-API-Key: ",
        b"Authorization: ",
    ]
)


def _valid_field(value: bytes) -> bool:
    """Whether an HTTP parser should pass the value on (no control bytes but tab)."""
    return all(b == 9 or (32 <= b and b != 127) for b in value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=PREFIXES, value=HEADER_BYTES)
def test_any_credential_bytes_get_401_never_500_and_the_connection_survives(live_server, prefix, value):
    with connect(live_server) as sock:
        sock.sendall(b"GET /v1/documents HTTP/1.1\r\nHost: test\r\n" + prefix + value + b"\r\n\r\n")
        status, _, body = read_response(sock)
        if _valid_field(value):
            assert status == 401, (prefix, value, status, body[:300])
            assert json.loads(body)["error"]["code"] == "unauthorized"
        else:  # a byte the HTTP parser refuses: a 400 from the server, never the app's 500
            assert status in (400, 401), (prefix, value, status, body[:300])
        if status == 401:  # the same keep-alive connection still serves the next request
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            assert read_response(sock)[0] == 200


def test_the_reported_non_ascii_credentials_are_401(live_server):
    for header in (b"Authorization: Bearer cstt_x.\xc3\xa9", b"X-API-Key: cstt_x.\xc3\xa9", b"X-API-Key: cstk_\xe9\xe9_x"):
        status, _, body = request(
            live_server, b"GET /v1/documents HTTP/1.1\r\nHost: t\r\n" + header + b"\r\nConnection: close\r\n\r\n"
        )
        assert status == 401, (header, body)


@pytest.mark.parametrize(
    "header", [b"Authorization: Bearer ", b"Authorization: Bearer", b"Authorization: ", b"X-API-Key: ", b"X-API-Key:   "]
)
def test_an_empty_credential_is_401_not_anonymous(live_server, header):
    status, _, body = request(
        live_server, b"GET /v1/documents HTTP/1.1\r\nHost: t\r\n" + header + b"\r\nConnection: close\r\n\r\n"
    )
    assert status == 401, body
    assert json.loads(body)["error"]["code"] == "unauthorized"


def test_wrong_credentials_cost_the_client_its_rate_limit_and_then_get_429(serve):
    base = serve(limits=LimitSettings(rate_per_minute=5))
    with httpx.Client(base_url=base, timeout=30) as http:
        wrong = [http.get("/v1/documents", headers={"Authorization": f"Bearer cstk_{i:012x}_wrong"}) for i in range(3)]
        assert [r.status_code for r in wrong] == [401, 401, 401]
        assert [http.get("/v1/documents").status_code for _ in range(2)] == [200, 200]
        # the budget is spent: guesses now get 429 + Retry-After, never another 401
        for headers in (
            {"Authorization": "Bearer cstk_0123456789ab_guess"},
            {"X-API-Key": "cstk_0123456789ab_guess"},
            {"Authorization": "Bearer cstt_eyJzY29wZSI6Im1lbWJlcnMiLCJraWQiOiIwMTIzNDU2Nzg5YWIiLCJleHAiOjk5OTk5OTk5OTl9.forged"},
        ):
            r = http.get("/v1/documents", headers=headers)
            assert r.status_code == 429, (headers, r.text)
            assert int(r.headers["Retry-After"]) >= 1
            assert r.json()["error"]["code"] == "rate_limited"


def test_failed_credentials_naming_a_key_count_against_that_key(serve, keys):
    info, secret = keys.create("guessed-portal", "members")
    base = serve(limits=LimitSettings(rate_per_minute=3))
    guess = {"Authorization": f"Bearer cstk_{info.key_id}_not-the-secret"}

    def get(source: str, headers: dict[str, str]) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=30, transport=httpx.HTTPTransport(local_address=source)) as http:
            return http.get("/v1/documents", headers=headers)

    # three clients (loopback addresses), one wrong guess each: each client keeps budget, the key's is spent
    assert [get(f"127.0.0.{n}", guess).status_code for n in (2, 3, 4)] == [401, 401, 401]
    r = get("127.0.0.5", guess)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # a guess at another key from that client is only a 401, and the key's holder is not locked out
    assert get("127.0.0.5", {"Authorization": "Bearer cstk_0123456789ab_nope"}).status_code == 401
    assert get("127.0.0.6", {"Authorization": f"Bearer {secret}"}).status_code == 200


def test_requests_that_fail_validation_count_against_the_rate_limit(serve):
    base = serve(limits=LimitSettings(rate_per_minute=3))
    with httpx.Client(base_url=base, timeout=30) as http:
        assert http.post("/v1/search", json={"query": "trust boards", "k": "many"}).status_code == 422
        assert http.post("/v1/ask", json={"question": "x", "unknown": 1}).status_code == 422
        assert http.post("/v1/search", content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
        r = http.post("/v1/search", json={"query": "trust boards"})
        assert r.status_code == 429, r.text
        assert http.post("/v1/search", json={"query": "trust boards", "k": "many"}).status_code == 429


@pytest.mark.parametrize("size", [20_000, 1_000_000, 10_000_000])
def test_request_headers_over_16_kb_get_431_before_they_are_read_whole(live_server, size):
    raw = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * size + b"\r\n\r\n"
    started = time.monotonic()
    with connect(live_server) as sock:
        send_until_answered(sock, raw)
        status, _, body = read_response(sock)
    assert status == 431
    assert json.loads(body)["error"]["code"] == "headers_too_large"
    assert time.monotonic() - started < 5
    # the server is still quick for everyone else
    started = time.monotonic()
    assert httpx.get(live_server + "/healthz", timeout=5).status_code == 200
    assert time.monotonic() - started < 1


def test_many_headers_summing_over_the_limit_get_431_and_a_normal_head_passes(live_server):
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(300))
    status, _, _ = request(live_server, b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + many + b"Connection: close\r\n\r\n")
    assert status == 431
    status, _, _ = request(
        live_server, b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Ok: " + b"v" * 8000 + b"\r\nConnection: close\r\n\r\n"
    )
    assert status == 200


def test_the_app_itself_refuses_an_oversized_head_under_any_server(make_client):
    client = make_client(limits=LimitSettings(max_header_bytes=2048, rate_per_minute=1000))
    assert client.get("/healthz", headers={"X-Ok": "v" * 1000}).status_code == 200
    r = client.get("/healthz", headers={"X-Big": "v" * 4000})
    assert r.status_code == 431 and r.json()["error"]["code"] == "headers_too_large"


def test_anonymous_readyz_and_metrics_reveal_no_index_figures(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as http:
        assert http.get("/readyz").json() == {"status": "ready", "database": "ok"}  # no index figures
        metrics = http.get("/metrics")
        assert metrics.status_code == 200 and "cstassist_requests_total" in metrics.text
        assert "cstassist_index_chunks" not in metrics.text
        for route in ("/readyz", "/metrics"):
            assert http.get(route, headers={"Authorization": "Bearer not-the-metrics-token"}).status_code == 401


def test_the_metrics_token_unlocks_the_index_figures(serve, assistant):
    base = serve(metrics_token="ops-secret-metrics-token")
    auth = {"Authorization": "Bearer ops-secret-metrics-token"}
    with httpx.Client(base_url=base, timeout=30) as http:
        ready = http.get("/readyz", headers=auth).json()
        assert ready["chunks"] == assistant.index.chunk_count() and ready["documents"] == len(
            assistant.documents(("public", "members"))
        )
        assert f"cstassist_index_chunks {float(assistant.index.chunk_count())}" in http.get("/metrics", headers=auth).text


def test_a_long_document_id_is_not_echoed_whole(live_server):
    r = httpx.get(f"{live_server}/v1/documents/{'x' * 10_000}", timeout=30)
    assert r.status_code == 404
    message = r.json()["error"]["message"]
    assert len(message) <= 300 and "xxxx" in message


def test_ingest_while_the_service_holds_the_data_dir_exits_2_with_one_line(live_server, api_settings):
    script = Path(sys.executable).parent / "cstassist"
    env = {**os.environ, "CSTASSIST_DATA_DIR": str(api_settings.data_dir), "CSTASSIST_CORPUS_DIR": str(api_settings.corpus_dir)}
    done = subprocess.run([str(script), "ingest"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("cstassist ingest: ") and "in use by another process" in lines[0]
