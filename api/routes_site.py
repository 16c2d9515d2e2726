"""The demo page, the widget script, health and readiness, and Prometheus metrics."""

from __future__ import annotations

import hmac
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse

from cstassist.errors import AccessDenied

from .deps import ServicesDep, charge_failure, credential
from .schemas import ErrorOut
from .services import Services

STATIC = Path(__file__).parent / "static"
router = APIRouter()


@router.get("/", include_in_schema=False)
def demo_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/widget.js", include_in_schema=False)
def widget() -> FileResponse:
    return FileResponse(
        STATIC / "widget.js", media_type="application/javascript", headers={"Cache-Control": "public, max-age=300"}
    )


@router.get("/demo.js", include_in_schema=False)
def demo_script() -> FileResponse:
    """The demo page's own script (its example questions), not inline so the page's CSP forbids inline script."""
    return FileResponse(STATIC / "demo.js", media_type="application/javascript", headers={"Cache-Control": "public, max-age=300"})


@router.get("/healthz", tags=["health"])
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


def _operator(request: Request, services: Services) -> bool:
    """True for a caller with the metrics token; False for one with no credential; 401 for any other.

    Index figures (chunk and document counts) include members-only content, so anonymous callers never see them.
    """
    given = credential(request)
    if given is None:
        return False
    expected = services.settings.metrics_token
    if expected is not None and hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.get_secret_value().encode("utf-8", "surrogatepass")
    ):
        return True
    charge_failure(request, services)
    raise AccessDenied("this route takes the metrics token (CSTASSIST_METRICS_TOKEN) or no credential")


@router.get("/readyz", tags=["health"], responses={s: {"model": ErrorOut} for s in (401, 429, 503)})
def readyz(request: Request, services: ServicesDep) -> JSONResponse:
    """The model and index are loaded and readable. Index figures only with the metrics token. ``database`` says
    whether the shared database answers: when it does not, anonymous search and ask still work (so the host stays
    ready) and key-based calls get 503. A database whose integrity check fails (``damaged``) or a vector index
    that cannot be read whole (``index``: what is wrong, to the operator; ``damaged`` to others) is not ready."""
    operator = _operator(request, services)
    try:
        status = services.assistant.ready()
    except Exception as exc:  # noqa: BLE001 - readiness reports, it does not fail
        return JSONResponse({"status": "not ready", "reason": type(exc).__name__}, status_code=503)
    ok = (
        status["chunks"] > 0
        and status["lexical_chunks"] == status["chunks"]
        and status.get("index") == "ok"  # a deleted or damaged vector segment is not served without a word
        and status.get("database") != "damaged"  # nor a database whose own integrity check fails
    )
    public = {"database": status["database"]} if "database" in status else {}  # no counts of members-only content
    if status.get("index") not in (None, "ok"):
        public["index"] = "damaged"
    body = {"status": "ready" if ok else "not ready", **(status if operator else public)}
    if status["chunks"] == 0:  # a typo in CSTASSIST_DATA_DIR must not look like "nothing relevant"
        body["reason"] = "the index holds no documents: run `cstassist ingest`, or check CSTASSIST_DATA_DIR"
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, services: ServicesDep) -> Response:
    chunks = services.assistant.index.chunk_count() if _operator(request, services) else None
    return Response(services.metrics.render(chunks), media_type="text/plain; version=0.0.4")
