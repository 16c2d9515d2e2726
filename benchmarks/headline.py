"""The table issue 19 asked for: this run's figures beside the ones measured before the speed work, the tutorial
stack's figures from the same run, each against its target."""

from __future__ import annotations

from typing import Any

# measured 2026-11-30 on an idle machine with `benchmarks.run --docs 10 --seconds 15 --min-chunks 50000
# --backends onnx-int8`, before the speed work (issue 19's table, "now" column)
BEFORE = {
    "search_p50_ms": 29.4,
    "ask_p50_ms": 35.4,
    "filtered_p50_ms": 200.0,
    "requests_per_s": 43.0,
    "wrk_search_bundled": 101.0,
    "ingest_bundled_s": 15.4,
}
TARGETS = {
    "search_p50_ms": 12.0,
    "ask_p50_ms": 20.0,
    "filtered_p50_ms": 30.0,
    "requests_per_s": 120.0,
    "search_vs_tutorial": 2.0,
    "ingest_vs_tutorial": 1.5,
}


def _verdict(value: float | None, target: float, higher_is_better: bool) -> str:
    if value is None:
        return "not measured"
    ok = value >= target if higher_is_better else value <= target
    return (
        "met"
        if ok
        else f"missed ({(target / value if higher_is_better else value / target) if value else float('inf'):.2f}x off)"
    )


def _service(r: dict[str, Any]) -> dict[str, Any] | None:
    runs = [s for s in r.get("service", []) if "error" not in s]
    return next((s for s in runs if s["backend"] == "onnx-int8"), runs[0] if runs else None)


def rows(r: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(figure, before, this run, tutorial stack, target, verdict) for each figure measured in ``r``."""
    out = []
    sv = _service(r)
    if sv:
        chunks = r.get("scale", {}).get("scale", {}).get("chunks", 0)
        at = f" at {chunks / 1000:.0f}k chunks"
        for key, name, field in (("search_p50_ms", "/v1/search p50", "search_ms"), ("ask_p50_ms", "/v1/ask p50", "ask_ms")):
            v = sv[field]["p50"]
            out.append(
                (name + at, f"{BEFORE[key]} ms", f"{v} ms", "", f"<= {TARGETS[key]:g} ms", _verdict(v, TARGETS[key], False))
            )
        f = sv.get("filtered_search_ms")
        if f:
            v = f["p50"]
            t = TARGETS["filtered_p50_ms"]
            out.append((f"narrowed /v1/search p50{at}", "~200 ms", f"{v} ms", "", f"<= {t:g} ms", _verdict(v, t, False)))
        ld = sv["load"]
        v = ld["requests_per_s"]
        verdict = _verdict(v, TARGETS["requests_per_s"], True) + ("" if ld["errors"] == 0 else f"; {ld['errors']} errors")
        out.append(
            (f"req/s, `cstassist loadtest` mix at c=16, one worker{at}", f"{BEFORE['requests_per_s']}", f"{v} ({ld['errors']} errors)",
             "", f">= {TARGETS['requests_per_s']:g}, 0 errors", verdict)
        )  # fmt: skip
    tp = r.get("throughput") or {}
    if "bundled_ours" in tp:
        for i, c in enumerate(tp["levels"]):
            ours, tut = tp["bundled_ours"]["search"][i], tp["bundled_tutorial"]["search"][i]
            ratio = tp["search_ratio"][i]
            before = f"{BEFORE['wrk_search_bundled']}" if c == 16 else ""
            out.append(
                (f"/v1/search req/s on the bundled corpus, wrk c={c}", before, f"{ours['requests_per_s']} ({ours['errors']} errors)",
                 f"{tut['requests_per_s']} ({tut['errors']} errors)", f">= {TARGETS['search_vs_tutorial']:g}x the tutorial's",
                 f"{ratio}x: " + _verdict(ratio, TARGETS["search_vs_tutorial"], True))
            )  # fmt: skip
    for row in r.get("ingest_process", {}).get("rows", []):  # whole-process ingest (benchmarks.ingest_process)
        out.append(row)
    return out


def markdown(r: dict[str, Any]) -> list[str]:
    found = rows(r)
    if not found:
        return []
    lines = [
        "## The figures of issue 19",
        "",
        '"Before": measured on an idle machine before the speed work (issue 19\'s table). Every other figure is this '
        "run's, with the tutorial stack run in the same call; read them beside the load average above.",
        "",
        "| figure | before | this run | tutorial stack | target | verdict |",
        "|---|---:|---:|---:|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in found]
    return [*lines, ""]


def throughput_markdown(r: dict[str, Any]) -> list[str]:
    tp = r.get("throughput")
    if not tp:
        return []
    if "error" in tp:
        return ["## Throughput with wrk", "", f"Not measured: {tp['error']}", ""]
    lines = [
        "## Throughput with wrk",
        "",
        f"wrk (`--latency`, {tp['seconds']:g} s a run, 2 threads) POSTing the gold set's questions, cycled, after a warm-up "
        "run; each server alone on the machine, one worker, loopback. The tutorial stack: its retriever "
        "(`vectorstore.as_retriever()`, fp32 torch embeddings, in-memory Chroma) behind FastAPI (`benchmarks/tutorial_server.py`).",
        "",
        "| server | index | endpoint | connections | req/s | p50 / p90 / p99 ms | errors |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for key, who, index in (("bundled_ours", "cstassist", "bundled corpus"), ("bundled_tutorial", "tutorial stack", "bundled corpus"),
                            ("scaled_ours", "cstassist", "large index")):  # fmt: skip
        for endpoint, runs in tp.get(key, {}).items():
            for w in runs:
                lines.append(
                    f"| {who} | {index} | /v1/{endpoint} | {w['concurrency']} | {w['requests_per_s']} | "
                    f"{w['p50_ms']} / {w['p90_ms']} / {w['p99_ms']} | {w['errors']} |"
                )
    return [*lines, ""]
