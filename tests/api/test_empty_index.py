"""An index that holds no documents says so in /v1/ask and /v1/search (issue 18, newcomer finding 11).

A newcomer who mistyped CSTASSIST_DATA_DIR got a fresh, empty index and a polite "nothing relevant" to every
question, which reads as an answer. Real uvicorn over a real, empty data directory; real HTTP."""

from __future__ import annotations

import httpx
import pytest
from live_uvicorn import start_uvicorn

from cstassist.settings import Settings


@pytest.fixture
def empty_server(tmp_path, embedder, free_port):  # type: ignore[no-untyped-def]
    from cstassist.api import create_app
    from cstassist.assistant import Assistant

    settings = Settings(data_dir=tmp_path / "dta-typo", corpus_dir=tmp_path)
    port = free_port()
    server, thread = start_uvicorn(create_app(settings, Assistant.open(settings, embedder=embedder)), port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/ask", {"question": "How often must the trust board meet?"}),
        ("/v1/ask", {"question": "How often must the trust board meet?", "stream": True}),
        ("/v1/search", {"query": "board meetings"}),
    ],
)
def test_an_empty_index_is_a_503_naming_the_data_directory_setting(empty_server, path, body):
    r = httpx.post(empty_server + path, json=body, timeout=60)
    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert error["code"] == "not_ready"
    assert "holds no documents" in error["message"] and "CSTASSIST_DATA_DIR" in error["message"]
    assert "\n" not in error["message"]


def test_an_ingested_index_still_answers(live_server):
    r = httpx.post(live_server + "/v1/ask", json={"question": "How often must the trust board meet?"}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] in ("answer", "related", "none")
