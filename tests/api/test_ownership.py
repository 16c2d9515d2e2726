"""Conversations and answers belong to the caller that created them (issue 12, item 1 and feedback), over
real HTTP: a member's conversation id is unknown to anyone else, ids are made by the server, what a
conversation keeps is bounded, and only an answer's owner may rate it."""

from __future__ import annotations

import httpx
import pytest
from members_doc import MEMBERS_CODEWORD
from sqlalchemy import func, select

from cstassist.conversation import MAX_CONTEXT_CHARS, MAX_TURNS
from cstassist.database import Database, turns

SESSION = "X-CSTAssist-Session"


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


def _ask(http: httpx.Client, question: str, headers: dict[str, str] | None = None, **body) -> httpx.Response:  # type: ignore[no-untyped-def]
    r = http.post("/v1/ask", json={"question": question, **body}, headers=headers or {})
    assert r.status_code == 200, r.text
    return r


def test_an_anonymous_caller_cannot_join_or_read_a_members_conversation(live_server, member_key):
    member = {"Authorization": f"Bearer {member_key}"}
    with httpx.Client(base_url=live_server, timeout=60) as http:
        cid = _ask(http, f"What is the {MEMBERS_CODEWORD} succession plan?", member).json()["conversation_id"]
    with httpx.Client(base_url=live_server, timeout=60) as stranger:  # no cookies shared with the member
        r = _ask(stranger, "and what about it?", conversation_id=cid)
        assert r.json()["conversation_id"] != cid
        assert MEMBERS_CODEWORD not in r.text and "succession" not in r.text.lower()
    with httpx.Client(base_url=live_server, timeout=60) as http:
        assert _ask(http, "And how often?", member, conversation_id=cid).json()["conversation_id"] == cid


def test_another_key_does_not_continue_a_members_conversation(http, member_key, public_key):
    cid = _ask(http, "What makes a strong trust?", {"Authorization": f"Bearer {member_key}"}).json()["conversation_id"]
    other = _ask(http, "and what about it?", {"Authorization": f"Bearer {public_key}"}, conversation_id=cid)
    assert other.json()["conversation_id"] != cid


def test_conversation_ids_are_made_by_the_server_never_taken_from_the_client(http):
    r = _ask(http, "What makes a strong trust?", conversation_id="aaaaaaaa")
    assert r.json()["conversation_id"] != "aaaaaaaa" and len(r.json()["conversation_id"]) == 32


def test_an_anonymous_session_continues_its_own_conversation_and_cannot_be_forged(live_server):
    with httpx.Client(base_url=live_server, timeout=60) as first:
        r = _ask(first, "How should the board review the chief executive's performance?")
        session, cid = r.headers[SESSION], r.json()["conversation_id"]
    with httpx.Client(base_url=live_server, timeout=60) as again:  # the header alone, as the widget sends it
        assert _ask(again, "And how often?", {SESSION: session}, conversation_id=cid).json()["conversation_id"] == cid
        forged = session[:-4] + ("AAAA" if not session.endswith("AAAA") else "BBBB")
        r = _ask(again, "And how often?", {SESSION: forged}, conversation_id=cid)
        assert r.json()["conversation_id"] != cid and r.headers[SESSION] not in (session, forged)


def test_a_long_chain_of_long_follow_ups_keeps_the_context_bounded(http, api_settings):
    cid = _ask(http, "How should the board review the chief executive's performance?").json()["conversation_id"]
    filler = "and what about the appraisal of trust leaders " * 40  # ~1,900 characters, a follow-up
    for _ in range(MAX_TURNS + 6):
        assert _ask(http, filler[:1900], conversation_id=cid).json()["conversation_id"] == cid
    db = Database.for_settings(api_settings)
    with db.begin() as conn:
        count = conn.execute(select(func.count()).where(turns.c.conversation_id == cid)).scalar()
        longest = conn.execute(select(func.max(func.length(turns.c.resolved))).where(turns.c.conversation_id == cid)).scalar()
    assert count == MAX_TURNS and longest <= MAX_CONTEXT_CHARS


def test_only_the_answers_owner_may_rate_it(live_server, member_key, public_key):
    member = {"Authorization": f"Bearer {member_key}"}
    with httpx.Client(base_url=live_server, timeout=60) as http:
        answer_id = _ask(http, "What makes a strong trust?", member).json()["answer_id"]
        rating = {"answer_id": answer_id, "rating": "down"}
        anonymous = http.post("/v1/feedback", json=rating)
        assert anonymous.status_code == 404 and anonymous.json()["error"]["code"] == "not_found"
        assert http.post("/v1/feedback", json=rating, headers={"Authorization": f"Bearer {public_key}"}).status_code == 404
        assert http.post("/v1/feedback", json=rating, headers=member).status_code == 201

        mine = _ask(http, "What makes a strong trust?")  # anonymous, with this client's session cookie
        assert http.post("/v1/feedback", json={"answer_id": mine.json()["answer_id"], "rating": "up"}).status_code == 201
    with httpx.Client(base_url=live_server, timeout=60) as someone_else:
        r = someone_else.post("/v1/feedback", json={"answer_id": mine.json()["answer_id"], "rating": "down"})
        assert r.status_code == 404


def test_tokens_minted_for_the_same_member_subject_continue_one_conversation(http, member_key):
    portal = {"Authorization": f"Bearer {member_key}"}

    def token(subject: str) -> dict[str, str]:
        r = http.post("/v1/tokens", json={"subject": subject}, headers=portal)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    cid = _ask(http, "How should the board review the chief executive's performance?", token("member-42")).json()[
        "conversation_id"
    ]
    # the widget's token expired and the portal minted a new one for the same member
    assert _ask(http, "And how often?", token("member-42"), conversation_id=cid).json()["conversation_id"] == cid
    assert _ask(http, "And how often?", token("member-43"), conversation_id=cid).json()["conversation_id"] != cid
    assert http.post("/v1/tokens", json={"subject": "no spaces allowed"}, headers=portal).status_code == 422
    assert http.post("/v1/tokens", headers=portal).status_code == 200  # the body stays optional
