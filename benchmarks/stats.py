"""Small measuring helpers shared by the benchmark steps: percentiles, load, and the child-result line."""

from __future__ import annotations

import json
import os
import statistics
import sys
from typing import Any

from cstassist.parsing import OFFLINE_ENV  # the one list of offline and no-telemetry variables

RESULT_PREFIX = "BENCH-RESULT "


def offline() -> None:
    """Never reach a model hub or send telemetry from a benchmark process."""
    for k, v in OFFLINE_ENV.items():
        os.environ.setdefault(k, v)


def latency_ms(samples: list[float]) -> dict[str, Any]:
    """p50/p95/mean of a list of milliseconds (None when there are too few samples)."""
    if len(samples) < 2:
        return {"p50": None, "p95": None, "mean": None, "n": len(samples)}
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": round(q[49], 1), "p95": round(q[94], 1), "mean": round(statistics.fmean(samples), 1), "n": len(samples)}


def loadavg() -> float:
    """The 1-minute load average: other work on the machine skews every timing here."""
    return round(os.getloadavg()[0], 2)


def emit(result: dict[str, Any]) -> None:
    """What a child step hands back to ``benchmarks.run``: one JSON line on stdout."""
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()
