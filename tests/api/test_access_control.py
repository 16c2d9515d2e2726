"""The members-only briefing never reaches a caller without a valid member credential, by any route."""

from __future__ import annotations

import json
import time

import pytest
from event_stream import sse_events
from members_doc import MEMBERS_CODEWORD, MEMBERS_DOC_ID, MEMBERS_SECRET, MEMBERS_TITLE, leaked

from cstassist.access import KeyInfo, TokenSigner

MEMBERS_QUESTION = "What is the Harbourside trustee succession ladder?"
CODEWORD_QUESTION = f"What is {MEMBERS_CODEWORD}?"


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def cited_docs(body: dict) -> set[str]:
    return {c["document_id"] for c in body["citations"]}


# --- anonymous callers ------------------------------------------------------------------------------


def test_anonymous_search_for_the_exact_codeword_does_not_return_the_briefing(client):
    for k in (5, 50):
        r = client.post("/v1/search", json={"query": MEMBERS_CODEWORD, "k": k})
        assert r.status_code == 200
        assert MEMBERS_DOC_ID not in {p["document_id"] for p in r.json()["results"]}
        assert not leaked(r.text)


def test_anonymous_search_on_the_briefings_topic_does_not_return_it(client):
    r = client.post("/v1/search", json={"query": "Harbourside trustee succession ladder shadow trustees", "k": 50})
    assert MEMBERS_DOC_ID not in {p["document_id"] for p in r.json()["results"]}
    assert MEMBERS_SECRET not in r.text


@pytest.mark.parametrize("question", [MEMBERS_QUESTION, CODEWORD_QUESTION])
def test_anonymous_ask_neither_cites_nor_quotes_the_briefing(client, question):
    r = client.post("/v1/ask", json={"question": question})
    assert r.status_code == 200
    body = r.json()
    assert MEMBERS_DOC_ID not in cited_docs(body)
    assert not leaked(body["answer"])
    assert not leaked(json.dumps(body["citations"]))


@pytest.mark.parametrize("question", [MEMBERS_QUESTION, CODEWORD_QUESTION])
def test_anonymous_streamed_ask_neither_cites_nor_quotes_the_briefing(client, question):
    r = client.post("/v1/ask", json={"question": question, "stream": True})
    assert r.status_code == 200
    assert not leaked(r.text)  # meta, every token and the done event
    done = sse_events(r.text)[-1][1]
    assert MEMBERS_DOC_ID not in cited_docs(done)


def test_anonymous_follow_up_cannot_reach_the_briefing_through_a_conversation(client):
    first = client.post("/v1/ask", json={"question": "How should a board plan trustee succession?"}).json()
    r = client.post(
        "/v1/ask", json={"question": "And what about the Harbourside ladder?", "conversation_id": first["conversation_id"]}
    )
    assert MEMBERS_DOC_ID not in cited_docs(r.json()) and not leaked(r.json()["answer"])


def test_anonymous_document_list_leaves_the_briefing_out(client):
    r = client.get("/v1/documents")
    assert MEMBERS_DOC_ID not in {d["document_id"] for d in r.json()["documents"]}
    assert not leaked(r.text)


def test_anonymous_request_for_the_briefing_by_id_looks_exactly_like_an_unknown_id(client):
    members = client.get(f"/v1/documents/{MEMBERS_DOC_ID}")
    unknown_id = "x" * len(MEMBERS_DOC_ID)
    unknown = client.get(f"/v1/documents/{unknown_id}")
    assert members.status_code == unknown.status_code == 404
    assert members.json() == json.loads(unknown.text.replace(unknown_id, MEMBERS_DOC_ID))
    assert MEMBERS_TITLE not in members.text and MEMBERS_SECRET not in members.text


def test_public_scope_key_cannot_see_the_briefing(client, public_key):
    h = bearer(public_key)
    r = client.post("/v1/search", json={"query": MEMBERS_CODEWORD, "k": 50}, headers=h)
    assert r.status_code == 200 and MEMBERS_DOC_ID not in {p["document_id"] for p in r.json()["results"]}
    assert MEMBERS_DOC_ID not in cited_docs(client.post("/v1/ask", json={"question": MEMBERS_QUESTION}, headers=h).json())
    assert MEMBERS_DOC_ID not in {d["document_id"] for d in client.get("/v1/documents", headers=h).json()["documents"]}
    assert client.get(f"/v1/documents/{MEMBERS_DOC_ID}", headers=h).status_code == 404
    token = client.post("/v1/tokens", headers=h).json()
    assert token["scope"] == "public"
    r = client.post("/v1/search", json={"query": MEMBERS_CODEWORD, "k": 50}, headers=bearer(token["token"]))
    assert MEMBERS_DOC_ID not in {p["document_id"] for p in r.json()["results"]}


# --- member callers ---------------------------------------------------------------------------------


