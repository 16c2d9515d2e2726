"""The hybrid retriever as a LangChain ``BaseRetriever``, for teams that compose LangChain chains.

It goes through the same ``Assistant.search`` as the API, so filters and the audience rule apply
inside retrieval exactly as they do there; every document carries its citation facts in ``metadata``.

>>> retriever = CSTRetriever(assistant=Assistant.open(Settings()), k=5)
>>> docs = retriever.invoke("How should the board review the chief executive?")
>>> docs[0].metadata["title"], docs[0].metadata["section"]
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .assistant import Assistant


class CSTRetriever(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Assistant
    k: int = 5
    audiences: tuple[str, ...] = ("public",)
    filters: dict[str, Any] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        passages = self.assistant.search(query, k=self.k, audiences=self.audiences, filters=self.filters)
        return [
            Document(
                page_content=p.text,
                id=p.chunk_id,
                metadata={**p.citation_facts(), "source": p.source, "score": p.score},
            )
            for p in passages
        ]
