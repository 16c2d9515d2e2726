"""`make audit` (tools/audit.py) must not report "no known vulnerabilities" when it audited nothing."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_audit_fails_loudly_when_the_vulnerability_service_is_unreachable(tmp_path):
    if importlib.util.find_spec("pip_audit") is None:
        pytest.fail("pip-audit is missing: make test-deps installs requirements-audit.lock")
    lock = tmp_path / "requirements.lock"
    lock.write_text("fastapi==0.165.0\nuvicorn==0.54.0\n")
    # a proxy on a closed loopback port: the service is unreachable wherever the test runs
    closed = "http://127.0.0.1:9"
    env = {**os.environ, "HTTPS_PROXY": closed, "HTTP_PROXY": closed, "https_proxy": closed, "http_proxy": closed}
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "audit.py"), str(lock)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "nothing was audited" in done.stderr.lower()
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr  # one line, no traceback
    assert "no known vulnerabilities" not in done.stdout.lower()
