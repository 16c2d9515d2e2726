"""The staff console on several hosts: two `cstassist serve` processes share one real PostgreSQL server, one real
`chroma run` server and one uploads folder. A paper uploaded through one host is answered by the other, its job
can be followed from either, two uploads at once (one per host) are serialised by the database's advisory lock
and both land, and a console session signed in on one host is honoured by the other.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest
from admin_console import ESTATES_QUESTION, WELLBEING_QUESTION, estates_pdf, wellbeing_docx
from servers import ChromaServer, PostgresServer, ServeProcess, cstassist

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, free_port):
    root = tmp_path_factory.mktemp("admin-multi-host")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "what-is-a-strong-trust-2022.md", corpus)
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
        "CSTASSIST_ADMIN__UPLOADS_DIR": str(root / "shared-uploads"),  # a folder every host can read
    }
    hosts: list[ServeProcess] = []
    try:
        a_env = {**env, "CSTASSIST_DATA_DIR": str(root / "a")}
        for args in (["db", "upgrade"], ["ingest"]):
            done = cstassist(args, a_env)
            assert done.returncode == 0, done.stderr[-2000:]
        made = cstassist(["keys", "create", "--name", "ops-team", "--scope", "admin"], a_env)
        assert made.returncode == 0, made.stderr
        for name in ("a", "b"):
            hosts.append(ServeProcess({**env, "CSTASSIST_DATA_DIR": str(root / name)}, free_port(), root / f"serve-{name}.log"))
        yield {"a": hosts[0].url, "b": hosts[1].url, "key": made.stdout.strip().splitlines()[-1], "root": root}
    finally:
        for h in hosts:
            h.stop()
        chroma.stop()
        pg.destroy()


def staff(cluster, host: str) -> httpx.Client:
    return httpx.Client(base_url=cluster[host], headers={"Authorization": f"Bearer {cluster['key']}"}, timeout=60)


def upload(client: httpx.Client, path: Path, **fields: str) -> str:
    with path.open("rb") as fh:
        reply = client.post("/v1/admin/documents", files={"file": (path.name, fh)}, data=fields)
    assert reply.status_code == 202, reply.text
    return reply.json()["job_id"]


def wait(client: httpx.Client, job_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/admin/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} not finished in {timeout:.0f} s")


def cited_on(url: str, question: str) -> list[str]:
    reply = httpx.post(f"{url}/v1/ask", json={"question": question}, timeout=60).json()
    return [c["document_id"] for c in reply["citations"]]


def until(check, seconds: float) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.25)
    raise AssertionError(f"not true within {seconds} s")


def test_a_paper_uploaded_through_one_host_is_answered_by_the_other(cluster, tmp_path):
    assert "lanternfield-estates-2026" not in cited_on(cluster["b"], ESTATES_QUESTION)
    with staff(cluster, "a") as a, staff(cluster, "b") as b:
        job_id = upload(a, estates_pdf(tmp_path / "lanternfield-estates-2026.pdf"), title="The Lanternfield protocol")
        job = wait(b, job_id)  # the job is followed from the other host
        assert job["status"] == "done", job
        took = until(lambda: cited_on(cluster["b"], ESTATES_QUESTION)[:1] == ["lanternfield-estates-2026"], 15)
        print(f"answered on the other host {took:.1f} s after the upload's job finished")
        listed = {d["document_id"]: d for d in b.get("/v1/admin/documents").json()["documents"]}
        assert listed["lanternfield-estates-2026"]["status"] == "indexed" and listed["lanternfield-estates-2026"]["uploaded"]
    assert list((cluster["root"] / "shared-uploads" / "lanternfield-estates-2026").glob("*.pdf"))


def test_two_uploads_at_once_on_two_hosts_are_serialised_and_both_land(cluster, tmp_path):
    jobs: dict[str, str] = {}
    papers = {"a": wellbeing_docx(tmp_path / "heronsgate-charter.docx"), "b": estates_pdf(tmp_path / "lanternfield-annex.pdf")}

    def send(host: str) -> None:
        with staff(cluster, host) as client:
            jobs[host] = upload(client, papers[host])

    threads = [threading.Thread(target=send, args=(h,)) for h in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with staff(cluster, "a") as a:
        assert [wait(a, jobs[h])["status"] for h in ("a", "b")] == ["done", "done"]
        listed = {d["document_id"]: d for d in a.get("/v1/admin/documents").json()["documents"]}
        for doc_id in ("heronsgate-charter", "lanternfield-annex"):
            passages = a.get(f"/v1/admin/documents/{doc_id}/passages").json()["passages"]
            assert listed[doc_id]["status"] == "indexed" and listed[doc_id]["chunks"] == len(passages) > 0
    for host in ("a", "b"):
        until(lambda h=host: "heronsgate-charter" in cited_on(cluster[h], WELLBEING_QUESTION), 15)


def test_a_console_session_signed_in_on_one_host_works_on_the_other(cluster):
    signed = httpx.post(f"{cluster['a']}/v1/admin/session", json={"key": cluster["key"]}, timeout=30)
    assert signed.status_code == 200, signed.text
    reply = httpx.get(f"{cluster['b']}/v1/admin/documents", cookies=signed.cookies, timeout=30)
    assert reply.status_code == 200 and reply.json()["documents"]
    retire = httpx.post(
        f"{cluster['b']}/v1/admin/documents/lanternfield-annex/retire",
        cookies=signed.cookies,
        headers={"X-CSRF-Token": signed.json()["csrf"], "Origin": cluster["b"]},
        timeout=30,
    )
    assert retire.status_code == 202, retire.text
    with staff(cluster, "a") as a:
        assert wait(a, retire.json()["job_id"])["status"] == "done"
        entries = a.get("/v1/admin/audit").json()["entries"]
    assert ("retire", "lanternfield-annex") in {(e["action"], e["target"]) for e in entries}
