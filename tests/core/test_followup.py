"""Follow-up detection and the bounded query a follow-up is searched with."""

from __future__ import annotations

import pytest

from cstassist.followup import MAX_CONTEXT_CHARS, is_follow_up, resolve

FOLLOW_UPS = [
    "And how often should that happen?",
    "and what about the chief executive?",
    "What about academies?",
    "How about for chairs?",
    "Why?",
    "Does that apply to trustees?",
    "Is that a legal requirement?",
    "Who decides it?",
    "Who should be involved in it?",
]
STANDALONE = [
    "How should the board review the chief executive's performance?",
    "What are the five domains of a strong trust?",
    "What is the capital of France?",
    "Who does CST run its national survey of school trusts with?",
    "Android tablets",  # "and" inside a word is not a follow-up
]


@pytest.mark.parametrize("question", FOLLOW_UPS)
def test_short_or_referring_questions_are_follow_ups(question):
    assert is_follow_up(question)


@pytest.mark.parametrize("question", STANDALONE)
def test_self_contained_questions_are_not_follow_ups(question):
    assert not is_follow_up(question)


def test_a_follow_up_is_searched_together_with_the_previous_question():
    previous = "How should the board review the chief executive's performance?"
    assert resolve("And how often should that happen?", previous) == f"{previous} And how often should that happen?"


def test_a_standalone_question_or_one_without_a_previous_turn_is_searched_as_it_is():
    assert resolve("What is the capital of France?", "How should the board review the CEO?") == "What is the capital of France?"
    assert resolve("And how often?", None) == "And how often?"


def test_the_resolved_query_stays_bounded_however_long_the_conversation_grows():
    query = "How should the board review the chief executive's performance?"
    for _ in range(60):
        query = resolve("And what about it? " + "x" * 1900, query)
        assert len(query) <= MAX_CONTEXT_CHARS + len("And what about it? ") + 1900 + 1
    assert query.startswith("How should the board review")  # the conversation's topic is what is kept
