"""Several hosts: two `cstassist serve` processes with separate data directories share one real PostgreSQL
server and one real `chroma run` server. What one host (or a separate ingest or admin command) does is seen
by the other, and a database outage degrades the service without breaking it.

The servers are started once for the module; the tests run in order and each leaves the hosts running.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest
from members_doc import MEMBERS_CODEWORD, MEMBERS_DOC_ID, MEMBERS_MANIFEST_ENTRY, MEMBERS_TEXT
from servers import ChromaServer, PostgresServer, ServeProcess, cstassist

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
NEW_TERM = "QUAYWARDEN"
NEW_DOC = f"""# The Quaywarden protocol for trust estates

## Estates

The {NEW_TERM} protocol asks every school trust to walk its estate each term and log each defect by risk.
"""

METRICS_TOKEN = "multi-host-operator-token"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, free_port):
    """PostgreSQL + chroma run, the schema migrated, a small corpus ingested, and two hosts serving it."""
    root = tmp_path_factory.mktemp("multi-host")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "what-is-a-strong-trust-2022.md", corpus)
    (corpus / f"{MEMBERS_DOC_ID}.md").write_text(MEMBERS_TEXT, encoding="utf-8")
    (corpus / "manifest.yaml").write_text("documents:\n" + MEMBERS_MANIFEST_ENTRY, encoding="utf-8")
    pg = PostgresServer(free_port())
    pg.start()
    chroma = ChromaServer(root / "chroma", free_port())
    env = {
        **os.environ,
        "CSTASSIST_DATABASE_URL": pg.url,
        "CSTASSIST_CHROMA__URL": chroma.url,
        "CSTASSIST_CORPUS_DIR": str(corpus),
        "CSTASSIST_EMBEDDING__WINDOWS": "false",  # halves ingest time; ranking quality is not under test here
        "CSTASSIST_LIMITS__RATE_PER_MINUTE": "100000",
        "CSTASSIST_GENERATION_POLL_S": "1",
        "CSTASSIST_METRICS_TOKEN": METRICS_TOKEN,  # index figures in /readyz are for operators
    }
    hosts: list[ServeProcess] = []
    try:
        # a database that has not been migrated is refused by name, before anything loads
        refused = cstassist(["serve", "--port", str(free_port())], {**env, "CSTASSIST_DATA_DIR": str(root / "a")})
        assert refused.returncode != 0 and "cstassist db upgrade" in refused.stderr, refused.stderr[-2000:]
        done = cstassist(["db", "upgrade"], {**env, "CSTASSIST_DATA_DIR": str(root / "a")})
        assert done.returncode == 0, done.stderr[-2000:]
        assert cstassist(["db", "status"], env).returncode == 0
        done = cstassist(["ingest"], {**env, "CSTASSIST_DATA_DIR": str(root / "a")})
        assert done.returncode == 0, done.stderr[-2000:]
        for name in ("a", "b"):
            host_env = {**env, "CSTASSIST_DATA_DIR": str(root / name)}
            hosts.append(ServeProcess(host_env, free_port(), root / f"serve-{name}.log"))
        yield {"pg": pg, "env": env, "root": root, "corpus": corpus, "a": hosts[0].url, "b": hosts[1].url}
    finally:
        for h in hosts:
            h.stop()
        chroma.stop()
        pg.destroy()


def _search(url: str, query: str, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{url}/v1/search", json={"query": query, "k": 5}, headers=headers, timeout=30)


def _until(check, seconds: float) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.25)
    raise AssertionError(f"not true within {seconds} s")


def _new_key(cluster, scope: str = "members") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    done = cstassist(["keys", "create", "--name", f"portal-{time.time_ns()}", "--scope", scope], cluster["env"])
    assert done.returncode == 0, done.stderr
    key_id = done.stdout.split()[2]
    return key_id, done.stdout.strip().splitlines()[-1]


def test_a_document_ingested_through_one_host_is_searchable_on_the_other(cluster):
    assert not any(NEW_TERM in p["text"] for p in _search(cluster["b"], NEW_TERM).json()["results"])
    (cluster["corpus"] / "quaywarden.md").write_text(NEW_DOC, encoding="utf-8")
    done = cstassist(["ingest"], {**cluster["env"], "CSTASSIST_DATA_DIR": str(cluster["root"] / "a")})
    assert done.returncode == 0, done.stderr[-2000:]
    took = _until(lambda: any(NEW_TERM in p["text"] for p in _search(cluster["b"], NEW_TERM).json()["results"]), 10)
    print(f"searchable on the other host {took:.1f} s after ingest finished")

    # its vector search reads the shared Chroma at once; its BM25 follows the new generation within a poll or two
    def caught_up() -> bool:
        r = httpx.get(f"{cluster['b']}/readyz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10).json()
        return r["status"] == "ready" and r["database"] == "ok" and r["lexical_chunks"] == r["chunks"]

    _until(caught_up, 15)
    # a stateless host: its data directory holds only caches it can rebuild
    assert {p.name for p in (cluster["root"] / "b").iterdir()} <= {"lexical", "models"}


def test_keys_and_tokens_work_across_hosts_and_a_revocation_reaches_both(cluster):
    key_id, key = _new_key(cluster)
    for host in (cluster["a"], cluster["b"]):
        r = _search(host, MEMBERS_CODEWORD, key)
        assert r.status_code == 200 and any(p["document_id"] == MEMBERS_DOC_ID for p in r.json()["results"])
    token = httpx.post(f"{cluster['a']}/v1/tokens", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()["token"]
    assert _search(cluster["b"], MEMBERS_CODEWORD, token).status_code == 200
    assert cstassist(["keys", "revoke", key_id], cluster["env"]).returncode == 0
    for host in (cluster["a"], cluster["b"]):
        _until(lambda h=host: _search(h, MEMBERS_CODEWORD, key).status_code == 401, 10)
        assert _search(host, MEMBERS_CODEWORD, token).status_code == 401


def test_a_conversation_started_on_one_host_continues_on_the_other(cluster):
    _, key = _new_key(cluster)
    auth = {"Authorization": f"Bearer {key}"}
    first = httpx.post(f"{cluster['a']}/v1/ask", json={"question": "What makes a strong trust?"}, headers=auth, timeout=30)
    cid = first.json()["conversation_id"]
    follow = httpx.post(
        f"{cluster['b']}/v1/ask", json={"question": "And what about its board?", "conversation_id": cid}, headers=auth, timeout=30
    )
    assert follow.status_code == 200 and follow.json()["conversation_id"] == cid

    # an anonymous visitor's session, issued by one host, is honoured by the other
    anon = httpx.post(f"{cluster['a']}/v1/ask", json={"question": "What makes a strong trust?"}, timeout=30)
    session = {"X-CSTAssist-Session": anon.headers["X-CSTAssist-Session"]}
    anon_cid = anon.json()["conversation_id"]
    body = {"question": "And how often?", "conversation_id": anon_cid}
    assert httpx.post(f"{cluster['b']}/v1/ask", json=body, headers=session, timeout=30).json()["conversation_id"] == anon_cid
    # ...and the member's conversation stays theirs on either host
    stranger = httpx.post(f"{cluster['b']}/v1/ask", json={"question": "and what about it?", "conversation_id": cid}, timeout=30)
    assert stranger.json()["conversation_id"] != cid


def test_feedback_given_on_both_hosts_comes_out_of_one_export(cluster, tmp_path):
    _, key = _new_key(cluster)
    auth = {"Authorization": f"Bearer {key}"}
    given = []
    for host in (cluster["a"], cluster["b"]):
        answer = httpx.post(f"{host}/v1/ask", json={"question": "What makes a strong trust?"}, headers=auth, timeout=30).json()
        other = cluster["b"] if host == cluster["a"] else cluster["a"]  # rated through the other host
        r = httpx.post(f"{other}/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "up"}, headers=auth, timeout=10)
        assert r.status_code == 201
        given.append(answer["answer_id"])
    out = tmp_path / "feedback.jsonl"
    assert cstassist(["feedback", "export", "-o", str(out)], cluster["env"]).returncode == 0
    exported = {json.loads(line)["answer_id"] for line in out.read_text().splitlines()}
    assert set(given) <= exported


def test_with_postgresql_stopped_anonymous_calls_work_key_calls_get_503_and_the_service_recovers(cluster):
    _, key = _new_key(cluster)
    cluster["pg"].stop()
    try:
        for host in (cluster["a"], cluster["b"]):
            assert _search(host, "strong trust").status_code == 200
            ask = httpx.post(f"{host}/v1/ask", json={"question": "What makes a strong trust?"}, timeout=30)
            assert ask.status_code == 200 and ask.json()["citations"]
            refused = _search(host, MEMBERS_CODEWORD, key)
            assert refused.status_code == 503 and refused.json()["error"]["code"] == "database_unavailable"
            assert MEMBERS_DOC_ID not in refused.text
            ready = httpx.get(f"{host}/readyz", timeout=10)
            assert ready.status_code == 200 and ready.json()["database"] == "unavailable"
    finally:
        cluster["pg"].start()
    for host in (cluster["a"], cluster["b"]):
        _until(lambda h=host: _search(h, MEMBERS_CODEWORD, key).status_code == 200, 15)
        assert httpx.get(f"{host}/readyz", timeout=10).json()["database"] == "ok"


def test_two_ingests_at_once_are_serialised_by_the_database_lock(cluster, embedder):
    from cstassist.database import Database
    from cstassist.ingest import ingest
    from cstassist.settings import ChromaSettings, EmbeddingSettings, Settings

    env = cluster["env"]
    settings = Settings(
        data_dir=cluster["root"] / "c",
        corpus_dir=cluster["corpus"],
        database_url=env["CSTASSIST_DATABASE_URL"],
        chroma=ChromaSettings(url=env["CSTASSIST_CHROMA__URL"]),
        embedding=EmbeddingSettings(windows=False),
    )
    db = Database.for_settings(settings)
    finished = threading.Event()
    with db.writer_lock("ingest"):  # as another host's ingest would hold it
        worker = threading.Thread(target=lambda: (ingest(None, settings, embedder=embedder), finished.set()), daemon=True)
        worker.start()
        time.sleep(3)
        assert not finished.is_set(), "an ingest ran while another held the lock"
    worker.join(120)
    assert finished.is_set()


def test_a_backup_of_the_shared_database_restores_into_an_embedded_data_directory(cluster, tmp_path):
    from cstassist.access import KeyStore
    from cstassist.backup import backup, restore
    from cstassist.database import Database
    from cstassist.feedback import FeedbackStore
    from cstassist.settings import ChromaSettings, Settings

    env = cluster["env"]
    _, key = _new_key(cluster)
    shared = Settings(
        data_dir=cluster["root"] / "backup-host",
        corpus_dir=cluster["corpus"],
        database_url=env["CSTASSIST_DATABASE_URL"],
        chroma=ChromaSettings(url=env["CSTASSIST_CHROMA__URL"]),
    )
    snap = backup(shared, tmp_path / "snap")
    head = json.loads((snap.path / "backup.json").read_text())
    assert head["format"] == 2 and head["database_rows"] > 0 and snap.chunks > 0

    local = Settings(data_dir=tmp_path / "restored", corpus_dir=cluster["corpus"])
    restored = restore(local, snap.path)
    assert restored.chunks == snap.chunks
    db = Database.for_settings(local)
    assert KeyStore(db).verify(key).scope == "members"
    assert FeedbackStore(db).export(io.StringIO()) == FeedbackStore(Database.for_settings(shared)).export(io.StringIO())
