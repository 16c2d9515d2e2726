"""Property-based fuzzing of every documented endpoint, driven by the service's own OpenAPI spec
(schemathesis), over real HTTP, anonymously and with a member key: no 5xx, no stack trace or internal
path in any body, and every response matches the documented schema."""

from __future__ import annotations

import threading
import time

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings

from cstassist.access import KeyStore
from cstassist.database import Database
from cstassist.settings import LimitSettings

pytestmark = pytest.mark.slow
LEAKS = ("Traceback", 'File "', "/site-packages/", "cstassist/", '.py"', "Exception")


@pytest.fixture(scope="module")
def fuzz_server(corpus_index, embedder, free_port):
    from cstassist.api.app import create_app
    from cstassist.assistant import Assistant

    cfg = corpus_index.model_copy(update={"limits": LimitSettings(rate_per_minute=100_000)})
    app = create_app(cfg, Assistant.open(cfg, embedder=embedder))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    _, secret = KeyStore(Database.for_settings(cfg)).create("fuzz-portal", "members")
    yield f"http://127.0.0.1:{port}", secret
    server.should_exit = True
    thread.join(10)


def _spec() -> dict:  # type: ignore[type-arg]
    from cstassist.api.app import create_app

    return create_app().openapi()  # building the app is cheap: nothing loads until it starts


schema = schemathesis.openapi.from_dict(_spec())


def _check(case, base_url: str, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    response = case.call_and_validate(base_url=base_url, headers=headers)
    assert response.status_code < 500
    for leak in LEAKS:
        assert leak not in response.text, f"{leak!r} in body of {case.method} {case.path}"


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_anonymous_calls_get_no_server_errors_leaks_or_schema_violations(case, fuzz_server):
    _check(case, fuzz_server[0], {})


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_member_calls_get_no_server_errors_leaks_or_schema_violations(case, fuzz_server):
    _check(case, fuzz_server[0], {"Authorization": f"Bearer {fuzz_server[1]}"})
