"""Query vectors, remembered: the same question asked again (a popular question, a follow-up resolved to an earlier
one, the verdict re-reading the query) is embedded once. Encoding a query is the largest single cost of a search
that ours does not control (3-5 ms of ONNX Runtime on these CPUs; benchmarks/README.md)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .embedding import Embedder

QUERY_CACHE = 4096  # queries remembered (1.5 KB each)


class QueryVectors:
    """An embedder whose ``embed_query`` remembers the last ``size`` queries; everything else is the embedder's own.

    The vectors handed out are read-only, so one caller cannot change what the next one is given."""

    def __init__(self, embedder: Embedder, size: int = QUERY_CACHE) -> None:
        self.inner = embedder
        self.name = embedder.name
        self.dimension = embedder.dimension
        self._remembered = functools.lru_cache(maxsize=size)(self._embed)

    @classmethod
    def around(cls, embedder: Embedder) -> QueryVectors:
        return embedder if isinstance(embedder, QueryVectors) else cls(embedder)

    def _embed(self, text: str) -> np.ndarray:
        vector = np.asarray(self.inner.embed_query(text), dtype=np.float32)
        vector.flags.writeable = False
        return vector

    def embed_query(self, text: str) -> np.ndarray:
        return self._remembered(text)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed(texts)

    def __getattr__(self, name: str) -> Any:  # anything else an embedder offers (batch_size, the model's name...)
        return getattr(self.inner, name)
