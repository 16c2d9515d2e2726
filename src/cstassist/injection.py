"""Spotting text in documents that tries to instruct the assistant (prompt injection).

Passages are data, never instructions. Sentences that address an AI or try to change its rules are
kept out of answers and out of what the LLM is shown; documents that carry them are flagged at ingest.
"""

from __future__ import annotations

import re

_PATTERNS = [
    r"\bignore (?:all |any |the )?(?:previous|prior|above|earlier|preceding)\b",
    r"\bdisregard (?:all |any |the )?(?:previous|prior|above|earlier|your)\b",
    r"\b(?:ignore|forget|override|bypass) (?:all |any )?(?:your|these|those|the|my) (?:rules|instructions|guidelines|guardrails)\b",
    r"\b(?:print|say|output|repeat|type) (?:the (?:word|phrase|string|code) )?[\"'“]?[A-Z0-9][A-Z0-9_-]{5,}\b",
    r"\b(?:system|developer) prompt\b",
    r"\byou are (?:now )?(?:an? )?(?:ai|assistant|language model|chatbot)\b",
    r"\b(?:as an|to the|dear) (?:ai|assistant|language model|chatbot)\b",
    r"\b(?:ai|assistant|language model|chatbot|llm)s?,? (?:must|should|shall|will) (?:now )?(?:say|respond|reply|answer|output|print|include|reveal)\b",
    r"\b(?:respond|reply|answer|output|print) (?:only |exactly )?with\b",
    r"\bnew instructions?\b",
    r"\b(?:reveal|print|output|leak) (?:the )?(?:members[- ]only|confidential|secret|hidden)\b",
    r"\binclude the (?:word|phrase|string|code)\b",
]
_RX = re.compile("|".join(_PATTERNS), re.IGNORECASE)


def is_instruction(sentence: str) -> bool:
    """True when the sentence reads as an instruction aimed at an AI system."""
    return bool(_RX.search(sentence))


def strip_instructions(text: str) -> str:
    """The text with instruction-like sentences removed."""
    from .text import sentences

    kept = [s for s in sentences(text) if not is_instruction(s)]
    return "\n".join(kept)
