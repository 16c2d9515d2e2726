"""Request dependencies: services, the caller's identity (with an anonymous caller's session), and the rate limit."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request, Response

from cstassist.access import Caller

from .services import Services


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def _credential(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else header.strip()
    return request.headers.get("x-api-key")


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
    caller = services.auth.caller(_credential(request))
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
    who = f"key:{caller.key_id}" if caller.key_id else f"ip:{request.client.host if request.client else 'unknown'}"
    services.limiter.check(who)
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
