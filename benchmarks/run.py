"""`make bench`: build a larger real corpus, then measure cstassist against the plain LangChain stack.

    python -m benchmarks.run                 # about 10 minutes on 2 cores
    python -m benchmarks.run --docs 10 --seconds 10 --min-chunks 20000   # a quick look

Steps (each heavy one in its own child process, so models and Chroma clients never share one):
ingest (ours per backend) -> embedding throughput per backend -> LangChain ingest -> whole-process ingest (`cstassist
ingest` vs the tutorial stack, fresh processes) -> unchanged re-ingest -> a >= 50,000-chunk index made by
copying the ingested chunks -> in-process latency -> the service over HTTP per backend.
Results: benchmarks/results/latest.json and latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import corpus, report, throughput, wrk
from .serving import measure_service
from .stats import OFFLINE_ENV, RESULT_PREFIX, loadavg, offline

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"


def child(module: str, *args: str, env: dict[str, str] | None = None, timeout: float = 1800) -> dict[str, Any]:
    """Run ``python -m benchmarks.<module>`` and return the JSON it emits (its other output goes to stderr)."""
    cmd = [sys.executable, "-m", f"benchmarks.{module}", *args]
    proc = subprocess.run(
        cmd, cwd=ROOT, env={**os.environ, **OFFLINE_ENV, **(env or {})}, stdout=subprocess.PIPE, text=True, timeout=timeout
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}); see its output above")
    return json.loads(lines[-1][len(RESULT_PREFIX) :])


def gold_questions(path: Path) -> list[str]:
    """The gold set's stand-alone questions (follow-ups need their conversation): real questions, not tuned ones."""
    from cstassist.evals import load_gold

    qs = [g.question for g in load_gold() if not g.follow_up_of]
    path.write_text("\n".join(qs) + "\n", encoding="utf-8")
    return qs


