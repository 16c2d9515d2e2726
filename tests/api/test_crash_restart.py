"""kill -9 of the service under load loses nothing: after a restart it is ready, gives the same results,
and every document it had acknowledged is still retrievable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from cstassist.ingest import ingest

pytestmark = pytest.mark.slow
QUERIES = ["five domains of a strong trust", "chief executive performance review", "civic leadership narrative"]


def _serve(data_dir, port: int) -> subprocess.Popen:  # type: ignore[type-arg]
    env = {**os.environ, "CSTASSIST_DATA_DIR": str(data_dir), "CSTASSIST_LIMITS__RATE_PER_MINUTE": "100000"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cstassist.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, "the service exited during start-up"
        time.sleep(0.3)
    proc.kill()
    raise AssertionError("the service did not become ready in 90 s")


def _snapshot(base: str) -> list[list[str]]:
    return [
        [r["chunk_id"] for r in httpx.post(f"{base}/v1/search", json={"query": q, "k": 5}).json()["results"]] for q in QUERIES
    ]


def test_the_service_killed_under_load_restarts_with_the_same_index(make_settings, embedder, free_port):
    settings = make_settings()
    ingest(None, settings, embedder=embedder)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(settings.data_dir, port)
    try:
        before = _snapshot(base)
        documents = httpx.get(f"{base}/v1/documents").json()["documents"]
        stop = threading.Event()
        answered = []

        def load() -> None:
            with httpx.Client(timeout=5) as client:
                while not stop.is_set():
                    try:
                        answered.append(
                            client.post(f"{base}/v1/ask", json={"question": "What makes a strong trust?"}).status_code
                        )
                    except httpx.HTTPError:
                        pass

        workers = [threading.Thread(target=load) for _ in range(4)]
        for w in workers:
            w.start()
        time.sleep(2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        stop.set()
        for w in workers:
            w.join(10)
        assert answered and set(answered) == {200}, "requests answered before the kill must have succeeded"

        proc = _serve(settings.data_dir, port)
        assert _snapshot(base) == before
        for doc in documents:
            hits = httpx.post(
                f"{base}/v1/search", json={"query": doc["title"], "k": 1, "filters": {"document_id": doc["document_id"]}}
            ).json()
            assert hits["results"], f"{doc['document_id']} is no longer retrievable"
    finally:
        proc.kill()
        proc.wait(10)
