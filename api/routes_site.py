"""The demo page, the widget script, health and readiness, and Prometheus metrics."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse, JSONResponse

from .deps import ServicesDep

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


@router.get("/healthz", tags=["health"])
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", tags=["health"])
def readyz(services: ServicesDep) -> JSONResponse:
    """The model and index are loaded and readable. ``database`` says whether the shared database answers: when it
    does not, anonymous search and ask still work (so the host stays ready) and key-based calls get 503."""
    try:
        status = services.assistant.ready()
    except Exception as exc:  # noqa: BLE001 - readiness reports, it does not fail
        return JSONResponse({"status": "not ready", "reason": type(exc).__name__}, status_code=503)
    ok = status["chunks"] > 0 and status["lexical_chunks"] == status["chunks"]
    return JSONResponse({"status": "ready" if ok else "not ready", **status}, status_code=200 if ok else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(services: ServicesDep) -> Response:
    return Response(services.metrics.render(services.assistant.index.chunk_count()), media_type="text/plain; version=0.0.4")
