"""The service over real HTTP on loopback: cold start, sequential latency, load at a fixed concurrency, memory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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


@contextlib.contextmanager
def started(cmd: list[str], env: dict[str, str], log: Path, port: int) -> Iterator[tuple[str, subprocess.Popen, float]]:  # type: ignore[type-arg]
    """Run ``cmd`` (a server on ``port``) until it answers /readyz 200; yields (base URL, process, seconds it took to
    be ready), and stops it afterwards."""
    import httpx

    base = f"http://127.0.0.1:{port}"
    with open(log, "w") as log_file:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            with httpx.Client(timeout=30) as client:
                while True:
                    if proc.poll() is not None:
                        raise RuntimeError(f"the service exited at start (see {log})")
                    if time.perf_counter() - t0 > 300:
                        raise RuntimeError(f"the service was not ready after 300 s (see {log})")
                    try:
                        if client.get(f"{base}/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.05)
            yield base, proc, time.perf_counter() - t0
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def service_env(data_dir: Path, backend: str) -> dict[str, str]:
    """``cstassist serve``'s environment for a benchmark: no rate limit and no cap on connections per client (the
    load generator is one client on loopback; both protect a real service from one caller)."""
    return {
        **os.environ,
        **OFFLINE_ENV,
        "CSTASSIST_DATA_DIR": str(data_dir),
        "CSTASSIST_EMBEDDING__BACKEND": backend,
        "CSTASSIST_LIMITS__RATE_PER_MINUTE": "100000000",
        "CSTASSIST_LIMITS__MAX_CONNECTIONS_PER_CLIENT": "100000",
    }


def our_service(data_dir: Path, backend: str, log: Path):  # type: ignore[no-untyped-def]
    port = free_port()
    return started([sys.executable, "-m", "benchmarks.serve", "--port", str(port)], service_env(data_dir, backend), log, port)


def measure_service(
    data_dir: Path, backend: str, queries: list[str], seconds: float, concurrency: int, log: Path
) -> dict[str, Any]:
    """Start the service on ``data_dir``, wait for /readyz, then measure; the service is stopped afterwards."""
    import httpx

    from cstassist.cli.loadtest import run as loadtest

    from .scale import narrowings

    result: dict[str, Any] = {"backend": backend, "loadavg": [loadavg()]}
    narrowing = narrowings(data_dir)  # read before the service opens the index: one process at a time
    with our_service(data_dir, backend, log) as (base, proc, ready_s):
        result["cold_start_s"] = round(ready_s, 2)
        result["rss_after_start_mb"] = round(_memory_kb(proc.pid)["VmRSS"] / 1024, 1)
        with httpx.Client(timeout=30) as client:
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
            if narrowing:
                samples, errors = [], 0
                for i, q in enumerate(queries):
                    s = time.perf_counter()
                    r = client.post(f"{base}/v1/search", json={"query": q, "k": 5, "filters": narrowing[i % len(narrowing)]})
                    samples.append((time.perf_counter() - s) * 1000)
                    errors += r.status_code != 200
                result["filtered_search_ms"] = {**latency_ms(samples), "errors": errors, "narrowings": narrowing}
        result["load"] = asyncio.run(loadtest(base, concurrency, seconds, None))
        mem = _memory_kb(proc.pid)
        result["peak_rss_mb"] = round(mem["VmHWM"] / 1024, 1)
    result["loadavg"].append(loadavg())
    return result
