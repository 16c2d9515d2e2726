"""Where the milliseconds of a search and an ask go: cProfile over in-process calls on an index, by stage.

    python -m benchmarks.profile --data-dir DIR [--queries FILE] [--out FILE.json]

Each gold question is asked once, by a freshly opened assistant, after five warm-up calls (``first``: its query vector and passages not seen
before in this process, as the benchmark's sequential pass meets them), then all of them again (``again``: what a
repeated question costs). The stages are the functions named below, matched in the profile by file and name, so
the same script reads an older checkout (run it with ``PYTHONPATH`` pointing at that checkout's packages): a stage
an older checkout does not have is left blank. Times are per call, profiler overhead included (about 1.5x here):
compare stages with each other and before with after, not with the benchmark's latencies.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
from pathlib import Path

from .stats import loadavg, offline

# (stage, [(file suffix, function name), ...]): cumulative time of the first that appears
STAGES = [
    ("whole call", [("assistant.py", "search"), ("assistant.py", "ask")]),
    ("query embedding (ONNX Runtime)", [("embedding.py", "_encode_batch")]),
    ("nearest neighbours + their passages (Chroma query)", [("store.py", "query")]),
    ("nearest neighbours, ids only (HNSW)", [("store.py", "nearest")]),
    ("passages read from Chroma (get by id)", [("store.py", "get")]),
    ("BM25 scoring", [("lexical.py", "search_with")]),
    ("tokenising (query, windows, signals)", [("lexical.py", "tokenize")]),
    ("ledger generation read (database)", [("state.py", "generation")]),
    ("near-duplicate removal", [("retrieval.py", "_distinct")]),
    ("invisible-character stripping", [("injection.py", "strip_invisible")]),
    ("window vectors decoded", [("windows.py", "decode")]),
    ("glossary expansion", [("assistant.py", "expand_query")]),
    ("answerability signals", [("answerability.py", "compute_signals")]),
    ("answer text (extractive, composed)", [("answering.py", "answer")]),
    ("conversation turn written (database)", [("conversation.py", "add")]),
]


def stages(stats: pstats.Stats, calls: int, kind: str) -> dict[str, float | None]:
    table = stats.stats  # type: ignore[attr-defined]
    out: dict[str, float | None] = {}
    for stage, names in STAGES:
        value = None
        for suffix, name in names:
            if stage == "whole call" and name != kind:
                continue
            hits = [v[3] for (file, _, fn), v in table.items() if file.endswith(suffix) and fn == name]
            if hits:
                value = round(sum(hits) / calls * 1000, 2)
                break
        out[stage] = value
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--queries", type=Path, help="one question per line (default: the gold set's stand-alone ones)")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    offline()
    from cstassist.assistant import Assistant
    from cstassist.embedding import create_embedder
    from cstassist.settings import Settings

    if args.queries:
        queries = [q for q in args.queries.read_text(encoding="utf-8").splitlines() if q.strip()]
    else:
        from cstassist.evals import load_gold

        queries = [g.question for g in load_gold() if not g.follow_up_of]
    settings = Settings(data_dir=args.data_dir)
    embedder = create_embedder(settings.embedding, cache_dir=args.data_dir / "models")
    result: dict = {"data_dir": str(args.data_dir), "loadavg": [loadavg()]}  # type: ignore[type-arg]
    for kind in ("search", "ask"):
        assistant = Assistant.open(settings, embedder)  # a fresh one: nothing remembered from the other kind
        result["chunks"] = assistant.index.chunk_count()
        call = assistant.search if kind == "search" else assistant.ask
        for q in queries[:5]:
            call(q)
        for rnd in ("first", "again"):
            prof = cProfile.Profile()
            started = time.perf_counter()
            prof.enable()
            for q in queries[5:]:
                call(q, k=5)
            prof.disable()
            wall = (time.perf_counter() - started) / len(queries[5:]) * 1000
            result[f"{kind}_{rnd}"] = {"wall_ms_profiled": round(wall, 2), **stages(pstats.Stats(prof), len(queries[5:]), kind)}
    result["loadavg"].append(loadavg())
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
