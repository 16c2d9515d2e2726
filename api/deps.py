"""Request dependencies: services, the caller's identity, and the rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

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


def get_caller(request: Request, services: ServicesDep) -> Caller:
    """The caller, authenticated; a bad credential is a 401, never a silent downgrade to anonymous."""
    caller = services.auth.caller(_credential(request))
    who = f"key:{caller.key_id}" if caller.key_id else f"ip:{request.client.host if request.client else 'unknown'}"
    services.limiter.check(who)
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
