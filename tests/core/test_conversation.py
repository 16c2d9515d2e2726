"""The conversation store's turns: kept per conversation, bounded, shared by every store on one database.
(Follow-up detection and resolution: test_followup.py.)"""

from __future__ import annotations

from sqlalchemy import select

from cstassist.conversation import MAX_CONTEXT_CHARS, MAX_TURNS, ConversationStore
from cstassist.database import turns
from cstassist.followup import resolve


def test_store_returns_the_latest_resolved_question_of_that_conversation(tmp_path):
    store = ConversationStore(tmp_path / "conversations.sqlite")
    a, b = store.new_id(), store.new_id()
    assert a != b and len(a) == 32
    assert store.last_resolved(a) is None
    store.add(a, "first?", "first?", "ans-1")
    store.add(b, "other?", "other?", "ans-2")
    store.add(a, "and then?", "first? and then?", "ans-3")
    assert store.last_resolved(a) == "first? and then?"
    assert store.last_resolved(b) == "other?"


def test_store_keeps_only_the_most_recent_turns(tmp_path):
    store = ConversationStore(tmp_path / "conversations.sqlite")
    cid = store.new_id()
    for i in range(MAX_TURNS + 4):
        store.add(cid, f"q{i}", f"resolved {i}", f"a{i}")
    with store.db.begin() as conn:
        kept = conn.execute(select(turns.c.resolved).where(turns.c.conversation_id == cid).order_by(turns.c.id)).all()
    assert [r[0] for r in kept] == [f"resolved {i}" for i in range(4, MAX_TURNS + 4)]
    assert store.last_resolved(cid) == f"resolved {MAX_TURNS + 3}"


def test_a_stored_resolved_query_is_cut_to_the_context_limit_keeping_its_start(tmp_path):
    store = ConversationStore(tmp_path / "conversations.sqlite")
    cid = store.new_id()
    store.add(cid, "q", "topic " + "word " * 1000, "a")
    kept = store.last_resolved(cid)
    assert kept.startswith("topic ") and MAX_CONTEXT_CHARS // 2 < len(kept) <= MAX_CONTEXT_CHARS


def test_turns_are_shared_by_every_store_on_the_same_file(tmp_path):
    """Several workers each open the store; a follow-up may land on another worker than its question."""
    path = tmp_path / "conversations.sqlite"
    first, second = ConversationStore(path), ConversationStore(path)
    cid = first.new_id()
    first.add(cid, "How should the board review the CEO?", "How should the board review the CEO?", "a1", owner="key:k1")
    assert second.resume(cid, "key:k1") == (cid, "How should the board review the CEO?")


def test_only_the_owner_resumes_a_conversation_anyone_else_gets_a_new_one(tmp_path):
    store = ConversationStore(tmp_path / "conversations.sqlite")
    cid = store.new_id()
    store.add(cid, "members-only topic?", "members-only topic?", "a1", owner="key:member")
    for stranger in ("anon:s1", "key:other", "token:member:", "local"):
        new_id, previous = store.resume(cid, stranger)
        assert new_id != cid and previous is None
    assert store.resume("a" * 8, "key:member")[0] != "a" * 8, "a client-chosen id is never adopted"
    assert store.resume(cid, "key:member") == (cid, "members-only topic?")


def test_a_chain_of_follow_ups_keeps_the_original_topic(tmp_path):
    store = ConversationStore(tmp_path / "conversations.sqlite")
    cid = store.new_id()
    for q in ("How should the board review the chief executive's performance?", "And how often?", "What about the chair?"):
        resolved = resolve(q, store.last_resolved(cid))
        store.add(cid, q, resolved, "a")
    assert store.last_resolved(cid).startswith("How should the board review the chief executive's performance?")
    assert store.last_resolved(cid).endswith("What about the chair?")


def test_the_last_recorded_answer_of_a_conversation_is_what_a_follow_up_must_not_repeat(tmp_path):
    from cstassist.database import Database
    from cstassist.feedback import FeedbackStore

    db = Database.for_path(tmp_path / "state.sqlite")
    store, answers = ConversationStore(db), FeedbackStore(db)
    cid = store.new_id()
    assert store.last_answer(cid) is None
    for n in (1, 2):
        store.add(cid, f"q{n}", f"q{n}", f"a{n}", owner="key:k")
        answers.record_answer(f"a{n}", f"q{n}", f"answer {n} [1]", [], False, owner="key:k")
    assert store.last_answer(cid) == "answer 2 [1]"