def assert_member_sees_briefing(client, headers: dict[str, str]) -> None:
    r = client.post("/v1/search", json={"query": MEMBERS_CODEWORD}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["document_id"] == MEMBERS_DOC_ID
    body = client.post("/v1/ask", json={"question": MEMBERS_QUESTION}, headers=headers).json()
    assert body["abstained"] is False and MEMBERS_DOC_ID in cited_docs(body)
    assert "shadow trustee" in body["answer"]
    done = sse_events(client.post("/v1/ask", json={"question": MEMBERS_QUESTION, "stream": True}, headers=headers).text)[-1][1]
    assert MEMBERS_DOC_ID in cited_docs(done)
    docs = {d["document_id"]: d for d in client.get("/v1/documents", headers=headers).json()["documents"]}
    assert docs[MEMBERS_DOC_ID]["title"] == MEMBERS_TITLE
    one = client.get(f"/v1/documents/{MEMBERS_DOC_ID}", headers=headers)
    assert one.status_code == 200 and one.json()["kind"] == "members briefing"


def test_member_key_sees_the_briefing_by_every_route(client, member_key):
    assert_member_sees_briefing(client, bearer(member_key))


def test_member_key_works_in_the_x_api_key_header(client, member_key):
    r = client.post("/v1/search", json={"query": MEMBERS_CODEWORD}, headers={"X-API-Key": member_key})
    assert r.json()["results"][0]["document_id"] == MEMBERS_DOC_ID


def test_token_minted_from_a_member_key_sees_the_briefing(client, member_key):
    minted = client.post("/v1/tokens", headers=bearer(member_key)).json()
    assert minted["scope"] == "members"
    assert minted["expires_at"] > time.time()
    assert_member_sees_briefing(client, bearer(minted["token"]))


def test_member_key_created_by_the_cli_sees_the_briefing(client, api_settings, cli):
    out = cli(["keys", "create", "--name", "cli-portal", "--scope", "members"])
    secret = out.stdout.strip().splitlines()[-1]
    assert secret.startswith("cstk_")
    r = client.post("/v1/search", json={"query": MEMBERS_CODEWORD}, headers=bearer(secret))
    assert r.json()["results"][0]["document_id"] == MEMBERS_DOC_ID
    listed = cli(["keys", "list"]).stdout
    assert "cli-portal" in listed and secret not in listed


# --- credentials that must be refused ---------------------------------------------------------------


def assert_refused(client, headers: dict[str, str]) -> None:
    for method, path, body in (
        ("POST", "/v1/search", {"query": MEMBERS_CODEWORD}),
        ("POST", "/v1/ask", {"question": MEMBERS_QUESTION}),
        ("GET", "/v1/documents", None),
        ("GET", f"/v1/documents/{MEMBERS_DOC_ID}", None),
    ):
        r = client.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, (path, r.status_code, r.text)
        assert r.json()["error"]["code"] == "unauthorized"
        assert not leaked(r.text)


def test_tampered_key_is_refused(client, member_key):
    assert_refused(client, bearer(member_key[:-2] + ("AA" if not member_key.endswith("AA") else "BB")))


def test_expired_token_is_refused(client, keys):
    info, _ = keys.create("expiring", "members")
    token, exp = TokenSigner(keys.token_secret(), ttl_s=-5).mint(info)
    assert exp < time.time()
    assert_refused(client, bearer(token))


def test_forged_token_signature_is_refused(client, member_key):
    token = client.post("/v1/tokens", headers=bearer(member_key)).json()["token"]
    payload, sig = token.split(".")
    forged_sig = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    assert_refused(client, bearer(f"{payload}.{forged_sig}"))


def test_token_signed_with_another_secret_is_refused(client, keys):
    info, _ = keys.create("other-secret", "members")
    token, _ = TokenSigner(b"not the server's secret", 600).mint(info)
    assert_refused(client, bearer(token))


def test_public_token_rewritten_to_members_scope_is_refused(client, public_key):
    import base64

    token = client.post("/v1/tokens", headers=bearer(public_key)).json()["token"]
    payload, sig = token[len("cstt_") :].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = "members"
    widened = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=").decode()
    assert_refused(client, bearer(f"cstt_{widened}.{sig}"))


def test_token_for_a_key_that_does_not_exist_is_refused(client, keys):
    token, _ = TokenSigner(keys.token_secret(), 600).mint(KeyInfo("000000000000", "ghost", "members", time.time(), None))
    assert_refused(client, bearer(token))


def test_revoked_key_and_tokens_minted_from_it_are_refused(client, keys):
    info, secret = keys.create("to-revoke", "members")
    token = client.post("/v1/tokens", headers=bearer(secret)).json()["token"]
    assert client.post("/v1/search", json={"query": MEMBERS_CODEWORD}, headers=bearer(token)).status_code == 200
    assert keys.revoke(info.key_id) == 1
    assert_refused(client, bearer(secret))
    assert_refused(client, bearer(token))
    assert client.post("/v1/tokens", headers=bearer(secret)).status_code == 401


def test_minting_a_token_needs_a_key(client, member_key):
    assert client.post("/v1/tokens").status_code == 401
    token = client.post("/v1/tokens", headers=bearer(member_key)).json()["token"]
    r = client.post("/v1/tokens", headers=bearer(token))
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
