"""Members-only passages do not move what an anonymous caller receives (issue 18, finding 6): two services
over the same public papers, one of them also holding a members-only briefing full of the queries' words,
return byte-identical search results (ids, order, scores) and answers to anonymous callers over real HTTP.
Before BM25 kept its term statistics per audience, the briefing's words changed public scores: a counting
side channel into papers the caller cannot read."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from live_uvicorn import start_uvicorn
from members_doc import MEMBERS_DOC_ID, MEMBERS_MANIFEST_ENTRY, MEMBERS_TEXT

from cstassist.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ("what-is-a-strong-trust-2022.md", "school-trusts-insurgent-mission.md")
QUERIES = ("trustee succession skills register", "shadow trustees induction", "how should boards plan succession")


def _service(tmp_path_factory, embedder, free_port, with_members: bool):  # type: ignore[no-untyped-def]
    from cstassist.api import create_app
    from cstassist.assistant import Assistant
    from cstassist.ingest import ingest

    folder = tmp_path_factory.mktemp("audience-stats") / "corpus"
    folder.mkdir()
    for name in PUBLIC:
        shutil.copy(ROOT / "corpus" / name, folder / name)
    if with_members:
        (folder / f"{MEMBERS_DOC_ID}.md").write_text(MEMBERS_TEXT)
        (folder / "manifest.yaml").write_text("documents:\n" + MEMBERS_MANIFEST_ENTRY)
    settings = Settings(data_dir=tmp_path_factory.mktemp("audience-stats-data"), corpus_dir=folder)
    assert ingest([folder], settings, embedder=embedder).ok
    port = free_port()
    server, thread = start_uvicorn(create_app(settings, Assistant.open(settings, embedder=embedder)), port)
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture(scope="module")
def twin_services(tmp_path_factory, embedder, free_port):
    started = [_service(tmp_path_factory, embedder, free_port, with_members) for with_members in (False, True)]
    yield [base for base, _, _ in started]
    for _, server, thread in started:
        server.should_exit = True
        thread.join(timeout=10)


def _anonymous_view(base: str) -> list[object]:
    seen: list[object] = []
    with httpx.Client(base_url=base, timeout=120) as http:
        for query in QUERIES:
            r = http.post("/v1/search", json={"query": query, "k": 10})
            assert r.status_code == 200, r.text
            seen.append([(p["chunk_id"], p["score"]) for p in r.json()["results"]])
            body = http.post("/v1/ask", json={"question": query}).json()
            seen.append((body["answer"], body["outcome"], body.get("confidence"), [c["chunk_id"] for c in body["citations"]]))
    return seen


def test_members_content_leaves_anonymous_results_byte_identical(twin_services):
    without, with_members = twin_services
    assert _anonymous_view(with_members) == _anonymous_view(without)
