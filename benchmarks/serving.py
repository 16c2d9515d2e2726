"""The service over real HTTP on loopback: cold start, sequential latency, load at a fixed concurrency, memory."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .stats import OFFLINE_ENV, latency_ms, loadavg

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory_kb(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0])
    return out


def measure_service(
    data_dir: Path, backend: str, queries: list[str], seconds: float, concurrency: int, log: Path
) -> dict[str, Any]:
    """Start the service on ``data_dir``, wait for /readyz, then measure; the service is stopped afterwards."""
    import httpx

    from cstassist.cli.loadtest import run as loadtest

    port = free_port()
    env = {
        **os.environ,
        **OFFLINE_ENV,
        "CSTASSIST_DATA_DIR": str(data_dir),
        "CSTASSIST_EMBEDDING__BACKEND": backend,
        "CSTASSIST_LIMITS__RATE_PER_MINUTE": "100000000",
    }
    base = f"http://127.0.0.1:{port}"
    result: dict[str, Any] = {"backend": backend, "loadavg": [loadavg()]}
    with open(log, "w") as log_file:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            with httpx.Client(timeout=30) as client:
                while True:
                    if proc.poll() is not None:
                        raise RuntimeError(f"the service exited at start (see {log})")
                    if time.perf_counter() - started > 180:
                        raise RuntimeError(f"the service was not ready after 180 s (see {log})")
                    try:
                        if client.get(f"{base}/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.05)
                result["cold_start_s"] = round(time.perf_counter() - started, 2)
                result["rss_after_start_mb"] = round(_memory_kb(proc.pid)["VmRSS"] / 1024, 1)

                for q in queries[:5]:  # warm-up
                    client.post(f"{base}/v1/search", json={"query": q, "k": 5})
                    client.post(f"{base}/v1/ask", json={"question": q, "k": 5})
                for kind, path, field in (("search", "/v1/search", "query"), ("ask", "/v1/ask", "question")):
                    samples, errors = [], 0
                    for q in queries:
                        s = time.perf_counter()
                        r = client.post(f"{base}{path}", json={field: q, "k": 5})
                        samples.append((time.perf_counter() - s) * 1000)
                        errors += r.status_code != 200
                    result[f"{kind}_ms"] = {**latency_ms(samples), "errors": errors}

            result["load"] = asyncio.run(loadtest(base, concurrency, seconds, None))
            mem = _memory_kb(proc.pid)
            result["peak_rss_mb"] = round(mem["VmHWM"] / 1024, 1)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    result["loadavg"].append(loadavg())
    return result