def step(name: str) -> float:
    print(f"[bench {time.strftime('%H:%M:%S')}] {name} (load {loadavg()})", flush=True)
    return time.perf_counter()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--docs", type=int, default=40, help="HTML pages of Python's docs to ingest (default 40)")
    p.add_argument("--docs-dir", type=Path, help="a folder of HTML pages instead of /usr/share/doc/python3.11/html")
    p.add_argument("--backends", default="torch,onnx-int8", help="embedding backends to measure (default torch,onnx-int8)")
    p.add_argument("--reingest-files", type=int, default=1000, help="files for the unchanged re-ingest timing (default 1000)")
    p.add_argument("--min-chunks", type=int, default=50_000, help="size of the large index (default 50000)")
    p.add_argument("--seconds", type=float, default=20.0, help="length of the load test (default 20)")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--skip-langchain", action="store_true")
    p.add_argument("--skip-wrk", action="store_true", help="leave out the wrk throughput step")
    p.add_argument("--wrk-concurrency", default="16,64", help="wrk connection counts (default 16,64)")
    p.add_argument("--wrk-seconds", type=float, default=15.0, help="length of each wrk run (default 15)")
    p.add_argument("--skip-embedding", action="store_true", help="leave out the embedding-only throughput step")
    p.add_argument(
        "--ingest-runs", type=int, default=3, help="fresh-process runs per stack for the whole-process ingest (default 3)"
    )
    p.add_argument("--skip-ingest-process", action="store_true", help="leave out the whole-process ingest step")
    p.add_argument("--profile", action="store_true", help="also cProfile in-process asks at scale (results/profile-ask.prof)")
    p.add_argument("--work", type=Path, help="working folder (default: a temporary one, removed afterwards)")
    p.add_argument("--keep", action="store_true", help="keep the working folder")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    offline()
    backends = [b for b in args.backends.split(",") if b]

    try:
        docs_root = corpus.ensure_python_docs(args.docs_dir)
    except (corpus.CorpusMissing, subprocess.CalledProcessError) as exc:
        print(f"benchmarks: {exc}", file=sys.stderr)
        return 2
    work = args.work or Path(tempfile.mkdtemp(prefix="cstassist-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    t_all = time.perf_counter()
    loads = [loadavg()]
    r: dict[str, Any] = {
        "started_at": started_at,
        "machine": report.machine(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "steps_s": {},
    }
    try:
        t = step("corpus")
        cst, docs, files = corpus.prepare(work, docs_root, args.docs)
        queries_file = work / "queries.txt"
        queries = gold_questions(queries_file)
        r["corpus"] = {"docs_root": str(docs_root), "html_pages": len(files), "queries": len(queries)}
        r["steps_s"]["corpus"] = round(time.perf_counter() - t, 1)

        r["ingest"] = []
        for b in backends:
            t = step(f"ingest, cstassist ({b})")
            r["ingest"].append(child("ingest_ours", "--data-dir", str(work / f"data-{b}"), "--backend", b, str(cst), str(docs)))
            r["steps_s"][f"ingest_{b}"] = round(time.perf_counter() - t, 1)
            loads.append(loadavg())

        if not args.skip_embedding:
            t = step("embedding throughput per backend")
            r["embedding"] = child(
                "embedding_speed", "--data-dir", str(work / f"data-{backends[0]}"), "--backends", ",".join(backends)
            )
            r["steps_s"]["embedding"] = round(time.perf_counter() - t, 1)
            loads.append(loadavg())

        if not args.skip_langchain:
            t = step("ingest + search at scale, LangChain")
            r["langchain"] = child(
                "ingest_langchain",
                "--persist",
                str(work / "langchain"),
                "--min-chunks",
                str(args.min_chunks),
                "--queries",
                str(queries_file),
                str(cst),
                str(docs),
            )
            r["steps_s"]["langchain"] = round(time.perf_counter() - t, 1)
            shutil.rmtree(work / "langchain", ignore_errors=True)
            loads.append(loadavg())

        if not args.skip_ingest_process:
            runs: list[dict[str, Any]] = []
            for label, paths in (("bundled corpus", [cst]), (f"bundled corpus + {len(files)} HTML pages", [cst, docs])):
                t = step(f"ingest, whole process, {label} (cstassist ingest vs the tutorial stack)")
                extra: list[str] = []  # the tutorial stack is the point of this step: --skip-langchain leaves it in
                runs.append(
                    child(
                        "ingest_process",
                        "--work",
                        str(work / "ingest-process"),
                        "--label",
                        label,
                        "--runs",
                        str(args.ingest_runs),
                        *extra,
                        *map(str, paths),
                    )
                )
                r["steps_s"][f"ingest_process_{label}"] = round(time.perf_counter() - t, 1)
                loads.append(loadavg())
            shutil.rmtree(work / "ingest-process", ignore_errors=True)
            r["ingest_process"] = {"runs": runs, "rows": report.ingest_process_rows(runs)}

        t = step(f"unchanged re-ingest over {args.reingest_files} files")
        small = work / "corpus" / "small"
        corpus.write_small_files(small, args.reingest_files)
        fast = "onnx-int8" if "onnx-int8" in backends else backends[0]  # building it is set-up, not the measurement
        data = work / "data-reingest"
        child("ingest_ours", "--data-dir", str(data), "--backend", fast, str(small))
        reingest = child("ingest_ours", "--data-dir", str(data), "--backend", fast, "--unchanged", str(small))
        cli_started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cstassist.cli", "ingest", str(small)],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, **OFFLINE_ENV, "CSTASSIST_DATA_DIR": str(data), "CSTASSIST_EMBEDDING__BACKEND": fast},
        )
        reingest["cli_wall_s"] = round(time.perf_counter() - cli_started, 2)
        r["reingest"] = reingest
        r["steps_s"]["reingest"] = round(time.perf_counter() - t, 1)
        shutil.rmtree(data, ignore_errors=True)

        t = step(f"index of >= {args.min_chunks} chunks, in-process latency")
        scaled = work / "data-scaled"
        extra = ["--profile", str(args.out / "profile-ask.prof")] if args.profile else []
        r["scale"] = child(
            "scale",
            "--source",
            str(work / f"data-{backends[0]}"),
            "--target",
            str(scaled),
            "--min-chunks",
            str(args.min_chunks),
            "--queries",
            str(queries_file),
            "--backends",
            ",".join(backends),
            *extra,
        )
        r["steps_s"]["scale"] = round(time.perf_counter() - t, 1)
        loads.append(loadavg())

        r["service"] = []
        for b in backends:
            t = step(f"service over HTTP ({b})")
            try:
                r["service"].append(measure_service(scaled, b, queries, args.seconds, args.concurrency, work / f"serve-{b}.log"))
            except RuntimeError as exc:
                r["service"].append({"backend": b, "error": str(exc)})
            r["steps_s"][f"service_{b}"] = round(time.perf_counter() - t, 1)
            loads.append(loadavg())

        if not args.skip_wrk:
            t = step("throughput with wrk: ours and the tutorial retriever behind FastAPI")
            fast = "onnx-int8" if "onnx-int8" in backends else backends[0]
            bundled = work / "data-bundled"
            child("ingest_ours", "--data-dir", str(bundled), "--backend", fast, str(cst))
            levels = [int(c) for c in args.wrk_concurrency.split(",") if c]
            try:
                r["throughput"] = throughput.measure(bundled, cst, scaled, fast, queries, levels, args.wrk_seconds, work)
            except (wrk.WrkMissing, RuntimeError) as exc:
                print(f"benchmarks: {exc}", file=sys.stderr)
                r["throughput"] = {"error": str(exc)}
            r["steps_s"]["throughput"] = round(time.perf_counter() - t, 1)
            loads.append(loadavg())
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)

    r["total_s"] = round(time.perf_counter() - t_all, 1)
    loads.append(loadavg())
    r["loadavg_range"] = [min(loads), max(loads)]
    r["targets"] = report.targets(r)
    md = report.markdown(r)
    (args.out / "latest.json").write_text(json.dumps(r, indent=2), encoding="utf-8")
    (args.out / "latest.md").write_text(md, encoding="utf-8")
    print(md)
    print(f"\nresults: {args.out / 'latest.json'} and {args.out / 'latest.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
