"""Child step: embedding throughput per backend on the chunks an ingest produced (the texts as embedded).

    python -m benchmarks.embedding_speed --data-dir D --backends torch,onnx-int8

Each backend embeds the same texts, in batches of the configured size sorted by length (as ingest
does for each document, here across all texts), after a warm-up; cosine to the first backend's vectors
shows what a faster backend costs in fidelity.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .stats import emit, loadavg, offline


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--backends", default="torch,onnx-int8")
    args = p.parse_args()
    offline()

    import numpy as np

    from cstassist.embedding import create_embedder
    from cstassist.index import Index
    from cstassist.lexical import index_text
    from cstassist.settings import EmbeddingSettings, Settings

    index = Index(Settings(data_dir=args.data_dir))
    texts = [index_text(t, m) for _, docs, metas, _ in index.store.iter_all() for t, m in zip(docs, metas)]
    out: dict = {"chunks": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts)), "backends": []}
    first = None
    for backend in [b for b in args.backends.split(",") if b]:
        embedder = create_embedder(EmbeddingSettings(backend=backend), cache_dir=args.data_dir / "models")
        embedder.embed(texts[:32])
        load = loadavg()
        started = time.perf_counter()
        vecs = embedder.embed(texts)
        seconds = time.perf_counter() - started
        row = {
            "backend": backend,
            "seconds": round(seconds, 2),
            "chunks_per_s": round(len(texts) / seconds, 1),
            "loadavg": [load, loadavg()],
        }
        if first is None:
            first = vecs
        else:
            cos = (first * vecs).sum(axis=1)
            row["cosine_to_first"] = {"min": round(float(cos.min()), 4), "mean": round(float(np.mean(cos)), 4)}
        out["backends"].append(row)
    emit(out)


if __name__ == "__main__":
    main()
