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


# stems of the words that frame a question rather than name its subject ("how many", "what does ... do"),
# which the BM25 stop-word list keeps: left out of the answerability signals and span choice
QUESTION_WORDS = frozenset(
    "how what which who whom whose when where why whether doe do did done can could would should shall will may might "
    "must mani much ani some tell explain describ say said anyth someth way our we us i my me you your need".split()
)


def question_terms(text: str) -> set[str]:
    """The question's content words (stemmed), without the words that only frame it as a question."""
    return terms(text) - QUESTION_WORDS


def coverage(claim: str, evidence: str) -> float:
    """Share of the claim's content words that the evidence contains (0..1)."""
    c = terms(claim)
    if not c:
        return 0.0
    return len(c & terms(evidence)) / len(c)
