"""Child step: cstassist's own ingest of the given paths into a data directory, timed.

    python -m benchmarks.ingest_ours --data-dir D --backend torch PATH...            # first ingest
    python -m benchmarks.ingest_ours --data-dir D --backend torch --unchanged PATH... # nothing changed

The embedding model is loaded before the clock starts (reported as ``model_load_s``); everything else
ingest does (parse worker start, parsing, chunking, embedding, Chroma writes, BM25 rebuild) is timed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from .stats import emit, loadavg, offline


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--backend", default="torch")
    p.add_argument("--unchanged", action="store_true", help="time re-ingests of an up-to-date index")
    p.add_argument("--no-windows", action="store_true", help="ingest without sentence windows (embedding.windows=false)")
    p.add_argument("paths", nargs="+", type=Path)
    args = p.parse_args()
    offline()

    from cstassist.embedding import create_embedder
    from cstassist.ingest import ingest
    from cstassist.settings import EmbeddingSettings, Settings

    embedding = EmbeddingSettings(backend=args.backend, windows=not args.no_windows)
    settings = Settings(data_dir=args.data_dir, embedding=embedding)
    files = sum(1 for p in args.paths for f in (p.rglob("*") if p.is_dir() else [p]) if f.is_file() and f.name != "manifest.yaml")
    if args.unchanged:
        # the first call in a fresh process pays for opening Chroma; later calls show the per-file cost
        runs = []
        for _ in range(4):
            started = time.perf_counter()
            report = ingest(args.paths, settings)
            runs.append(time.perf_counter() - started)
            assert not report.added and not report.updated, report.summary()
        warm = statistics.median(runs[1:])
        emit(
            {
                "files": files,
                "unchanged": len(report.unchanged),
                "first_call_s": round(runs[0], 3),
                "warm_call_s": round(warm, 4),
                "warm_s_per_1000_files": round(warm / max(1, len(report.unchanged)) * 1000, 3),
                "loadavg": loadavg(),
            }
        )
        return

    started = time.perf_counter()
    embedder = create_embedder(settings.embedding, cache_dir=settings.data_dir / "models")
    embedder.embed(["warm up"])
    model_load = time.perf_counter() - started
    load_before = loadavg()
    started = time.perf_counter()
    report = ingest(args.paths, settings, embedder=embedder)
    seconds = time.perf_counter() - started
    emit(
        {
            "stack": f"cstassist ({args.backend})",
            "backend": args.backend,
            "files": files,
            "added": len(report.added),
            "failed": [f"{n}: {r}" for n, r in report.failed][:5],
            "failed_count": len(report.failed),
            "chunks": report.chunks_written,
            "chunks_total": report.chunks_total,
            "seconds": round(seconds, 2),
            "chunks_per_s": round(report.chunks_written / seconds, 2),
            "model_load_s": round(model_load, 2),
            "loadavg": [load_before, loadavg()],
        }
    )


if __name__ == "__main__":
    main()
