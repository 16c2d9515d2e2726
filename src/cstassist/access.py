"""Who is calling, and what they may see.

Anonymous callers see public documents only. Members-only documents need a member credential: an
API key (for the member portal's server) or a short-lived signed token that the portal mints from its
key for a logged-in member's browser. Keys are stored hashed (SHA-256) in the database and compared in
constant time; tokens are HMAC-SHA256 signed and expire.

A credential arrives as whatever bytes a client sent (HTTP headers decode as latin-1), so every comparison
works on bytes and any malformed credential is an ``AccessDenied``, never another exception.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import or_, select, update

from .database import Database, api_keys, upsert
from .database import secrets as secrets_table
from .errors import AccessDenied, BadRequest

Scope = Literal["public", "members", "admin"]
# An admin key is for CST staff: the staff console and /v1/admin (see api/routes_admin.py); it sees what a member sees.
SCOPES: dict[str, tuple[str, ...]] = {"public": ("public",), "members": ("public", "members"), "admin": ("public", "members")}
TOKEN_SCOPES = ("public", "members")
KEY_PREFIX = "cstk_"
TOKEN_PREFIX = "cstt_"
_KEY_ID = re.compile(r"[0-9a-f]{12}")  # what KeyStore.create makes: secrets.token_hex(6)
SESSION_PREFIX = "csts_"


@dataclass(frozen=True)
class Caller:
    """The identity a request acts as. ``audiences`` decides what retrieval may return."""

    kind: Literal["anonymous", "key", "token"]
    scope: Scope
    key_id: str | None = None
    subject: str | None = None  # a token's subject, or an anonymous caller's server-issued session id

    @property
    def audiences(self) -> tuple[str, ...]:
        return SCOPES[self.scope]

    @property
    def identity(self) -> str:
        """Who owns what this caller creates (answers, feedback, conversations): the key, the token's subject
        under its key, or the anonymous session; ``local`` for the CLI and evaluation, which have no caller."""
        if self.kind == "key":
            return f"key:{self.key_id}"
        if self.kind == "token":
            return f"token:{self.key_id}:{self.subject or ''}"
        return f"anon:{self.subject}" if self.subject else "local"


ANONYMOUS = Caller("anonymous", "public")


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    name: str
    scope: str
    created_at: float
    revoked_at: float | None


class KeyStore:
    """API keys (their SHA-256 hashes) and the token-signing secret, in the one database."""

    def __init__(self, db: Database | Path) -> None:
        self.db = db if isinstance(db, Database) else Database.for_path(db)

    def create(self, name: str, scope: str) -> tuple[KeyInfo, str]:
        """A new key; the secret is returned once and only its hash is stored."""
        if scope not in SCOPES:
            raise BadRequest(f"scope must be one of {', '.join(SCOPES)}")
        if not name.strip():
            raise BadRequest("a key needs a name")
        key_id = secrets.token_hex(6)
        secret = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        now = time.time()
        with self.db.begin(durable=True) as conn:
            conn.execute(
                api_keys.insert().values(key_id=key_id, name=name.strip(), scope=scope, hash=_hash(secret), created_at=now)
            )
        return KeyInfo(key_id, name.strip(), scope, now, None), secret

    def list(self) -> list[KeyInfo]:
        with self.db.begin() as conn:
            rows = conn.execute(select(*_INFO).order_by(api_keys.c.created_at)).all()
        return [KeyInfo(*r) for r in rows]

    def revoke(self, key_id_or_name: str) -> int:
        c = api_keys.c
        with self.db.begin(durable=True) as conn:
            cur = conn.execute(
                update(api_keys)
                .where(or_(c.key_id == key_id_or_name, c.name == key_id_or_name), c.revoked_at.is_(None))
                .values(revoked_at=time.time())
            )
        return cur.rowcount

    def verify(self, secret: str) -> KeyInfo:
        with self.db.begin() as conn:
            row = conn.execute(select(*_INFO, api_keys.c.hash).where(api_keys.c.key_id == (named_key_id(secret) or ""))).first()
        expected = row[5] if row else _hash("no such key")
        if not hmac.compare_digest(expected.encode(), _hash(secret).encode()) or row is None:
            raise AccessDenied("invalid API key")
        if row[4] is not None:
            raise AccessDenied("this API key has been revoked")
        return KeyInfo(*row[:5])

    def is_active(self, key_id: str) -> bool:
        with self.db.begin() as conn:
            row = conn.execute(select(api_keys.c.revoked_at).where(api_keys.c.key_id == key_id)).first()
        return row is not None and row[0] is None

    def token_secret(self) -> bytes:
        """The signing secret, generated once and kept in the database (so every worker and host shares it)."""
        with self.db.begin(durable=True) as conn:
            upsert(conn, secrets_table, {"name": "token", "value": secrets.token_urlsafe(48)}, ("name",))
            return conn.execute(select(secrets_table.c.value).where(secrets_table.c.name == "token")).scalar_one().encode()


_INFO = (api_keys.c.key_id, api_keys.c.name, api_keys.c.scope, api_keys.c.created_at, api_keys.c.revoked_at)


def _bytes(text: str) -> bytes:
    """Any str as bytes (lone surrogates included), for hashing and comparing credentials."""
    return text.encode("utf-8", "surrogatepass")


def _hash(secret: str) -> str:
    return hashlib.sha256(_bytes(secret)).hexdigest()


def named_key_id(credential: str | None) -> str | None:
    """The key id a credential names, unverified: ``cstk_<id>_...`` or a token's ``kid`` claim.

    Used to count failed attempts against that key; ``None`` when the credential names no well-formed id.
    """
    if not credential:
        return None
    if credential.startswith(KEY_PREFIX):
        kid = credential[len(KEY_PREFIX) :].split("_", 1)[0]
    elif credential.startswith(TOKEN_PREFIX):
        try:
            claims = json.loads(_unb64(credential[len(TOKEN_PREFIX) :].split(".", 1)[0]))
        except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            return None
        kid = claims.get("kid") if isinstance(claims, dict) else None
    else:
        return None
    return kid if isinstance(kid, str) and _KEY_ID.fullmatch(kid) else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, secret: bytes, ttl_s: int) -> None:
        self.secret = secret
        self.ttl_s = ttl_s

    def mint(self, key: KeyInfo, subject: str | None = None) -> tuple[str, int]:
        """A token for ``key``'s scope. ``subject`` (default: a fresh random one) is whom it is for: what a
        member creates with it (conversations, feedback) belongs to that key and subject. An admin key mints no tokens:
        it is for staff, never handed on to a browser."""
        if key.scope == "admin":
            raise AccessDenied("an admin key cannot mint tokens; use a members or public key")
        exp = int(time.time()) + self.ttl_s
        claims = {"scope": key.scope, "kid": key.key_id, "sub": subject or secrets.token_hex(8), "exp": exp}
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self.secret, payload.encode(), hashlib.sha256).digest())
        return f"{TOKEN_PREFIX}{payload}.{sig}", exp

    def verify(self, token: str) -> dict:  # type: ignore[type-arg]
        try:
            payload, sig = token[len(TOKEN_PREFIX) :].split(".", 1)
            good = _b64(hmac.new(self.secret, _bytes(payload), hashlib.sha256).digest())
            if not hmac.compare_digest(good.encode(), _bytes(sig)):
                raise AccessDenied("invalid token")
            claims = json.loads(_unb64(payload))
        except (ValueError, json.JSONDecodeError, UnicodeDecodeError):
            raise AccessDenied("invalid token") from None
        # a token is never admin: admin keys mint none (see ``mint``), so a token claiming it is refused
        if not isinstance(claims, dict) or claims.get("scope") not in TOKEN_SCOPES or not isinstance(claims.get("exp"), int):
            raise AccessDenied("invalid token")
        if claims["exp"] < time.time():
            raise AccessDenied("token expired")
        return claims


class AnonymousSessions:
    """Server-issued ids for anonymous callers (``X-CSTAssist-Session``), HMAC-signed so that a client cannot
    pick one: the id is what an anonymous caller's conversations and answers belong to."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, sid: str) -> str:
        return _b64(hmac.new(self._secret, b"session:" + sid.encode(), hashlib.sha256).digest())[:32]

    def issue(self) -> str:
        sid = secrets.token_hex(16)
        return f"{SESSION_PREFIX}{sid}.{self._sign(sid)}"

    def verify(self, value: str | None) -> str | None:
        """The session id in ``value``, or None when it is missing, malformed or not signed by this service."""
        if not value or not value.startswith(SESSION_PREFIX) or len(value) > 100:
            return None
        sid, _, sig = value[len(SESSION_PREFIX) :].partition(".")
        if len(sid) != 32 or not hmac.compare_digest(self._sign(sid).encode(), sig.encode("utf-8", "replace")):
            return None
        return sid


class Authenticator:
    """Turns a credential from a request into a ``Caller`` (or raises ``AccessDenied``)."""

    def __init__(self, keys: KeyStore, signer: TokenSigner) -> None:
        self.keys = keys
        self.signer = signer

    def caller(self, credential: str | None) -> Caller:
        if not credential:
            return ANONYMOUS
        if credential.startswith(TOKEN_PREFIX):
            claims = self.signer.verify(credential)
            if not self.keys.is_active(str(claims.get("kid"))):
                raise AccessDenied("the key behind this token has been revoked")
            sub = claims.get("sub")
            return Caller("token", claims["scope"], claims.get("kid"), sub if isinstance(sub, str) else None)
        if credential.startswith(KEY_PREFIX):
            info = self.keys.verify(credential)
            return Caller("key", info.scope, info.key_id)  # type: ignore[arg-type]
        raise AccessDenied("unrecognised credential")
