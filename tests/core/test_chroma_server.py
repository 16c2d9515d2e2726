"""Server mode: a real `chroma run` on loopback behind CSTASSIST_CHROMA__URL, so several API workers
can share one index. Ingest, search and ask go through it, and the index survives a server restart
with thousands of items in the collection (chromadb has an open report of HNSW failing to load after
a restart past ~1,000 items)."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from cstassist.assistant import Assistant
from cstassist.ingest import ingest
from cstassist.settings import ChromaSettings
from cstassist.store import ChromaStore

pytestmark = pytest.mark.slow
CHROMA = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "chroma"


class ChromaServer:
    def __init__(self, path: Path, port: int) -> None:
        self.path = path
        self.port = port
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        exe = str(CHROMA) if CHROMA.exists() else "chroma"
        self.proc = subprocess.Popen(
            [exe, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/api/v2/heartbeat", timeout=1).read()
                return
            except OSError:
                assert self.proc.poll() is None, "chroma run exited at start"
                time.sleep(0.3)
        raise RuntimeError("chroma run did not answer in 60 s")

    def stop(self, kill: bool = False) -> None:
        assert self.proc is not None
        self.proc.kill() if kill else self.proc.terminate()
        self.proc.wait(30)


@pytest.fixture
def chroma_server(tmp_path, free_port):
    server = ChromaServer(tmp_path / "chroma-server", free_port())
    server.start()
    yield server
    if server.proc and server.proc.poll() is None:
        server.stop()


def test_ingest_search_and_ask_work_through_a_chroma_server(chroma_server, make_settings, embedder):
    settings = make_settings(chroma=ChromaSettings(url=chroma_server.url))
    report = ingest(None, settings, embedder=embedder)
    assert report.ok and report.chunks_total > 50
    assert not settings.chroma_path.exists(), "server mode must not create an embedded store"

    assistant = Assistant.open(settings, embedder=embedder)
    hits = assistant.search("five domains of effective trusts")
    assert hits[0].document_id == "what-is-a-strong-trust-2022"
    reply = assistant.ask("How should the board review the chief executive's performance?")
    assert not reply.answer.abstained and reply.answer.citations

    again = ingest(None, settings, embedder=embedder)
    assert len(again.unchanged) == len(report.added) and again.chunks_written == 0


@pytest.mark.parametrize("kill", [False, True], ids=["clean-stop", "kill-9"])
def test_an_index_of_thousands_of_items_loads_after_a_server_restart(chroma_server, make_settings, kill):
    settings = make_settings(chroma=ChromaSettings(url=chroma_server.url))
    store = ChromaStore(settings)
    rng = np.random.default_rng(7)
    n = 6000
    vectors = rng.normal(size=(n, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"item-{i}" for i in range(n)]
    metas = [{"document_id": f"doc-{i // 100}", "audience": "members" if i % 10 == 0 else "public"} for i in range(n)]
    store.upsert(ids, vectors, [f"text {i}" for i in range(n)], metas)
    probe = [17, 2500, 5999]
    before = [store.query(vectors[i], 3, ("public", "members"))[0][0] for i in probe]
    assert before == [ids[i] for i in probe]

    chroma_server.stop(kill=kill)
    chroma_server.start()
    reopened = ChromaStore(settings)
    assert reopened.count() == n
    after = [reopened.query(vectors[i], 3, ("public", "members"))[0][0] for i in probe]
    assert after == before
    assert reopened.query(vectors[2500], 3, ("public",))[0][0] != ids[2500], "a members item answered a public-only query"
