"""POST /v1/tokens (portal key -> short-lived member token) and POST /v1/feedback."""

from __future__ import annotations

from fastapi import APIRouter

from cstassist.errors import AccessDenied

from .deps import CallerDep, ServicesDep
from .schemas import ERRORS, FeedbackIn, TokenIn, TokenOut

router = APIRouter(prefix="/v1", tags=["access"])


@router.post("/tokens", response_model=TokenOut, responses=ERRORS)
def mint_token(caller: CallerDep, services: ServicesDep, body: TokenIn | None = None) -> TokenOut:
    """Exchange an API key (server side) for a short-lived token to hand to the widget in a member's page; pass the
    member's ``subject`` so their conversation carries on across token refreshes."""
    if caller.kind != "key" or caller.key_id is None:
        raise AccessDenied("an API key is required to mint tokens")
    info = next(k for k in services.keys.list() if k.key_id == caller.key_id)
    token, exp = services.auth.signer.mint(info, subject=body.subject if body else None)
    return TokenOut(token=token, expires_at=exp, scope=info.scope)


@router.post("/feedback", status_code=201, responses=ERRORS)
def feedback(body: FeedbackIn, caller: CallerDep, services: ServicesDep) -> dict[str, bool]:
    """Thumbs up/down (and an optional comment) on an answer the same caller was given; the last rating wins."""
    services.feedback.add(body.answer_id, body.rating, body.comment, owner=caller.identity)
    return {"ok": True}
