"""Throughput as a user's load tool sees it: wrk (Debian's ``wrk`` package) POSTing real questions.

``run`` writes a Lua script that cycles through the questions (each connection starting at another one), runs
``wrk --latency`` for the given time and concurrency, and reads requests/s, latency percentiles and failures
(socket errors, timeouts, non-2xx answers) from its report.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

LUA = """
local questions = {%(questions)s}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
setup = function(thread) n = n + 1; thread:set("offset", n * 37) end
request = function()
  offset = offset + 1
  return wrk.format(nil, "%(path)s", nil, questions[(offset %% #questions) + 1])
end
"""
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


class WrkMissing(RuntimeError):
    pass


def available() -> bool:
    return shutil.which("wrk") is not None


def ensure() -> None:
    """wrk on the PATH, installed with apt-get when run as root; otherwise ``WrkMissing`` saying how."""
    if available():
        return
    import os

    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, env=env, capture_output=True)
        if not available():
            subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, env=env, capture_output=True)
    if not available():
        raise WrkMissing("wrk is not installed (apt-get install -y wrk); the wrk throughput figures are left out")


def _lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def script(path: str, field: str, queries: list[str], extra: dict[str, Any] | None = None) -> str:
    bodies = [json.dumps({field: q, **(extra or {})}) for q in queries]
    return LUA % {"questions": ", ".join(_lua_string(b) for b in bodies), "path": path}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    return round(float(m.group(1)) * _UNITS[m.group(2)], 2) if m else float("nan")


def parse(out: str) -> dict[str, Any]:
    """requests/s, p50/p90/p99 latency (ms), requests, socket errors and non-2xx answers from wrk's report."""
    result: dict[str, Any] = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    result["requests_per_s"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    result["requests"] = int(m.group(1)) if m else None
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        result[f"p{pct}_ms"] = _ms(m.group(1)) if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = int(m.group(1)) if m else 0
    result["errors"] = result["socket_errors"] + result["non_2xx"]
    return result


def run(
    base: str, path: str, field: str, queries: list[str], concurrency: int, seconds: float, threads: int = 2
) -> dict[str, Any]:
    """wrk against ``base + path`` at ``concurrency`` connections for ``seconds``; the parsed report."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script(path, field, queries, {"k": 5}))
        lua = Path(f.name)
    try:
        done = subprocess.run(
            [
                "wrk",
                f"-t{min(threads, concurrency)}",
                f"-c{concurrency}",
                f"-d{max(1, round(seconds))}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                str(lua),
                base,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        lua.unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed (exit {done.returncode}): {done.stderr.strip()[:200]}")
    return {"concurrency": concurrency, "seconds": seconds, **parse(done.stdout)}
