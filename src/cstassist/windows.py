"""Sentence windows: every passage's runs of two consecutive sentences, embedded at ingest.

One vector per ~1,000-character passage blurs the one sentence that answers a question with the
sentences around it. Ranking therefore also reads each candidate's *best window*: the highest cosine
between the question and any two-sentence span of the passage (measured in evals/README.md: hit@1
0.738 -> 0.787 on the gold set, equal weights, nothing tuned).

The window vectors travel inside the passage's own Chroma metadata (``WINDOWS_KEY``, float16, base64),
so they are written, replaced, deleted, backed up and restored in the same operation as the passage:
they cannot drift from it, and no second collection has to be kept in step.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from .embedding import Embedder
from .text import sentences

WINDOW_SENTENCES = 2
MAX_WINDOWS = 16  # a passage with more sentences gets wider steps between windows, not more vectors
WINDOWS_KEY = "windows"


def starts_of(n_sentences: int) -> list[int]:
    """Index of the first sentence of each window of a passage with ``n_sentences`` sentences."""
    if n_sentences <= WINDOW_SENTENCES:
        return [0] if n_sentences else []
    last = n_sentences - WINDOW_SENTENCES + 1
    return list(range(0, last, max(1, math.ceil(last / MAX_WINDOWS))))


def sentence_windows(text: str) -> list[str]:
    """The passage's spans of ``WINDOW_SENTENCES`` consecutive sentences (the whole text when it has fewer)."""
    sents = sentences(text)
    return [" ".join(sents[i : i + WINDOW_SENTENCES]) for i in starts_of(len(sents))]


def per_sentence(n: int, window_scores: tuple[float, ...]) -> list[float | None]:
    """For each of a passage's ``n`` sentences (as ``sentences`` splits it), the best score among the windows
    that contain it (None if none do, or when the scores do not fit the windows of ``n`` sentences)."""
    starts = starts_of(n)
    if len(starts) != len(window_scores):
        return [None] * n
    out: list[float | None] = [None] * n
    for start, score in zip(starts, window_scores):
        for i in range(start, min(n, start + WINDOW_SENTENCES)):
            out[i] = score if out[i] is None else max(out[i], score)  # type: ignore[type-var]
    return out


def encode(vectors: np.ndarray) -> str:
    """Window vectors as a metadata string (Chroma metadata holds str/int/float/bool only)."""
    return base64.b64encode(np.ascontiguousarray(vectors, dtype="<f2").tobytes()).decode("ascii")


def decode(blob: str, dimension: int) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(blob), dtype="<f2")
    return raw.reshape(-1, dimension).astype(np.float32)


def embed_windows(embedder: Embedder, texts: list[str]) -> list[str]:
    """For each passage text, its encoded window vectors ("" for a passage without sentences)."""
    return embed_passages(embedder, [], texts)[1]


def embed_passages(embedder: Embedder, passages: list[str], texts: list[str]) -> tuple[np.ndarray, list[str]]:
    """The vectors of ``passages`` (the texts a passage is searched by) and, for each of ``texts`` (the passages'
    own text), its encoded window vectors ("" for a passage without sentences).

    Everything goes through the embedder in one call, so long and short texts are batched by length across all
    of them; a text that occurs more than once (a window repeated in another passage, a one-sentence passage's
    window equal to another's) is embedded once and its vector given to each occurrence.

    >>> vectors, windows = embed_passages(embedder, ["Title\\nOne. Two. Three."], ["One. Two. Three."])
    >>> vectors.shape, decode(windows[0], 384).shape
    ((1, 384), (2, 384))
    """
    per = [sentence_windows(t) for t in texts]
    wanted = [*passages, *(w for ws in per for w in ws)]
    unique = list(dict.fromkeys(wanted))
    vectors = embedder.embed(unique) if unique else np.zeros((0, embedder.dimension), dtype=np.float32)
    at = {t: i for i, t in enumerate(unique)}
    rows = vectors[[at[t] for t in wanted]] if wanted else vectors
    out, start = [], len(passages)
    for ws in per:
        out.append(encode(rows[start : start + len(ws)]) if ws else "")
        start += len(ws)
    return rows[: len(passages)], out


def window_vectors(meta: dict[str, Any], dimension: int) -> np.ndarray | None:
    """The passage's window vectors; None when it has none stored (a passage ingested before windows existed,
    until the next ingest re-embeds it)."""
    blob = meta.get(WINDOWS_KEY)
    if not blob or not isinstance(blob, str):
        return None
    try:
        return decode(blob, dimension)
    except (ValueError, TypeError):
        return None


def window_similarities(meta: dict[str, Any], query_vector: np.ndarray) -> tuple[float, ...]:
    """The cosine between the query and each of the passage's windows; empty when it has none stored."""
    vectors = window_vectors(meta, query_vector.shape[-1])
    return () if vectors is None else tuple(float(x) for x in vectors @ query_vector)
