"""Throughput with wrk: ours and the tutorial stack's retriever behind FastAPI, side by side in the same call.

On the bundled corpus: ``/v1/search`` of our service against the tutorial retriever (``benchmarks.tutorial_server``)
at each concurrency, and the ratio; our ``/v1/ask`` beside it. On the large index: our ``/v1/search`` and
``/v1/ask``. Each server runs alone on the machine while it is measured (started, measured, stopped), one worker
each, loopback, the rate limit and the per-client connection cap lifted for ours (one wrk is one client).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from . import wrk
from .serving import free_port, our_service, started
from .stats import OFFLINE_ENV, loadavg


def _wrk_all(base: str, paths: list[tuple[str, str, str]], queries: list[str], levels: list[int], seconds: float) -> dict:  # type: ignore[type-arg]
    out: dict[str, Any] = {}
    for name, path, field in paths:
        wrk.run(base, path, field, queries, levels[0], min(5.0, seconds))  # warm-up: the model, caches, connections
        out[name] = [{**wrk.run(base, path, field, queries, c, seconds), "loadavg": loadavg()} for c in levels]
    return out


def measure(
    bundled_data: Path, bundled_corpus: Path, scaled_data: Path | None, backend: str, queries: list[str],
    levels: list[int], seconds: float, work: Path,
) -> dict[str, Any]:  # fmt: skip
    wrk.ensure()
    ours = [("search", "/v1/search", "query"), ("ask", "/v1/ask", "question")]
    result: dict[str, Any] = {"levels": levels, "seconds": seconds, "backend": backend}
    with our_service(bundled_data, backend, work / "wrk-ours-bundled.log") as (base, _, _):
        result["bundled_ours"] = _wrk_all(base, ours, queries, levels, seconds)
    port = free_port()
    cmd = [sys.executable, "-m", "benchmarks.tutorial_server", "--port", str(port), str(bundled_corpus)]
    with started(cmd, {**__import__("os").environ, **OFFLINE_ENV}, work / "wrk-tutorial.log", port) as (base, _, _):
        result["bundled_tutorial"] = _wrk_all(base, ours[:1], queries, levels, seconds)
    if scaled_data is not None:
        with our_service(scaled_data, backend, work / "wrk-ours-scaled.log") as (base, _, _):
            result["scaled_ours"] = _wrk_all(base, ours, queries, levels, seconds)
    result["search_ratio"] = [
        round(o["requests_per_s"] / t["requests_per_s"], 2) if t["requests_per_s"] else None
        for o, t in zip(result["bundled_ours"]["search"], result["bundled_tutorial"]["search"])
    ]
    return result
