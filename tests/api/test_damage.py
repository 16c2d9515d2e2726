"""A lost or damaged database and a damaged vector index are refused, each in one line (issue 18, finding 5).

Real files throughout: a real ingest, the real SQLite file truncated, deleted or overwritten, a real Chroma
segment deleted, the real ``cstassist`` command, and /readyz over real HTTP."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from live_uvicorn import start_uvicorn

from cstassist.database import SQLITE_NAME
from cstassist.settings import Settings

PAPER = """# Board meetings

Trust boards meet at least three times a year and keep minutes of every meeting.
The chair sets the agenda with the governance professional.
"""


def _cstassist(data_dir: Path, *args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSTASSIST_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "cstassist.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def _one_line_refusal(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode != 0, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, embedder) -> Settings:
    """A small real index and its backup, kept pristine: each test works on a copy."""
    from cstassist.backup import backup
    from cstassist.ingest import ingest

    folder = tmp_path_factory.mktemp("damage-corpus")
    (folder / "board-meetings.md").write_text(PAPER)
    settings = Settings(data_dir=tmp_path_factory.mktemp("damage-data") / "data", corpus_dir=folder)
    assert ingest([folder], settings, embedder=embedder).ok
    backup(settings, settings.data_dir.parent / "backup")
    return settings


@pytest.fixture
def copy(ingested, tmp_path) -> Settings:
    shutil.copytree(ingested.data_dir, tmp_path / "data")
    return Settings(data_dir=tmp_path / "data", corpus_dir=ingested.corpus_dir)


def _drop_database(data_dir: Path, how: str) -> None:
    for suffix in ("-wal", "-shm"):
        (data_dir / (SQLITE_NAME + suffix)).unlink(missing_ok=True)
    path = data_dir / SQLITE_NAME
    if how == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()


@pytest.mark.parametrize("how", ["empty", "missing"])
def test_a_lost_database_beside_a_non_empty_index_stops_start_up_and_a_restore_fixes_it(copy, ingested, how):
    _drop_database(copy.data_dir, how)
    line = _one_line_refusal(_cstassist(copy.data_dir, "serve", "--port", "1"), "missing or empty", "cstassist restore")
    assert "passages" in line
    # it stays refused: the first refusal did not leave a fresh, empty ledger behind that the next start accepts
    _one_line_refusal(_cstassist(copy.data_dir, "db", "check"), "missing or empty")
    status = _cstassist(copy.data_dir, "db", "status")
    assert status.returncode == 2 and "cstassist restore" in status.stderr, (status.stdout, status.stderr)
    restored = _cstassist(copy.data_dir, "restore", str(ingested.data_dir.parent / "backup"), "--force")
    assert restored.returncode == 0, restored.stderr
    checked = _cstassist(copy.data_dir, "db", "check")
    assert checked.returncode == 0 and "ok" in checked.stdout, (checked.stdout, checked.stderr)


def test_db_help_says_how_to_restore(tmp_path):
    done = _cstassist(tmp_path, "db", "--help")
    assert "cstassist restore BACKUP_FOLDER --force" in " ".join(done.stdout.split())


def _corrupt_a_table_page(path: Path) -> None:
    """Overwrite the root page of the ledger's table with garbage, leaving the file header intact."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'documents'").fetchone()[0]
    with path.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xee" * page_size)


def test_page_corruption_is_reported_not_called_ok(copy):
    _corrupt_a_table_page(copy.data_dir / SQLITE_NAME)
    _one_line_refusal(_cstassist(copy.data_dir, "db", "check"), "damaged", "cstassist restore")
    _one_line_refusal(_cstassist(copy.data_dir, "serve", "--port", "1"), "damaged", "cstassist restore")


def test_header_corruption_fails_closed_in_one_line(copy, ingested):
    path = copy.data_dir / SQLITE_NAME
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with path.open("r+b") as fh:
        fh.write(os.urandom(100))
    for command in (["serve", "--port", "1"], ["db", "status"], ["keys", "list"], ["search", "board meetings"]):
        _one_line_refusal(_cstassist(copy.data_dir, *command), "damaged")
    restored = _cstassist(copy.data_dir, "restore", str(ingested.data_dir.parent / "backup"), "--force")
    assert restored.returncode == 0, restored.stderr
    assert list(copy.data_dir.glob(f"{SQLITE_NAME}.damaged-*")), "the damaged file is kept, renamed"


