"""Rate limits, the body size limit and CORS."""

from __future__ import annotations

from cstassist.settings import LimitSettings

ALLOWED = "https://members.cstuk.example"
OTHER = "https://evil.example"


def test_rate_limit_answers_429_with_retry_after(make_client):
    client = make_client(limits=LimitSettings(rate_per_minute=3))
    statuses = [client.post("/v1/search", json={"query": "trust boards"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    r = client.post("/v1/search", json={"query": "trust boards"})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= 60
    assert str(retry) in r.json()["error"]["message"]
    # every limited route shares the caller's bucket
    assert client.get("/v1/documents").status_code == 429
    assert client.post("/v1/ask", json={"question": "What is a strong trust?"}).status_code == 429


def test_rate_limit_counts_each_api_key_separately_from_anonymous_callers(make_client, keys):
    client = make_client(limits=LimitSettings(rate_per_minute=2))
    _, secret = keys.create("rate-limit-portal", "members")
    for _ in range(2):
        assert client.get("/v1/documents").status_code == 200
    assert client.get("/v1/documents").status_code == 429
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v1/documents", headers=headers).status_code == 200


def test_health_and_readiness_are_not_rate_limited(make_client):
    client = make_client(limits=LimitSettings(rate_per_minute=1))
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))
    assert all(client.get("/readyz").status_code == 200 for _ in range(3))


def test_body_over_a_configured_limit_is_a_413(make_client):
    client = make_client(limits=LimitSettings(max_body_bytes=2048, rate_per_minute=1000))
    assert client.post("/v1/search", json={"query": "trust " * 100}).status_code == 200
    r = client.post("/v1/search", json={"query": "trust " * 400})
    assert r.status_code == 413
    assert r.json() == {"error": {"code": "payload_too_large", "message": "request body over 2048 bytes"}}


def test_cors_allows_a_configured_origin(make_client):
    client = make_client(cors_origins=[ALLOWED])
    r = client.post("/v1/search", json={"query": "trust boards"}, headers={"Origin": ALLOWED})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED
    pre = client.options(
        "/v1/ask",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert "authorization" in pre.headers["access-control-allow-headers"].lower()


def test_cors_gives_no_allow_origin_to_other_origins(make_client):
    client = make_client(cors_origins=[ALLOWED])
    r = client.post("/v1/search", json={"query": "trust boards"}, headers={"Origin": OTHER})
    assert "access-control-allow-origin" not in r.headers
    pre = client.options("/v1/ask", headers={"Origin": OTHER, "Access-Control-Request-Method": "POST"})
    assert pre.status_code >= 400
    assert "access-control-allow-origin" not in pre.headers


def test_without_configured_origins_no_origin_is_allowed(client):
    r = client.post("/v1/search", json={"query": "trust boards"}, headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in r.headers


def test_cors_lets_a_browser_read_retry_after_on_a_429(make_client):
    client = make_client(cors_origins=[ALLOWED], limits=LimitSettings(rate_per_minute=1))
    client.get("/v1/documents", headers={"Origin": ALLOWED})
    r = client.get("/v1/documents", headers={"Origin": ALLOWED})
    assert r.status_code == 429
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "retry-after" in r.headers["access-control-expose-headers"].lower()
