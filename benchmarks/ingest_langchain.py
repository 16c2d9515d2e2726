"""Child step: the plain LangChain stack over the same files, then its search latency at scale.

RecursiveCharacterTextSplitter(1000, 200) + HuggingFaceEmbeddings (the same bundled all-MiniLM-L6-v2,
fp32 torch) + Chroma.from_documents + similarity_search. HTML is loaded the way LangChain's BSHTMLLoader
does it (BeautifulSoup with lxml, ``get_text()``), text and Markdown as plain text.

For the search latency the collection is grown to ``--min-chunks`` by copying its own records (vectors,
texts, metadata) under new ids, the same way ``benchmarks.scale`` grows cstassist's index.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .stats import emit, latency_ms, loadavg, offline


def load_documents(paths: list[Path]):  # type: ignore[no-untyped-def]
    from bs4 import BeautifulSoup
    from langchain_core.documents import Document

    docs = []
    for root in paths:
        for f in sorted(root.rglob("*") if root.is_dir() else [root]):
            if f.suffix in {".md", ".txt"}:
                docs.append(Document(page_content=f.read_text(encoding="utf-8"), metadata={"source": str(f)}))
            elif f.suffix in {".html", ".htm"}:
                soup = BeautifulSoup(f.read_bytes(), "lxml")
                title = soup.title.string if soup.title and soup.title.string else ""
                docs.append(Document(page_content=soup.get_text(), metadata={"source": str(f), "title": str(title)}))
    return docs


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--persist", type=Path, required=True)
    p.add_argument("--min-chunks", type=int, default=50_000)
    p.add_argument("--queries", type=Path, required=True, help="a text file, one query per line")
    p.add_argument("paths", nargs="+", type=Path)
    args = p.parse_args()
    offline()

    import chromadb
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from cstassist.embedding import bundled_model_path

    started = time.perf_counter()
    embeddings = HuggingFaceEmbeddings(
        model_name=str(bundled_model_path()),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True},
    )
    embeddings.embed_query("warm up")
    model_load = time.perf_counter() - started

    load_before = loadavg()
    t0 = time.perf_counter()
    docs = load_documents(args.paths)
    t1 = time.perf_counter()
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    t2 = time.perf_counter()
    db = Chroma.from_documents(chunks, embeddings, persist_directory=str(args.persist), collection_name="langchain")
    t3 = time.perf_counter()
    ingest = {
        "stack": "LangChain (RecursiveCharacterTextSplitter 1000/200 + HuggingFaceEmbeddings + Chroma)",
        "files": len(docs),
        "chunks": len(chunks),
        "seconds": round(t3 - t0, 2),
        "chunks_per_s": round(len(chunks) / (t3 - t0), 2),
        "load_s": round(t1 - t0, 2),
        "split_s": round(t2 - t1, 2),
        "embed_and_store_s": round(t3 - t2, 2),
        "model_load_s": round(model_load, 2),
        "loadavg": [load_before, loadavg()],
    }

    # grow the collection to the target size with copies of its own records (public chromadb API)
    client = chromadb.PersistentClient(path=str(args.persist))
    collection = client.get_collection("langchain")
    base = collection.get(include=["embeddings", "documents", "metadatas"])
    copies = -(-args.min_chunks // len(base["ids"]))
    t4 = time.perf_counter()
    batch = client.get_max_batch_size()
    for r in range(1, copies):
        ids = [f"{i}~{r}" for i in base["ids"]]
        for i in range(0, len(ids), batch):
            collection.upsert(
                ids=ids[i : i + batch],
                embeddings=base["embeddings"][i : i + batch],
                documents=base["documents"][i : i + batch],
                metadatas=base["metadatas"][i : i + batch],
            )
    grow_s = time.perf_counter() - t4

    queries = [q for q in args.queries.read_text(encoding="utf-8").splitlines() if q.strip()]
    for q in queries[:5]:
        db.similarity_search(q, k=5)
    samples = []
    for q in queries:
        s = time.perf_counter()
        db.similarity_search(q, k=5)
        samples.append((time.perf_counter() - s) * 1000)
    emit(
        {
            "ingest": ingest,
            "scale": {"chunks": collection.count(), "copies": copies, "grow_s": round(grow_s, 1)},
            "search_ms": latency_ms(samples),
            "loadavg": loadavg(),
        }
    )


if __name__ == "__main__":
    main()