BUILD_LARGE = """
import sys
import numpy as np
from cstassist.index import Index
from cstassist.settings import Settings

index = Index(Settings(data_dir=sys.argv[1]))
rng = np.random.default_rng(7)
vectors = rng.normal(size=(2500, 384)).astype(np.float32)
vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
metas = [{"document_id": f"d{i % 25}", "audience": "public", "title": f"Paper {i % 25}"} for i in range(2500)]
index.store.upsert([f"c{i}" for i in range(2500)], vectors, [f"passage {i} on board meetings" for i in range(2500)], metas)
index.ledger.bump_generation()
"""


@pytest.fixture
def large_index(tmp_path) -> Settings:
    """2,500 passages: past Chroma's sync threshold (1,000), so the HNSW segment is on disk, not only in its log.
    Written by another process, as ingest would, so this one has nothing of it in memory."""
    settings = Settings(data_dir=tmp_path / "large")
    done = subprocess.run([sys.executable, "-c", BUILD_LARGE, str(settings.data_dir)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return settings


def _segment(settings: Settings) -> Path:
    segments = [p for p in settings.chroma_path.iterdir() if p.is_dir() and (p / "header.bin").exists()]
    assert len(segments) == 1, segments
    return segments[0]


@pytest.mark.parametrize("damage", ["deleted segment", "garbled header", "truncated data"])
def test_a_damaged_vector_index_stops_start_up(large_index, damage):
    assert _cstassist(large_index.data_dir, "db", "check").returncode == 0
    segment = _segment(large_index)
    if damage == "deleted segment":
        shutil.rmtree(segment)
    elif damage == "garbled header":
        (segment / "header.bin").write_bytes(os.urandom(100))
    else:
        with (segment / "data_level0.bin").open("r+b") as fh:
            fh.truncate(1000)
    _one_line_refusal(_cstassist(large_index.data_dir, "serve", "--port", "1"), "collection", "cstassist restore")


def _readyz(settings: Settings, embedder, free_port, between=None):  # type: ignore[no-untyped-def]
    """/readyz of a live service over ``settings`` (opened in-process, as a service that skipped the start-up check
    would be), before and after ``between`` runs."""
    from cstassist.api import create_app
    from cstassist.assistant import Assistant

    assistant = Assistant.open(settings, embedder=embedder)
    assistant.index.health_ttl_s = 0.0  # check on every /readyz, not every 30 s
    assistant.index.db.integrity_ttl_s = 0.0
    port = free_port()
    server, thread = start_uvicorn(create_app(settings, assistant), port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            before = http.get("/readyz")
            if between:
                between()
            return before, http.get("/readyz")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_readyz_is_not_ready_over_a_deleted_vector_segment(large_index, embedder, free_port):
    shutil.rmtree(_segment(large_index))
    r, _ = _readyz(large_index, embedder, free_port)
    assert r.status_code == 503 and r.json() == {"status": "not ready", "database": "ok", "index": "damaged"}, r.text


def test_readyz_reports_a_database_page_corrupted_while_serving(copy, embedder, free_port):
    before, after = _readyz(copy, embedder, free_port, lambda: _corrupt_a_table_page(copy.data_dir / SQLITE_NAME))
    assert before.status_code == 200 and before.json()["database"] == "ok", before.text
    assert after.status_code == 503 and after.json()["database"] != "ok", after.text


def test_readyz_says_an_empty_index_holds_no_documents(tmp_path, embedder, free_port):
    """Issue 18, newcomer finding 11: a mistyped CSTASSIST_DATA_DIR gave an empty index that only ever answered
    "nothing relevant"; /readyz now says why it is not ready."""
    r, _ = _readyz(Settings(data_dir=tmp_path / "typo"), embedder, free_port)
    assert r.status_code == 503, r.text
    assert r.json()["status"] == "not ready" and "holds no documents" in r.json()["reason"], r.text
