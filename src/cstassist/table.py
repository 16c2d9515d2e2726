"""What a search needs to know about every passage without reading it: its vector, its sentence-window vectors and
whether its paper is superseded, row for row with the lexical index's ids.

Hybrid ranking scores every candidate (30-60 of them) by its cosine, its best window and BM25, but only the few it
returns need their text. Reading each candidate from Chroma cost about a tenth of a millisecond, most of a first-seen
search at 50,000 passages (benchmarks/README.md); with this table the candidates are scored from memory and only
the passages a search returns are read (``cstassist.records``). It is derived from Chroma with the BM25 index and
saved beside it, stamped with the same generation, so it cannot drift from the passages; the arrays are
memory-mapped from the cache, so a process pays in memory only for the rows it touches.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


def text_digest(text: str) -> int:
    """A 64-bit digest of a passage's text, surrounding whitespace aside."""
    return int.from_bytes(hashlib.blake2b(text.strip().encode(), digest_size=8).digest(), "little", signed=True)


@dataclass
class PassageTable:
    vectors: np.ndarray  # (passages, dimension) float32
    windows: np.ndarray  # (windows, dimension) float16, every passage's windows one after another
    window_start: np.ndarray  # (passages + 1,) int64: passage i's windows are rows window_start[i]:window_start[i+1]
    # "" when the passage's paper is not superseded, else the audience of the paper replacing it
    superseded: np.ndarray
    # a 64-bit digest of the passage's text as search returns it (stripped): a copy of a passage already taken is
    # passed over without being read
    digest: np.ndarray

    @classmethod
    def build(cls, texts: list[str], metas: list[dict[str, Any]], vectors: np.ndarray) -> PassageTable:
        from .injection import strip_invisible
        from .windows import window_vectors  # here: windows -> text -> lexical -> this module

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 else 0
        parts, start = [], [0]
        for meta in metas:
            w = window_vectors(meta, dim) if dim else None
            if w is not None:
                parts.append(w.astype(np.float16))
            start.append(start[-1] + (0 if w is None else len(w)))
        windows = np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float16)
        superseded = [str(m.get("superseded_by_audience") or "members") if m.get("superseded_by") else "" for m in metas]
        digest = np.array([text_digest(strip_invisible(t)) for t in texts], dtype=np.int64)
        return cls(vectors, windows, np.array(start, dtype=np.int64), np.array(superseded, dtype=object), digest)

    def __len__(self) -> int:
        return len(self.vectors)

    def similarity(self, row: int, query_vector: np.ndarray) -> float:
        # a fresh copy of the row: the same product, bit for bit, as of the vector read from Chroma
        return float(np.dot(np.array(self.vectors[row]), query_vector))

    def window_scores(self, row: int, query_vector: np.ndarray) -> tuple[float, ...]:
        """The cosine of each of the passage's windows to the query (as ``Passage.set_windows`` works it out from the
        stored windows); empty when it has none."""
        lo, hi = int(self.window_start[row]), int(self.window_start[row + 1])
        if lo == hi:
            return ()
        return tuple((self.windows[lo:hi].astype(np.float32) @ query_vector).tolist())

    def superseded_for(self, row: int, audiences: tuple[str, ...]) -> bool:
        """Whether the passage's paper is superseded by one the caller may see (a replacement the caller may not
        see is as if never ingested)."""
        replacement = self.superseded[row]
        return bool(replacement) and replacement in audiences

    def save(self, folder: Path) -> None:
        np.save(folder / "vectors.npy", self.vectors)
        np.save(folder / "windows.npy", self.windows)
        np.savez(folder / "table.npz", window_start=self.window_start, superseded=self.superseded.astype(str), digest=self.digest)

    @classmethod
    def load(cls, folder: Path) -> PassageTable | None:
        """The saved table, memory-mapped; None when the cache has none (saved before it existed)."""
        if not all((folder / name).exists() for name in ("vectors.npy", "windows.npy", "table.npz")):
            return None
        extra = np.load(folder / "table.npz")
        return cls(
            np.load(folder / "vectors.npy", mmap_mode="r"),
            np.load(folder / "windows.npy", mmap_mode="r"),
            extra["window_start"],
            extra["superseded"].astype(object),
            extra["digest"],
        )
