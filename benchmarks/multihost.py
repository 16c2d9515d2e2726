"""One API host against two, on this machine: PostgreSQL + `chroma run` + N `cstassist serve` processes,
loaded by `cstassist loadtest` (concurrency 16, round-robin over the hosts). Both hosts share this machine's
cores, so the second host adds processes, not CPU: the figures show what the shared state costs, not scaling.

    python -m benchmarks.multihost [--seconds 30]     # writes benchmarks/results/multihost.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "api"))

from servers import ChromaServer, PostgresServer, ServeProcess, cstassist  # noqa: E402

from cstassist.cli.loadtest import run as loadtest  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cstassist-multihost-"))
    pg = PostgresServer(_port())
    pg.start()
    chroma = ChromaServer(work / "chroma", _port())
    env = {
        **os.environ,
        "CSTASSIST_DATABASE_URL": pg.url,
        "CSTASSIST_CHROMA__URL": chroma.url,
        "CSTASSIST_LIMITS__RATE_PER_MINUTE": "1000000",
    }
    hosts: list[ServeProcess] = []
    results = {}
    try:
        for step in (["db", "upgrade"], ["ingest"]):
            done = cstassist(step, {**env, "CSTASSIST_DATA_DIR": str(work / "a")}, timeout=900)
            assert done.returncode == 0, done.stderr[-2000:]
        for n, name in ((1, "a"), (2, "b")):
            hosts.append(ServeProcess({**env, "CSTASSIST_DATA_DIR": str(work / name)}, _port(), work / f"{name}.log"))
            urls = [h.url for h in hosts]
            asyncio.run(loadtest(urls, args.concurrency, 3, None))  # warm-up
            results[f"{n} host{'s' * (n > 1)}"] = asyncio.run(loadtest(urls, args.concurrency, args.seconds, None))
    finally:
        for h in hosts:
            h.stop()
        chroma.stop()
        pg.destroy()
    out = ROOT / "benchmarks" / "results" / "multihost.json"
    out.write_text(json.dumps({"load_average": os.getloadavg(), "cpus": os.cpu_count(), "results": results}, indent=2))
    print("| | requests/s | errors | search p50 / p95 ms | ask p50 / p95 ms | streaming ask p50 / p95 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, r in results.items():
        lat = r["latency_ms"]
        cells = [f"{lat[k]['p50']} / {lat[k]['p95']}" for k in ("search", "ask", "stream")]
        print(f"| {label} | {r['requests_per_s']} | {r['errors']} | " + " | ".join(cells) + " |")
    print(f"\n{out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
