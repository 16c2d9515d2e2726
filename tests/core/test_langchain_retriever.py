"""The LangChain adapter returns our passages with their citation facts and keeps the audience rule."""

from __future__ import annotations

from cstassist.assistant import Assistant
from cstassist.langchain import CSTRetriever


def test_the_langchain_retriever_returns_cited_passages_with_filters_applied(corpus_index, embedder):
    assistant = Assistant.open(corpus_index, embedder=embedder)
    docs = CSTRetriever(assistant=assistant, k=3).invoke("What are the five domains of a strong trust?")
    assert len(docs) == 3
    assert docs[0].metadata["document_id"] == "what-is-a-strong-trust-2022"
    assert docs[0].metadata["section"] and docs[0].metadata["published"] == "2022-02"
    only = CSTRetriever(assistant=assistant, k=5, filters={"document_id": "taking-stock-2019"}).invoke("strong trusts")
    assert only and {d.metadata["document_id"] for d in only} == {"taking-stock-2019"}
    assert [d.id for d in docs] == [p.chunk_id for p in assistant.search("What are the five domains of a strong trust?", k=3)]
