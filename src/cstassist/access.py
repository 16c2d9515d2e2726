"""Who is calling, and what they may see.

Anonymous callers see public documents only. Members-only documents need a member credential: an
API key (for the member portal's server) or a short-lived signed token that the portal mints from its
key for a logged-in member's browser. Keys are stored hashed (SHA-256) in SQLite and compared in
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
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import AccessDenied, BadRequest

Scope = Literal["public", "members"]
SCOPES: dict[str, tuple[str, ...]] = {"public": ("public",), "members": ("public", "members")}
KEY_PREFIX = "cstk_"
TOKEN_PREFIX = "cstt_"
_KEY_ID = re.compile(r"[0-9a-f]{12}")  # what KeyStore.create makes: secrets.token_hex(6)


@dataclass(frozen=True)
class Caller:
    """The identity a request acts as. ``audiences`` decides what retrieval may return."""

    kind: Literal["anonymous", "key", "token"]
    scope: Scope
    key_id: str | None = None

    @property
    def audiences(self) -> tuple[str, ...]:
        return SCOPES[self.scope]


ANONYMOUS = Caller("anonymous", "public")


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    name: str
    scope: str
    created_at: float
    revoked_at: float | None


class KeyStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS api_keys (key_id TEXT PRIMARY KEY, name TEXT, scope TEXT, hash TEXT, created_at REAL, revoked_at REAL)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT)")

    def create(self, name: str, scope: str) -> tuple[KeyInfo, str]:
        """A new key; the secret is returned once and only its hash is stored."""
        if scope not in SCOPES:
            raise BadRequest(f"scope must be one of {', '.join(SCOPES)}")
        if not name.strip():
            raise BadRequest("a key needs a name")
        key_id = secrets.token_hex(6)
        secret = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        now = time.time()
        self._db.execute("INSERT INTO api_keys VALUES (?,?,?,?,?,NULL)", (key_id, name.strip(), scope, _hash(secret), now))
        return KeyInfo(key_id, name.strip(), scope, now, None), secret

    def list(self) -> list[KeyInfo]:
        rows = self._db.execute("SELECT key_id, name, scope, created_at, revoked_at FROM api_keys ORDER BY created_at")
        return [KeyInfo(*r) for r in rows]

    def revoke(self, key_id_or_name: str) -> int:
        cur = self._db.execute(
            "UPDATE api_keys SET revoked_at=? WHERE (key_id=? OR name=?) AND revoked_at IS NULL",
            (time.time(), key_id_or_name, key_id_or_name),
        )
        return cur.rowcount

    def verify(self, secret: str) -> KeyInfo:
        row = self._db.execute(
            "SELECT key_id, name, scope, created_at, revoked_at, hash FROM api_keys WHERE key_id=?", (named_key_id(secret) or "",)
        ).fetchone()
        expected = row[5] if row else _hash("no such key")
        if not hmac.compare_digest(expected.encode(), _hash(secret).encode()) or row is None:
            raise AccessDenied("invalid API key")
        if row[4] is not None:
            raise AccessDenied("this API key has been revoked")
        return KeyInfo(*row[:5])

    def is_active(self, key_id: str) -> bool:
        row = self._db.execute("SELECT revoked_at FROM api_keys WHERE key_id=?", (key_id,)).fetchone()
        return row is not None and row[0] is None

    def token_secret(self) -> bytes:
        """The signing secret, generated once and kept with the keys (so all workers share it)."""
        row = self._db.execute("SELECT value FROM secrets WHERE name='token'").fetchone()
        if row:
            return row[0].encode()
        value = secrets.token_urlsafe(48)
        self._db.execute("INSERT OR IGNORE INTO secrets VALUES ('token', ?)", (value,))
        return self._db.execute("SELECT value FROM secrets WHERE name='token'").fetchone()[0].encode()


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

    def mint(self, key: KeyInfo) -> tuple[str, int]:
        exp = int(time.time()) + self.ttl_s
        payload = _b64(json.dumps({"scope": key.scope, "kid": key.key_id, "exp": exp}, separators=(",", ":")).encode())
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
        if not isinstance(claims, dict) or claims.get("scope") not in SCOPES or not isinstance(claims.get("exp"), int):
            raise AccessDenied("invalid token")
        if claims["exp"] < time.time():
            raise AccessDenied("token expired")
        return claims


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
            return Caller("token", claims["scope"], claims.get("kid"))
        if credential.startswith(KEY_PREFIX):
            info = self.keys.verify(credential)
            return Caller("key", info.scope, info.key_id)  # type: ignore[arg-type]
        raise AccessDenied("unrecognised credential")
