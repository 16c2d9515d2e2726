"""Follow-up questions: which questions lean on the previous turn, and the query they are searched with.

A follow-up such as "Who should be involved in it?" is resolved without an LLM: it is searched joined to
the conversation's previous (resolved) question, cut to ``MAX_CONTEXT_CHARS`` so a long conversation
cannot grow the query without bound. The answer span is then chosen by the follow-up's own words, and
never repeats the previous answer (``cstassist.extractive``).
"""

from __future__ import annotations

import re

from .text import terms

MAX_CONTEXT_CHARS = 300  # of the previous question carried into a follow-up's query
_FOLLOW_UP_START = re.compile(
    r"^(and|but|also|so|then|what about|how about|what else|and what|and how|is that|does that|what if|why)\b", re.I
)
_REFERRING = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there|he|she|his|her|such|same|above)\b", re.I)


def is_follow_up(question: str) -> bool:
    """The question reads as leaning on the previous turn (opens with "and ...", or is short and refers back)."""
    q = question.strip()
    if _FOLLOW_UP_START.search(q):
        return True
    return bool(_REFERRING.search(q)) and len(terms(q)) <= 6


def resolve(question: str, previous: str | None) -> str:
    """The query to search with: the question itself, or, for a follow-up, the start of the previous
    (resolved) question joined to it. At most ``MAX_CONTEXT_CHARS`` more than the question."""
    if not previous or not is_follow_up(question):
        return question
    context = " ".join(previous.split())
    if len(context) > MAX_CONTEXT_CHARS:
        context = context[:MAX_CONTEXT_CHARS].rsplit(" ", 1)[0]
    return f"{context} {question}"
