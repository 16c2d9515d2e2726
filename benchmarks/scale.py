"""Child step: a large index without embedding 50,000 texts, then in-process search/ask latency on it.

Every chunk of an ingested source index (vectors, texts, metadata) is copied into a fresh data
directory ``copies`` times, copy ``r`` under document id ``<id>~r`` and chunk id ``<chunk>~r``, with
a ledger row per copied document; then the ledger generation is bumped and BM25 rebuilt, as ingest
does. Retrieval therefore sees each real passage ``copies`` times: HNSW and BM25 work at the full
size, but de-duplication collapses the copies, so answers are built from fewer distinct passages than
a real 50,000-chunk corpus would give.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from .stats import emit, latency_ms, loadavg, offline


def replicate(source_dir: Path, target_dir: Path, min_chunks: int) -> dict:  # type: ignore[type-arg]
    from cstassist.index import Index
    from cstassist.settings import Settings

    src = Index(Settings(data_dir=source_dir))
    ids, texts, metas, vecs = [], [], [], []
    for i, t, m, e in src.store.iter_all(include=("documents", "metadatas", "embeddings")):
        ids += i
        texts += t
        metas += m
        vecs += list(e)
    rows = {d: r for d, r in src.ledger.rows().items() if r.status == "done"}
    copies = -(-min_chunks // len(ids))

    import numpy as np

    vectors = np.asarray(vecs, dtype=np.float32)
    dst = Index(Settings(data_dir=target_dir))
    started = time.perf_counter()
    for r in range(copies):
        suffix = f"~{r}" if r else ""
        for doc_id, row in rows.items():
            meta = dataclasses.replace(row.meta, document_id=doc_id + suffix)
            dst.ledger.mark_pending(meta, row.source + suffix, row.fingerprint, row.size, row.mtime_ns)
            dst.ledger.mark_done(meta.document_id, row.chunk_count)
        dst.store.upsert(
            [i + suffix for i in ids], vectors, texts, [{**m, "document_id": m["document_id"] + suffix} for m in metas]
        )
    upsert_s = time.perf_counter() - started
    started = time.perf_counter()
    dst.ledger.bump_generation()
    dst.rebuild_lexical()
    return {
        "chunks": dst.chunk_count(),
        "distinct_chunks": len(ids),
        "copies": copies,
        "documents": len(rows) * copies,
        "upsert_s": round(upsert_s, 1),
        "lexical_rebuild_s": round(time.perf_counter() - started, 1),
    }


def narrowings(data_dir: Path) -> list[dict]:  # type: ignore[type-arg]
    """The narrowed searches the benchmark times, taken from what the index holds: one document (the first CST
    paper), one kind (the commonest), and the later half of the publication dates."""
    from collections import Counter

    from cstassist.index import Index
    from cstassist.settings import Settings

    docs = [d.meta for d in Index(Settings(data_dir=data_dir)).documents(("public",))]
    dated = sorted(m.published for m in docs if m.published)
    kinds = Counter(m.kind for m in docs if m.kind)
    out: list[dict] = [{"document_id": docs[0].document_id}] if docs else []  # type: ignore[type-arg]
    if kinds:
        out.append({"kind": kinds.most_common(1)[0][0]})
    if dated:
        out.append({"published_from": dated[len(dated) // 2][:7]})
    return out


def inprocess_latency(data_dir: Path, backend: str, queries: list[str]) -> dict:  # type: ignore[type-arg]
    """search and ask through ``Assistant`` directly (no HTTP), after a few warm-up calls."""
    from cstassist.assistant import Assistant
    from cstassist.embedding import create_embedder
    from cstassist.settings import EmbeddingSettings, Settings

    settings = Settings(data_dir=data_dir, embedding=EmbeddingSettings(backend=backend))
    started = time.perf_counter()
    embedder = create_embedder(settings.embedding, cache_dir=data_dir / "models")  # also warms the export cache
    assistant = Assistant.open(settings, embedder)
    open_s = time.perf_counter() - started
    for q in queries[:5]:
        assistant.search(q)
        assistant.ask(q)
    search, ask, embed, narrowed = [], [], [], []
    narrowing = narrowings(data_dir)
    for i, q in enumerate(queries):
        s = time.perf_counter()
        embedder.embed_query(q)
        embed.append((time.perf_counter() - s) * 1000)
        s = time.perf_counter()
        assistant.search(q, k=5)
        search.append((time.perf_counter() - s) * 1000)
        s = time.perf_counter()
        assistant.ask(q, k=5)
        ask.append((time.perf_counter() - s) * 1000)
        if narrowing:
            s = time.perf_counter()
            assistant.search(q, k=5, filters=narrowing[i % len(narrowing)])
            narrowed.append((time.perf_counter() - s) * 1000)
    return {
        "narrowings": narrowing,
        "filtered_search_ms": latency_ms(narrowed) if narrowed else None,
        "backend": backend,
        "open_s": round(open_s, 2),
        "query_embedding_ms": latency_ms(embed),
        "search_ms": latency_ms(search),
        "ask_ms": latency_ms(ask),
    }


def profile_search(data_dir: Path, queries: list[str], out: Path) -> list[str]:
    """cProfile of in-process searches (default backend); the top entries by cumulative time."""
    import cProfile
    import io
    import pstats

    from cstassist.assistant import Assistant
    from cstassist.settings import Settings

    assistant = Assistant.open(Settings(data_dir=data_dir))
    for q in queries[:5]:
        assistant.ask(q)
    prof = cProfile.Profile()
    prof.enable()
    for q in queries:
        assistant.ask(q, k=5)
    prof.disable()
    prof.dump_stats(str(out))
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(15)
    return buf.getvalue().splitlines()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--source", type=Path, required=True)
    p.add_argument("--target", type=Path, required=True)
    p.add_argument("--min-chunks", type=int, default=50_000)
    p.add_argument("--queries", type=Path, required=True)
    p.add_argument("--backends", default="torch,onnx-int8")
    p.add_argument("--profile", type=Path, help="write a cProfile of in-process asks here")
    args = p.parse_args()
    offline()
    queries = [q for q in args.queries.read_text(encoding="utf-8").splitlines() if q.strip()]
    result = {"scale": replicate(args.source, args.target, args.min_chunks), "loadavg": [loadavg()]}
    result["inprocess"] = [inprocess_latency(args.target, b, queries) for b in args.backends.split(",") if b]
    if args.profile:
        result["profile_top"] = profile_search(args.target, queries, args.profile)
    result["loadavg"].append(loadavg())
    emit(result)


if __name__ == "__main__":
    main()
