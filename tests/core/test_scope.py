"""Question scope from signals: the question's form and breadth, the spread of its passages, the best window's
coverage. No topic lists: the same subject asked as one fact or as an account gets a different scope."""

from __future__ import annotations

from cstassist.documents import Passage
from cstassist.scope import breadth, form, question_scope, spread


def passage(doc: str, section: str, score: float) -> Passage:
    return Passage(f"{doc}-{section}", doc, doc, section, None, None, None, doc, "text", score=score)


SPREAD = [passage("a", "one", 1.0), passage("b", "two", 0.95), passage("c", "three", 0.9), passage("a", "four", 0.85)]
ONE_PLACE = [passage("a", "one", 1.0), passage("a", "one", 0.5), passage("a", "one", 0.4)]


def test_the_form_of_the_question_says_account_or_fact():
    for q in [
        "What makes a strong trust?",
        "How should we review our CEO?",
        "Why do trusts need a sector body?",
        "What does CST say about SEND?",
        "What are the five domains of a strong trust?",
        "What has CST achieved in 2024-25?",
    ]:
        assert form(q) == 1.0, q
    for q in [
        "When was CST launched?",
        "How many people attended the conference?",
        "Who chairs the review group?",
        "Does CST have a governance standard?",
        "Which year was the survey first run?",
    ]:
        assert form(q) == -1.0, q
    assert form("Trust governance") == 0.0


def test_a_question_naming_only_a_subject_is_broader_than_one_naming_a_fact_too():
    assert breadth("What makes a strong trust?") > breadth(
        "What percentage of secondary schools cited professional development opportunities as a reason for joining a trust?"
    )


def test_passages_from_many_sections_spread_wider_than_passages_from_one():
    assert spread(SPREAD) > spread(ONE_PLACE) == 0.0


def test_the_same_subject_asked_as_an_account_is_broad_and_as_a_fact_is_not():
    broad = question_scope("How should the board review the chief executive?", SPREAD, {"idf_window": 0.4})
    fact = question_scope("When must the board review the chief executive's pay this year?", ONE_PLACE, {"idf_window": 1.0})
    assert broad.broad and not fact.broad
    assert set(broad.parts) == {"form", "breadth", "spread", "coverage"}
    assert not question_scope("How should the board review the chief executive?", SPREAD, {}, broad_at=1.01).broad
