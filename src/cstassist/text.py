"""Sentence splitting and content-word overlap, shared by the answerers and citation checking."""

from __future__ import annotations

import re

from .lexical import tokenize

_SENT = re.compile(r"(?<=[.!?…])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """Split a passage into sentences and list items (one per line for list items)."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(split_line(line))
    return out


def split_line(line: str) -> list[str]:
    """One line's sentences, stripped (none for a blank line)."""
    return [s.strip() for s in _SENT.split(line.strip()) if s.strip()]


def terms(text: str) -> set[str]:
    """Stemmed content words (stop words removed)."""
    return set(tokenize([text])[0])


def coverage(claim: str, evidence: str) -> float:
    """Share of the claim's content words that the evidence contains (0..1)."""
    c = terms(claim)
    if not c:
        return 0.0
    return len(c & terms(evidence)) / len(c)
