"""Request dependencies: services, the caller's identity (with an anonymous caller's session), and the rate limit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Literal

from fastapi import Depends, Request, Response

from cstassist.access import Caller, named_key_id
from cstassist.errors import AccessDenied
from cstassist.staff.sessions import COOKIE as STAFF_COOKIE
from cstassist.staff.sessions import CSRF_HEADER, StaffOnly

from .console import Console
from .services import Services


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def credential(request: Request) -> str | None:
    """The credential a request carries; ``None`` only when it carries none.

    A header that is present but empty (``Authorization: Bearer``) is a bad credential, not anonymity.
    """
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        value = value.strip() if scheme.lower() == "bearer" else header.strip()
        if not value:
            raise AccessDenied("empty credential")
        return value
    key = request.headers.get("x-api-key")
    if key is not None and not key.strip():
        raise AccessDenied("empty credential")
    return key


def client_id(request: Request) -> str:
    return f"ip:{request.client.host if request.client else 'unknown'}"


def charge_failure(request: Request, services: Services, named: str | None = None) -> None:
    """A request that failed authentication or validation costs its client one request of the rate limit
    (raising ``RateLimited`` when that budget is spent), and a failed credential naming a key costs that
    key's failure budget too: guessing credentials is never free, even from a client already limited."""
    if getattr(request.state, "charged", False):
        return
    request.state.charged = True
    services.limiter.check(client_id(request))
    if named:
        services.limiter.check(f"auth-failures:key:{named}")


SESSION_HEADER = "X-CSTAssist-Session"
SESSION_COOKIE = "cstassist_session"


def session_headers(request: Request) -> dict[str, str]:
    """The anonymous session's response headers (for responses built by hand, such as the event stream)."""
    session = getattr(request.state, "session", None)
    if not session:
        return {}
    cookie = f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"
    return {SESSION_HEADER: session, "Set-Cookie": cookie}


def get_caller(request: Request, response: Response, services: ServicesDep) -> Caller:
    """The caller, authenticated; a bad credential is a 401, never a silent downgrade to anonymous. An anonymous
    caller is given a session (``X-CSTAssist-Session`` response header and cookie; send either back): it is what
    their conversations and answers belong to, so nobody else can continue or rate them."""
    given = None
    try:
        given = credential(request)
        caller = services.auth.caller(given)
    except AccessDenied:
        charge_failure(request, services, named_key_id(given))
        raise
    request.state.charged = True
    if caller.kind == "anonymous":
        session = request.headers.get(SESSION_HEADER) or request.cookies.get(SESSION_COOKIE)
        sid = services.sessions.verify(session)
        if sid is None:
            session = services.sessions.issue()
            sid = services.sessions.verify(session)
        request.state.session = session
        for name, value in session_headers(request).items():
            response.headers.append(name, value)
        caller = replace(caller, subject=sid)
    services.limiter.check(f"key:{caller.key_id}" if caller.key_id else client_id(request))
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


# --- staff (the console and /v1/admin) ---------------------------------------------------------------------
@dataclass(frozen=True)
class Staff:
    """A staff member: an admin key sent with the request, or a console session signed in with one."""

    actor: str  # for the audit log: key:<id> (<name>)
    key_id: str
    via: Literal["key", "session"]
    csrf: str | None = None


def get_console(request: Request) -> Console:
    return request.app.state.console


ConsoleDep = Annotated[Console, Depends(get_console)]


def same_origin(request: Request) -> None:
    """Refuse a request whose Origin (or, without one, Referer) names another site than this service."""
    given = request.headers.get("origin") or request.headers.get("referer")
    if given is None:
        return  # not sent by a browser page; the session's CSRF header is still required
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    origin = "/".join(given.split("/", 3)[:3])
    if origin != own:
        raise StaffOnly("cross-site request refused (its Origin is not this service's)")


def get_staff(request: Request, services: ServicesDep) -> Staff:
    """The staff member calling, or 401 (no or bad credential, no live session) / 403 (a member or public key, a
    token, a console request without its CSRF header or from another site). Every refusal costs a request."""
    console: Console = request.app.state.console
    given = None
    try:
        given = credential(request)
        if given is not None:
            caller = services.auth.caller(given)
            if caller.kind != "key" or caller.scope != "admin" or caller.key_id is None:
                raise StaffOnly("this route is for CST staff: it needs an admin key or a staff console session")
            name = next((k.name for k in services.keys.list() if k.key_id == caller.key_id), "")
            staff = Staff(f"key:{caller.key_id} ({name})", caller.key_id, "key")
        else:
            session = console.sessions.verify(request.cookies.get(STAFF_COOKIE))
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                same_origin(request)
                console.sessions.check_csrf(session, request.headers.get(CSRF_HEADER))
            staff = Staff(session.actor, session.key_id, "session", session.csrf)
    except (AccessDenied, StaffOnly):
        charge_failure(request, services, named_key_id(given))
        raise
    request.state.charged = True
    services.limiter.check(f"key:{staff.key_id}")
    return staff


StaffDep = Annotated[Staff, Depends(get_staff)]
