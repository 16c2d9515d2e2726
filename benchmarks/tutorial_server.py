"""Child process: the LangChain tutorial stack's retriever behind FastAPI, the way its tutorials serve one.

The bundled corpus (or any folders given) is loaded as ``ingest_langchain`` loads it (text and Markdown as plain text,
HTML through BeautifulSoup's ``get_text()``), cut by ``RecursiveCharacterTextSplitter(1000, 200)``, embedded by
``HuggingFaceEmbeddings`` (the same bundled all-MiniLM-L6-v2, fp32 torch) into an in-memory Chroma, and
``vectorstore.as_retriever()`` answers ``POST /v1/search {"query": ..., "k": ...}`` with the passages' text and source.
uvicorn serves it with one worker and the same HTTP libraries ours uses (httptools, uvloop), access log off, as ours.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic import BaseModel

from .stats import offline


class Query(BaseModel):
    query: str
    k: int = 4


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("paths", nargs="+", type=Path)
    args = p.parse_args()
    offline()

    import uvicorn
    from fastapi import FastAPI
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from cstassist.embedding import bundled_model_path

    from .ingest_langchain import load_documents

    embeddings = HuggingFaceEmbeddings(
        model_name=str(bundled_model_path()),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True},
    )
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(load_documents(args.paths))
    vectorstore = Chroma.from_documents(chunks, embeddings, collection_name="tutorial")

    app = FastAPI()

    @app.post("/v1/search")
    def search(body: Query) -> dict:  # type: ignore[type-arg]
        docs = vectorstore.as_retriever(search_kwargs={"k": body.k}).invoke(body.query)
        return {"results": [{"text": d.page_content, "source": d.metadata.get("source")} for d in docs]}

    @app.get("/readyz")
    def ready() -> dict:  # type: ignore[type-arg]
        return {"status": "ready", "chunks": len(chunks)}

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
