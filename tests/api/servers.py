"""Real servers for the multi-host tests: PostgreSQL from the machine's Debian packages (initdb / pg_ctl in
a temporary directory, run as a non-root user: PostgreSQL refuses root), `chroma run`, and `cstassist serve`."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("CSTASSIST_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
VENV_BIN = Path(sys.executable).parent


def _wait_http(url: str, proc: subprocess.Popen | None, what: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{what} exited at start (code {proc.returncode})") from None
            time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer {url} in {timeout:.0f} s")


class PostgresServer:
    """A throwaway PostgreSQL cluster on a loopback port, trust auth, fsync off (tests only)."""

    def __init__(self, port: int) -> None:
        if not (PG_BIN / "initdb").exists():
            pytest.skip(f"PostgreSQL binaries not found in {PG_BIN} (make test-deps installs postgresql-15)")
        self.port = port
        self.user = "postgres" if os.geteuid() == 0 else None  # PostgreSQL will not run as root
        self.root = Path(tempfile.mkdtemp(prefix="cstassist-pg-"))
        self.data = self.root / "data"
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run([PG_BIN / "initdb", "-D", self.data, "-U", "cstassist", "--auth=trust", "-E", "UTF8", "--no-sync"])

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://cstassist@127.0.0.1:{self.port}/postgres"

    def _run(self, args: list) -> None:  # type: ignore[type-arg]
        done = subprocess.run([str(a) for a in args], user=self.user, capture_output=True, text=True, timeout=120, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout[-1500:]} {done.stderr[-1500:]}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        self._run([PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "log", "-w", "-t", "60", "start"])

    def stop(self) -> None:
        self._run([PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop"])

    def destroy(self) -> None:
        try:
            self.stop()
        except RuntimeError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


class ChromaServer:
    def __init__(self, path: Path, port: int) -> None:
        self.path, self.port = path, port
        exe = VENV_BIN / "chroma"
        self.proc = subprocess.Popen(
            [str(exe) if exe.exists() else "chroma", "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_http(self.url + "/api/v2/heartbeat", self.proc, "chroma run")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def cstassist(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the ``cstassist`` command with ``env`` (not checked: the caller looks at the exit code)."""
    exe = VENV_BIN / "cstassist"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "cstassist.cli.main"]
    return subprocess.run(command + args, env=env, capture_output=True, text=True, timeout=timeout)


class ServeProcess:
    """``cstassist serve`` as its own process (a host), ready when /readyz answers 200."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        exe = VENV_BIN / "cstassist"
        command = [str(exe)] if exe.exists() else [sys.executable, "-m", "cstassist.cli.main"]
        self.url = f"http://127.0.0.1:{port}"
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            command + ["serve", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        _wait_http(self.url + "/readyz", self.proc, f"cstassist serve on {port}", timeout=120)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()
