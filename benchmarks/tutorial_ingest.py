"""The LangChain tutorial stack's ingest as a user runs it: one fresh process from imports to a persisted Chroma.

    python -m benchmarks.tutorial_ingest --persist DIR PATH...

What the tutorials show: the files loaded (HTML as ``BSHTMLLoader`` does, BeautifulSoup/lxml ``get_text()``; text
and Markdown as plain text, see ``ingest_langchain.load_documents``), ``RecursiveCharacterTextSplitter(1000, 200)``,
``HuggingFaceEmbeddings`` on the same bundled all-MiniLM-L6-v2 (fp32 torch, the default), ``Chroma.from_documents``.
``benchmarks.ingest_process`` times this process from the outside; it prints the chunk count on its last line.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--persist", type=Path, required=True)
    p.add_argument("paths", nargs="+", type=Path)
    args = p.parse_args()

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
    docs = load_documents(args.paths)
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    Chroma.from_documents(chunks, embeddings, persist_directory=str(args.persist), collection_name="langchain")
    print(f"{len(docs)} files, {len(chunks)} chunks")


if __name__ == "__main__":
    main()
