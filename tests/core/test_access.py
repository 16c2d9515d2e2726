"""API keys (stored hashed), signed member tokens, and the caller identity they give."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from cstassist.access import ANONYMOUS, Authenticator, Caller, KeyStore, TokenSigner
from cstassist.errors import AccessDenied, BadRequest


@pytest.fixture
def keys(tmp_path) -> KeyStore:
    return KeyStore(tmp_path / "access.sqlite")


@pytest.fixture
def auth(keys) -> Authenticator:
    return Authenticator(keys, TokenSigner(keys.token_secret(), ttl_s=900))


def test_a_new_key_verifies_and_carries_its_scope(keys):
    info, secret = keys.create("portal", "members")
    assert secret.startswith("cstk_") and len(secret) > 40
    assert keys.verify(secret) == info
    assert info.scope == "members" and info.name == "portal" and info.revoked_at is None


def test_only_a_hash_of_the_key_is_stored(keys, tmp_path):
    _, secret = keys.create("portal", "members")
    raw = (tmp_path / "access.sqlite").read_bytes()
    assert secret.encode() not in raw
    rows = sqlite3.connect(tmp_path / "access.sqlite").execute("SELECT * FROM api_keys").fetchall()
    assert all(secret not in str(col) for row in rows for col in row)


@pytest.mark.parametrize("name,scope", [("portal", "root"), ("portal", "everyone"), ("  ", "members")])
def test_keys_need_a_known_scope_and_a_name(keys, name, scope):
    with pytest.raises(BadRequest):
        keys.create(name, scope)


def test_listing_keys_never_shows_secrets(keys):
    _, secret = keys.create("portal", "members")
    assert secret not in repr(keys.list())


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # wrong secret, right key id
        lambda s: "cstk_000000000000_" + s.split("_", 2)[2],  # unknown key id
        lambda s: s.replace("cstk_", "cstx_"),
        lambda s: "",
    ],
)
def test_wrong_keys_are_refused(keys, mangle):
    _, secret = keys.create("portal", "members")
    with pytest.raises(AccessDenied):
        keys.verify(mangle(secret))


def test_revoked_key_is_refused_and_revoking_twice_changes_nothing(keys):
    info, secret = keys.create("portal", "members")
    assert keys.revoke(info.key_id) == 1
    with pytest.raises(AccessDenied, match="revoked"):
        keys.verify(secret)
    assert keys.revoke(info.key_id) == 0
    assert not keys.is_active(info.key_id)


def test_revoking_by_name_revokes_that_key_only(keys):
    a, _ = keys.create("portal-a", "members")
    b, _ = keys.create("portal-b", "members")
    assert keys.revoke("portal-a") == 1
    assert not keys.is_active(a.key_id) and keys.is_active(b.key_id)


def test_token_secret_is_generated_once_and_shared_by_every_store(tmp_path):
    first = KeyStore(tmp_path / "access.sqlite").token_secret()
    assert len(first) >= 48
    assert KeyStore(tmp_path / "access.sqlite").token_secret() == first


def test_token_round_trips_its_scope_key_subject_and_expiry(keys):
    info, _ = keys.create("portal", "members")
    signer = TokenSigner(keys.token_secret(), ttl_s=600)
    token, exp = signer.mint(info, subject="member-42")
    assert token.startswith("cstt_")
    assert abs(exp - (time.time() + 600)) < 5
    assert signer.verify(token) == {"scope": "members", "kid": info.key_id, "sub": "member-42", "exp": exp}


def test_each_token_without_a_subject_gets_its_own_identity(keys, auth):
    info, _ = keys.create("portal", "members")
    a, b = (auth.caller(auth.signer.mint(info)[0]) for _ in range(2))
    assert a.identity != b.identity and a.identity.startswith(f"token:{info.key_id}:")


def test_expired_token_is_refused(keys):
    info, _ = keys.create("portal", "members")
    token, _ = TokenSigner(keys.token_secret(), ttl_s=-1).mint(info)
    with pytest.raises(AccessDenied, match="expired"):
        TokenSigner(keys.token_secret(), ttl_s=600).verify(token)


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature tampered
        lambda t: (
            "cstt_" + _b64(json.dumps({"scope": "members", "kid": "x", "exp": 9999999999}).encode()) + "." + t.split(".")[1]
        ),
        lambda t: t.split(".")[0],  # signature missing
        lambda t: "cstt_" + "not base64 at all!" + "." + t.split(".")[1],
        lambda t: "cstt_",
    ],
)
def test_forged_tokens_are_refused(keys, forge):
    info, _ = keys.create("portal", "public")
    signer = TokenSigner(keys.token_secret(), ttl_s=600)
    token, _ = signer.mint(info)
    with pytest.raises(AccessDenied):
        signer.verify(forge(token))


def test_token_signed_with_another_secret_is_refused(keys):
    info, _ = keys.create("portal", "members")
    token, _ = TokenSigner(b"another secret", ttl_s=600).mint(info)
    with pytest.raises(AccessDenied):
        TokenSigner(keys.token_secret(), ttl_s=600).verify(token)


def test_correctly_signed_token_with_an_unknown_scope_is_refused(keys):
    import hashlib
    import hmac

    secret = keys.token_secret()
    payload = _b64(json.dumps({"scope": "admin", "kid": "x", "exp": int(time.time()) + 600}).encode())
    sig = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    with pytest.raises(AccessDenied):
        TokenSigner(secret, ttl_s=600).verify(f"cstt_{payload}.{sig}")


def test_no_credential_is_anonymous_with_public_audience_only(auth):
    assert auth.caller(None) is ANONYMOUS and auth.caller("") is ANONYMOUS
    assert ANONYMOUS.audiences == ("public",)


def test_member_key_and_its_token_give_the_members_audience(auth, keys):
    info, secret = keys.create("portal", "members")
    by_key = auth.caller(secret)
    assert by_key == Caller("key", "members", info.key_id)
    assert by_key.audiences == ("public", "members")
    token, _ = auth.signer.mint(info, subject="member-7")
    assert auth.caller(token) == Caller("token", "members", info.key_id, "member-7")


def test_public_key_gives_the_public_audience_only(auth, keys):
    _, secret = keys.create("site", "public")
    assert auth.caller(secret).audiences == ("public",)


def test_token_stops_working_when_its_key_is_revoked(auth, keys):
    info, _ = keys.create("portal", "members")
    token, _ = auth.signer.mint(info)
    keys.revoke(info.key_id)
    with pytest.raises(AccessDenied, match="revoked"):
        auth.caller(token)


@pytest.mark.parametrize("credential", ["hunter2", "Bearer", "cstk_", "cstt_x.y", "members"])
def test_unrecognised_credentials_are_refused_not_treated_as_anonymous(auth, credential):
    with pytest.raises(AccessDenied):
        auth.caller(credential)
