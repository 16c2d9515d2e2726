"""Fixtures for the API tests: one real index (the bundled corpus plus a members-only briefing), shared.

Ingest takes about 20 s, so the index, the assistant over it and a live uvicorn server are built once per
session; each test builds its own app (``TestClient``) over them, with the settings it needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from live_uvicorn import start_uvicorn
from members_doc import MEMBERS_DOC_ID, MEMBERS_MANIFEST_ENTRY, MEMBERS_TEXT
from superseded_docs import MANIFEST_ENTRIES, NEW_ID, NEW_TEXT, OLD_ID, OLD_TEXT

from cstassist.settings import LimitSettings, Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def api_corpus(tmp_path_factory) -> Path:
    """A copy of the bundled corpus with the members-only briefing and a superseded/replacement pair added."""
    dest = tmp_path_factory.mktemp("api-corpus") / "corpus"
    shutil.copytree(ROOT / "corpus", dest)
    for f in dest.iterdir():
        f.chmod(0o644)
    (dest / f"{MEMBERS_DOC_ID}.md").write_text(MEMBERS_TEXT, encoding="utf-8")
    (dest / f"{OLD_ID}.md").write_text(OLD_TEXT, encoding="utf-8")
    (dest / f"{NEW_ID}.md").write_text(NEW_TEXT, encoding="utf-8")
    manifest = dest / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.rstrip("\n") + "\n" + MEMBERS_MANIFEST_ENTRY + MANIFEST_ENTRIES, encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def api_settings(tmp_path_factory, api_corpus, embedder) -> Settings:
    """Settings over a data directory holding the ingested corpus; a rate limit no test run reaches."""
    from cstassist.ingest import ingest

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("api-data"),
        corpus_dir=api_corpus,
        limits=LimitSettings(rate_per_minute=100_000),
    )
    report = ingest([api_corpus], settings, embedder=embedder)
    assert report.ok, report.failed
    assert any(p.endswith(f"{MEMBERS_DOC_ID}.md") for p in report.added), report.added
    return settings


@pytest.fixture(scope="session")
def assistant(api_settings, embedder):
    """The real assistant (model, Chroma, BM25) over the shared index, loaded once."""
    from cstassist.assistant import Assistant

    return Assistant.open(api_settings, embedder=embedder)


@pytest.fixture(scope="session")
def make_client(api_settings, assistant) -> Iterator[Callable[..., TestClient]]:
    """``make_client(**settings_overrides)``: a started app (lifespan run) over the shared index."""
    from cstassist.api import create_app

    opened: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        fields: dict[str, Any] = {
            "data_dir": api_settings.data_dir,
            "corpus_dir": api_settings.corpus_dir,
            "limits": api_settings.limits,
        }
        settings = Settings(**{**fields, **overrides})
        client = TestClient(create_app(settings, assistant), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def client(make_client) -> TestClient:
    """An anonymous client of the app with the shared settings."""
    return make_client()


@pytest.fixture(scope="session")
def keys(api_settings):
    """The key store the app reads (same data directory), as ``cstassist keys create`` would write it."""
    from cstassist.access import KeyStore
    from cstassist.database import Database

    return KeyStore(Database.for_settings(api_settings))


@pytest.fixture(scope="session")
def member_key(keys) -> str:
    return keys.create("member-portal", "members")[1]


@pytest.fixture(scope="session")
def public_key(keys) -> str:
    return keys.create("public-site", "public")[1]


@pytest.fixture(scope="session")
def live_server(api_settings, assistant, free_port) -> Iterator[str]:
    """The app served by a real uvicorn on a free loopback port (in a thread); yields its base URL."""
    from cstassist.api import create_app

    port = free_port()
    server, thread = start_uvicorn(create_app(api_settings, assistant), port, api_settings.limits.max_header_bytes)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def serve(api_settings, assistant, free_port) -> Iterator[Callable[..., str]]:
    """``serve(**settings_overrides)``: an app over the shared index behind its own live uvicorn; its base URL."""
    from cstassist.api import create_app

    started: list[tuple[Any, threading.Thread]] = []

    def start(assistant_: Any = None, **overrides: Any) -> str:
        fields: dict[str, Any] = {"data_dir": api_settings.data_dir, "corpus_dir": api_settings.corpus_dir}
        settings = Settings(**{**fields, **overrides})
        port = free_port()
        started.append(start_uvicorn(create_app(settings, assistant_ or assistant), port, settings.limits.max_header_bytes))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in started:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def cli(api_settings) -> Callable[[list[str]], subprocess.CompletedProcess[str]]:
    """Run the ``cstassist`` command on the shared data directory (``CSTASSIST_DATA_DIR``), checking it succeeds."""
    script = Path(sys.executable).parent / "cstassist"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cstassist.cli.main"]
    env = {**os.environ, "CSTASSIST_DATA_DIR": str(api_settings.data_dir), "CSTASSIST_CORPUS_DIR": str(api_settings.corpus_dir)}

    def run(args: list[str]) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(command + args, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (args, done.returncode, done.stderr[-2000:])
        return done

    return run


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Debian's headless Chromium driven by playwright, one per test module (playwright's own download cannot run here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test-deps, or apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
