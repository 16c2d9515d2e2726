"""Question scope: does the question ask for one fact, or for what CST's guidance says on a subject?

"When was CST launched?" is answered by one sentence; "What makes a strong trust?" by the several points
the papers make, spread over sections and documents. The scope is read from signals of the question and its
retrieved passages, never from a list of topics:

- **form**: how the question is put. "When / how many / who / which year", or a yes-no opening ("Is",
  "Does", "Has"), asks for one fact; "How should / how do", "Why", "What does X say / offer / do",
  "What are the ...", "What makes" asks for an account;
- **breadth**: how few content words the question has beyond its frame (a broad question names a subject,
  a one-fact question also names the fact: "the year", "the fee", "the DfE research");
- **spread**: how many different sections and documents the closely ranked passages come from;
- **coverage**: how much of the question's IDF mass the best sentence window holds (a one-fact question's
  best window tends to hold all of it).

The score is a weighted sum of the four (weights fixed by reading the dev split, see evals/README.md
"Broad questions"); a question is ``broad`` when it reaches ``RetrievalSettings.broad_at``.

>>> scope = question_scope("What makes a strong trust?", passages, verdict.signals)
>>> scope.broad, round(scope.score, 2)
(True, 0.9)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .documents import Passage
from .text import question_terms

# one fact: a quantity, a date, a person or place, or a yes-no answer
_FACT_FORM = re.compile(
    r"^(when|who|whom|whose|where|how (many|much|long|often|old|big|large)|"
    r"which (year|month|date|day|person|organisation|body|trust|minister)|"
    r"what (year|date|time|day|month|percentage|proportion|share|number|amount|fee|figure|age|title|name)|"
    r"(is|are|was|were|does|do|did|has|have|had|can|could|will|would|should|must|may|might)\b)",
    re.I,
)
# an account: manner, reasons, what someone says or does, several things
_BROAD_FORM = re.compile(
    r"^(how (should|do|does|did|can|could|would|might|to|is|are)\b|why\b|what makes\b|"
    r"what (are|were) (the|its|their|our|cst'?s?)\b|"
    r"what (does|do|did|has|have|should|can|could|would) .{0,60}\b(say|says|think|offer|offers|do|does|publish|"
    r"published|produce|produced|achieve|achieved|recommend|propose|argue|provide|mean|cover|covers|share|hold|"
    r"spend|play|serve|need)\b|"
    r"what (is|was) (the )?(role|purpose|mission|vision|position|view|case|thinking|approach|idea|point)\b|"
    r"what (support|help|advice|guidance|research|work|kind|sort)\b|tell me about\b|describe\b|explain\b)",
    re.I,
)
_LEAD_IN = re.compile(r"^(and|so|but|please|ok|okay|also|then)[, ]+", re.I)

FORM_WEIGHT = 0.45
BREADTH_WEIGHT = 0.25
SPREAD_WEIGHT = 0.2
COVERAGE_WEIGHT = 0.1
NEAR_TOP = 0.8  # passages within this share of the top fused score count towards the spread
BROAD_TERMS = 3  # a question with this many content words or fewer reads as naming only a subject
MAX_TERMS = 8  # ... with this many or more, as also naming the fact asked for


@dataclass(frozen=True)
class Scope:
    """The question's scope: ``broad`` or not, the score it was decided on, and that score's parts."""

    broad: bool
    score: float
    parts: dict[str, float] = field(default_factory=dict)


def form(question: str) -> float:
    """+1 when the question is put as asking for an account, -1 for one fact, 0 when its form says neither."""
    q = _LEAD_IN.sub("", question.strip())
    if _BROAD_FORM.search(q):
        return 1.0
    if _FACT_FORM.search(q):
        return -1.0
    return 0.0


def breadth(question: str) -> float:
    """1 for a question of at most ``BROAD_TERMS`` content words, falling to 0 at ``MAX_TERMS``."""
    n = len(question_terms(question))
    return max(0.0, min(1.0, (MAX_TERMS - n) / (MAX_TERMS - BROAD_TERMS)))


def spread(passages: Sequence[Passage]) -> float:
    """Share of the closely ranked passages (within ``NEAR_TOP`` of the top score, top five) that come from a
    section or document of their own: 0 when they all come from one place, 1 when each is from another."""
    top = list(passages[:5])
    if len(top) < 2:
        return 0.0
    best = max(p.score for p in top) or 1.0
    near = [p for p in top if p.score >= NEAR_TOP * best]
    places = {(p.document_id, p.section) for p in near}
    return (len(places) - 1) / (len(top) - 1)


def question_scope(
    question: str, passages: Sequence[Passage], signals: dict[str, float], broad_at: float = 0.55, query: str | None = None
) -> Scope:
    """The scope of ``question`` given its retrieved ``passages`` and answerability ``signals`` (``idf_window``).

    ``query`` is what was searched: for a follow-up ("What about for chairs?") the conversation's question joined
    to it, whose breadth is the follow-up's (a short follow-up names its subject in the turn before)."""
    follow_up = query is not None and not query.startswith(question)
    parts = {
        "form": form(question),
        "breadth": breadth(query if follow_up and query else question),
        "spread": spread(passages),
        "coverage": float(signals.get("idf_window", 0.0)),
    }
    score = (
        FORM_WEIGHT * (parts["form"] + 1) / 2
        + BREADTH_WEIGHT * parts["breadth"]
        + SPREAD_WEIGHT * parts["spread"]
        + COVERAGE_WEIGHT * (1 - parts["coverage"])
    )
    return Scope(score >= broad_at, round(score, 4), parts)
