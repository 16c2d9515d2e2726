"""Small measuring helpers shared by the benchmark steps: percentiles, load, and the child-result line."""

from __future__ import annotations

import json
import os
import statistics
import sys
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
    "SCARF_NO_ANALYTICS": "true",
    "DO_NOT_TRACK": "true",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
}


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
