"""Retrieval metrics on a BEIR-format dataset, through the product's own index and retriever.

A BEIR folder holds ``corpus.jsonl`` (``{"_id", "title", "text"}``), ``queries.jsonl``
(``{"_id", "text"}``) and ``qrels/<split>.tsv`` (``query-id  corpus-id  score`` with a header line).
Each BEIR document becomes one passage (title as the passage's title, text as its text) in a dedicated
data directory, embedded with the same embedder, indexed in the same Chroma + BM25 index, and searched
with the same ``HybridRetriever`` (RRF fusion, de-duplication) as the product, in each mode.

>>> result = evaluate_beir(Path("scifact"), embedder, data_dir=Path("/tmp/beir-scifact"))
>>> result["summary"]["hybrid"]["ndcg_at_10"]
"""

from __future__ import annotations

import csv
import hashlib
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cstassist.documents import Chunk, DocumentMeta, chunk_id
from cstassist.embedding import Embedder
from cstassist.filters import Filters
from cstassist.index import Index
from cstassist.lexical import index_text
from cstassist.locking import DataDirLock
from cstassist.retrieval import HybridRetriever, Mode
from cstassist.settings import Settings

from . import metrics
from .harness import MODES, NDCG_AT

BATCH = 256


@dataclass
class BeirSet:
    corpus: dict[str, tuple[str, str]]  # id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> {document id: grade}
    fingerprint: str


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_beir(folder: Path, split: str = "test") -> BeirSet:
    """Read a BEIR folder; queries without a positive judgement are left out."""
    folder = Path(folder)
    for need in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv"):
        if not (folder / need).exists():
            raise FileNotFoundError(
                f"{folder / need}: not found (a BEIR folder holds corpus.jsonl, queries.jsonl, qrels/{split}.tsv)"
            )
    corpus = {str(d["_id"]): (str(d.get("title") or ""), str(d.get("text") or "")) for d in _jsonl(folder / "corpus.jsonl")}
    queries = {str(q["_id"]): str(q["text"]) for q in _jsonl(folder / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels" / f"{split}.tsv").open(encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                continue  # the header line, or a blank one
            qid, did, grade = row[0], row[1], int(row[2])
            if grade > 0 and qid in queries and did in corpus:
                qrels.setdefault(qid, {})[did] = grade
    h = hashlib.sha256()
    for name in ("corpus.jsonl",):
        h.update((folder / name).read_bytes())
    return BeirSet(corpus, {q: queries[q] for q in qrels}, qrels, h.hexdigest()[:16])


def build_index(beir: BeirSet, settings: Settings, embedder: Embedder) -> Index:
    """Index the BEIR corpus in ``settings.data_dir`` (kept and reused when it holds this corpus already)."""
    index = Index(settings)
    if index.ledger.get("beir_corpus") == beir.fingerprint and index.chunk_count() == len(beir.corpus):
        return index
    ids = list(beir.corpus)
    for start in range(0, len(ids), BATCH):
        batch_ids, chunks, metas = ids[start : start + BATCH], [], []
        for doc_id in batch_ids:
            title, text = beir.corpus[doc_id]
            meta = DocumentMeta(document_id=doc_id, title=title, source="corpus.jsonl", kind="beir")
            chunk = Chunk(chunk_id(doc_id, text, 0), doc_id, text or title, section="", ordinal=0)
            chunks.append(chunk)
            metas.append(chunk.metadata(meta))
        vectors = embedder.embed([index_text(c.text, m) for c, m in zip(chunks, metas)])
        index.store.upsert([c.chunk_id for c in chunks], vectors, [c.text for c in chunks], metas)
    index.ledger.put("beir_corpus", beir.fingerprint)
    index.ledger.bump_generation()
    index.rebuild_lexical()
    return index


def evaluate_beir(
    folder: Path,
    embedder: Embedder,
    data_dir: Path | None = None,
    modes: tuple[Mode, ...] = MODES,
    k: int = 10,
    split: str = "test",
    settings: Settings | None = None,
) -> dict[str, Any]:
    """nDCG@10, recall@k and MRR@k per mode (mean over judged queries), with search latency."""
    beir = load_beir(folder, split)
    with tempfile.TemporaryDirectory(prefix="cstassist-beir-") as tmp:
        base = settings or Settings()
        settings = base.model_copy(update={"data_dir": Path(data_dir or tmp).resolve()})
        started = time.perf_counter()
        with DataDirLock(settings.data_dir, exclusive=True, what="eval --beir"):
            index = build_index(beir, settings, embedder)
        index_s = time.perf_counter() - started
        retriever = HybridRetriever(index, embedder, settings.retrieval)
        flt = Filters(("public",))
        summary: dict[str, Any] = {}
        for mode in modes:
            ndcg, recall, rr, times = [], [], [], []
            for qid, text in beir.queries.items():
                t0 = time.perf_counter()
                ranked = [p.document_id for p in retriever.search(text, max(k, NDCG_AT), flt, mode)]
                times.append((time.perf_counter() - t0) * 1000)
                rel = beir.qrels[qid]
                ndcg.append(metrics.graded_ndcg(ranked, rel, NDCG_AT))
                recall.append(metrics.id_recall(ranked, rel, k))
                rr.append(metrics.id_reciprocal_rank(ranked, rel, k))
            summary[mode] = {
                "ndcg_at_10": metrics.mean(ndcg),
                "recall_at_k": metrics.mean(recall),
                "mrr": metrics.mean(rr),
                "search_ms_p50": metrics.percentile(times, 50),
                "search_ms_p95": metrics.percentile(times, 95),
            }
        index.ledger.close()
    return {
        "dataset": str(folder),
        "split": split,
        "documents": len(beir.corpus),
        "queries": len(beir.queries),
        "k": k,
        "index_seconds": round(index_s, 1),
        "modes": list(modes),
        "summary": summary,
    }


def format_beir(result: dict[str, Any]) -> str:
    k = result["k"]
    rows = [
        ("nDCG@10", "ndcg_at_10", "{:.3f}"),
        (f"recall@{k}", "recall_at_k", "{:.3f}"),
        (f"MRR@{k}", "mrr", "{:.3f}"),
        ("search p50 ms", "search_ms_p50", "{:.0f}"),
        ("search p95 ms", "search_ms_p95", "{:.0f}"),
    ]
    lines = [
        f"BEIR {result['dataset']} ({result['split']}): {result['documents']} documents, {result['queries']} queries, "
        f"indexed in {result['index_seconds']} s",
        f"{'metric':<16}" + "".join(f"{m:>10}" for m in result["modes"]),
    ]
    for name, key, f in rows:
        lines.append(f"{name:<16}" + "".join(f"{f.format(result['summary'][m][key]):>10}" for m in result["modes"]))
    return "\n".join(lines)
