"""A public paper superseded by a members-only one (issue 18, finding 2): over real HTTP, anonymous callers
never receive the members paper's title or id (answers, citations, search results, SSE, the widget's flag
data), members do, and ingest warns about the pairing."""

from __future__ import annotations

import logging

import httpx
import pytest
from live_uvicorn import start_uvicorn

from cstassist.settings import Settings

NEW_ID, NEW_TITLE = "pay-policy-members-2025", "Harbourside members' pay policy QUOLLBRIDGE 2025"
OLD_TEXT = """# Trustee expenses policy (2019)

## Claiming expenses

Trustees may claim reasonable travel expenses for attending board meetings, with receipts, within two months.
Trustees are volunteers and are not paid for their work on the board.
"""
NEW_TEXT = f"""# {NEW_TITLE}

## Claiming expenses

Trustees may claim reasonable travel expenses for attending board meetings, with receipts, within one month.
"""
MANIFEST = f"""documents:
  - file: expenses-2019.md
    title: "Trustee expenses policy (2019)"
    published: 2019-01
    superseded_by: {NEW_ID}.md
  - file: {NEW_ID}.md
    title: "{NEW_TITLE}"
    published: 2025-01
    audience: members
"""
QUESTION = "How long do trustees have to claim travel expenses?"


@pytest.fixture(scope="module")
def superseded_service(tmp_path_factory, embedder, free_port):
    from cstassist.access import KeyStore
    from cstassist.api import create_app
    from cstassist.assistant import Assistant
    from cstassist.database import Database
    from cstassist.ingest import ingest

    folder = tmp_path_factory.mktemp("superseded-members") / "corpus"
    folder.mkdir()
    (folder / "expenses-2019.md").write_text(OLD_TEXT)
    (folder / f"{NEW_ID}.md").write_text(NEW_TEXT)
    (folder / "manifest.yaml").write_text(MANIFEST)
    settings = Settings(data_dir=tmp_path_factory.mktemp("superseded-members-data"), corpus_dir=folder)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("cstassist").addHandler(handler)
    try:
        assert ingest([folder], settings, embedder=embedder).ok
    finally:
        logging.getLogger("cstassist").removeHandler(handler)
    member_key = KeyStore(Database.for_settings(settings)).create("portal", "members")[1]
    port = free_port()
    server, thread = start_uvicorn(create_app(settings, Assistant.open(settings, embedder=embedder)), port)
    yield f"http://127.0.0.1:{port}", member_key, [r.getMessage() for r in records if r.levelno >= logging.WARNING]
    server.should_exit = True
    thread.join(timeout=10)


def _leaks(text: str) -> bool:
    return NEW_ID in text or "QUOLLBRIDGE" in text


def test_ingest_warns_that_a_public_paper_is_superseded_by_a_members_paper(superseded_service):
    _, _, warnings = superseded_service
    assert any("expenses-2019.md" in w and "members-only" in w for w in warnings), warnings


def test_anonymous_callers_never_see_the_members_replacement(superseded_service):
    base, _, _ = superseded_service
    with httpx.Client(base_url=base, timeout=120) as http:
        search = http.post("/v1/search", json={"query": QUESTION, "k": 5})
        ask = http.post("/v1/ask", json={"question": QUESTION})
        stream = http.post("/v1/ask", json={"question": QUESTION, "stream": True})
    assert search.status_code == ask.status_code == stream.status_code == 200
    results = search.json()["results"]
    assert [p["document_id"] for p in results] and {p["document_id"] for p in results} == {"expenses-2019"}
    assert all(p["superseded_by"] is None and p["superseded_by_title"] is None for p in results), results
    assert ask.json()["citations"] and all(c["superseded_by"] is None for c in ask.json()["citations"])
    for body in (search.text, ask.text, stream.text):
        assert not _leaks(body), body


def test_members_are_told_which_paper_replaces_it(superseded_service):
    base, member_key, _ = superseded_service
    with httpx.Client(base_url=base, timeout=120, headers={"X-API-Key": member_key}) as http:
        results = http.post("/v1/search", json={"query": QUESTION, "k": 5}).json()["results"]
    old = [p for p in results if p["document_id"] == "expenses-2019"]
    assert old and all(p["superseded_by"] == NEW_ID and p["superseded_by_title"] == NEW_TITLE for p in old), results
