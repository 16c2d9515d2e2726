"""Console sessions: a staff member signs in at ``/admin`` with an admin key and the browser keeps a session cookie.

The cookie is random, HttpOnly and SameSite=Strict; only its SHA-256 is stored (in the database, so every host
knows it). Each session has its own CSRF token, which the page sends back in a header on every state-changing
call (the cookie alone never suffices: a cross-site form or script cannot read the token). A session ends when
its key is revoked, when staff sign out, or after ``admin.session_idle_s`` without a request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from ..access import KeyInfo, KeyStore
from ..database import Database, staff_sessions
from ..errors import AccessDenied, CSTAssistError

COOKIE = "cstassist_staff"
CSRF_HEADER = "X-CSRF-Token"


class StaffOnly(CSTAssistError):
    """An authenticated caller that is not staff (a member or public key, a token): 403."""

    code = "forbidden"
    http_status = 403


@dataclass(frozen=True)
class ConsoleSession:
    key_id: str
    key_name: str
    csrf: str
    last_seen: float

    @property
    def actor(self) -> str:
        return f"key:{self.key_id} ({self.key_name})"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class ConsoleSessions:
    def __init__(self, db: Database, keys: KeyStore, idle_s: int) -> None:
        self.db = db
        self.keys = keys
        self.idle_s = idle_s

    def sign_in(self, secret: str) -> tuple[str, ConsoleSession]:
        """A new session for an admin key: (the cookie value, the session). Any other key is refused."""
        info = self.keys.verify(secret)  # AccessDenied for an unknown or revoked key
        if info.scope != "admin":
            raise StaffOnly("the staff console needs an admin key (cstassist keys create --scope admin)")
        cookie, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(24), time.time()
        with self.db.begin(durable=True) as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.last_seen < now - self.idle_s))
            conn.execute(
                staff_sessions.insert().values(
                    session_hash=_hash(cookie), key_id=info.key_id, csrf=csrf, created_at=now, last_seen=now
                )
            )
        return cookie, ConsoleSession(info.key_id, info.name, csrf, now)

    def verify(self, cookie: str | None) -> ConsoleSession:
        """The live session behind ``cookie`` (its idle clock restarted), or ``AccessDenied``."""
        if not cookie or len(cookie) > 100:
            raise AccessDenied("sign in to the staff console")
        c, now = staff_sessions.c, time.time()
        with self.db.begin() as conn:
            row = conn.execute(select(c.key_id, c.csrf, c.last_seen).where(c.session_hash == _hash(cookie))).first()
            if row is None:
                raise AccessDenied("sign in to the staff console")
            if row.last_seen < now - self.idle_s:
                conn.execute(delete(staff_sessions).where(c.session_hash == _hash(cookie)))
                raise AccessDenied("signed out after inactivity; sign in again")
            info = self._admin_key(row.key_id)
            conn.execute(update(staff_sessions).where(c.session_hash == _hash(cookie)).values(last_seen=now))
        return ConsoleSession(info.key_id, info.name, row.csrf, now)

    def _admin_key(self, key_id: str) -> KeyInfo:
        info = next((k for k in self.keys.list() if k.key_id == key_id), None)
        if info is None or info.revoked_at is not None or info.scope != "admin":
            raise AccessDenied("the key behind this session has been revoked; sign in again")
        return info

    @staticmethod
    def check_csrf(session: ConsoleSession, given: str | None) -> None:
        if not given or not hmac.compare_digest(session.csrf.encode(), given.encode("utf-8", "surrogatepass")):
            raise StaffOnly(f"a state-changing console request needs the session's {CSRF_HEADER} header")

    def sign_out(self, cookie: str | None) -> None:
        if cookie:
            with self.db.begin(durable=True) as conn:
                conn.execute(delete(staff_sessions).where(staff_sessions.c.session_hash == _hash(cookie)))
