"""`cstassist loadtest`: a bounded load test against a running service on loopback.

Mixes search, ask and streaming ask at a fixed concurrency for a fixed time (round-robin over several
``--url`` values, to load a set of hosts without a balancer), then reports requests/s,
p50/p95 latency per kind, status counts and errors (any 5xx or transport failure). 429s from the rate
limiter are counted separately: they are the service protecting itself, not errors.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from urllib.parse import urlparse

QUESTIONS = [
    "What makes a strong trust?",
    "How should the board review the chief executive's performance?",
    "What are the five domains of a strong trust?",
    "What is civic leadership for a school trust?",
    "How does CST support governance professionals?",
    "What did CST achieve in its first year?",
    "What is the capital of France?",
]


async def _worker(client, bases: Iterator[str], deadline: float, stats: dict, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    while time.perf_counter() < deadline:
        base = next(bases)
        kind = rng.choice(["search", "ask", "stream"])
        q = rng.choice(QUESTIONS)
        started = time.perf_counter()
        try:
            if kind == "search":
                r = await client.post(f"{base}/v1/search", json={"query": q, "k": 5})
            elif kind == "ask":
                r = await client.post(f"{base}/v1/ask", json={"question": q})
            else:
                async with client.stream("POST", f"{base}/v1/ask", json={"question": q, "stream": True}) as r:
                    body = b"".join([chunk async for chunk in r.aiter_bytes()])
                    if r.status_code == 200 and b"event: done" not in body:
                        stats["errors"].append(f"{kind}: stream ended without a done event")
            status = r.status_code
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            stats["errors"].append(f"{kind}: {type(exc).__name__}: {exc}")
            continue
        elapsed = (time.perf_counter() - started) * 1000
        stats["status"][status] += 1
        if status >= 500:
            stats["errors"].append(f"{kind}: HTTP {status}")
        elif status == 200:
            stats["latency"][kind].append(elapsed)


async def run(url: str | list[str], concurrency: int, seconds: float, key: str | None, seed: int = 1) -> dict:  # type: ignore[type-arg]
    import httpx

    urls = [url] if isinstance(url, str) else list(url)
    for u in urls:
        host = urlparse(u).hostname or ""
        if not (host == "localhost" or host.startswith("127.") or host == "::1"):
            raise SystemExit("cstassist loadtest only targets loopback addresses (127.0.0.0/8, localhost, ::1)")
    bases = itertools.cycle([u.rstrip("/") for u in urls])
    stats: dict = {"status": Counter(), "latency": defaultdict(list), "errors": []}
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, headers=headers, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + seconds
        rng = random.Random(seed)
        await asyncio.gather(*[_worker(client, bases, deadline, stats, random.Random(rng.random())) for _ in range(concurrency)])
        wall = time.perf_counter() - started
    total = sum(stats["status"].values())

    def pct(xs: list[float], p: float) -> float | None:
        return round(statistics.quantiles(xs, n=100)[int(p) - 1], 1) if len(xs) >= 2 else None

    return {
        "url": url if isinstance(url, str) else ",".join(urls),
        "concurrency": concurrency,
        "seconds": round(wall, 1),
        "requests": total,
        "requests_per_s": round(total / wall, 1),
        "status": dict(stats["status"]),
        "rate_limited": stats["status"].get(429, 0),
        "errors": len(stats["errors"]),
        "error_samples": stats["errors"][:5],
        "latency_ms": {k: {"p50": pct(v, 50), "p95": pct(v, 95), "n": len(v)} for k, v in stats["latency"].items()},
    }


def cmd_loadtest(args: argparse.Namespace) -> int:
    result = asyncio.run(run(args.url or ["http://127.0.0.1:8000"], args.concurrency, args.seconds, args.key))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['requests']} requests in {result['seconds']} s at concurrency {result['concurrency']}: "
            f"{result['requests_per_s']} req/s, {result['errors']} errors, {result['rate_limited']} rate-limited (429)"
        )
        for kind, lat in sorted(result["latency_ms"].items()):
            print(f"  {kind:<7} p50 {lat['p50']} ms  p95 {lat['p95']} ms  (n={lat['n']})")
        for e in result["error_samples"]:
            print(f"  error: {e}", file=sys.stderr)
    return 1 if result["errors"] else 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("loadtest", help="bounded load test (search, ask, streaming) against a service on loopback")
    p.add_argument(
        "--url", action="append", help="service base URL (default http://127.0.0.1:8000); repeat it to round-robin over hosts"
    )
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--key", default=None, help="API key to send (e.g. a member key with a high rate limit)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_loadtest)
