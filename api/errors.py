"""One mapping from errors to responses: ``{"error": {"code", "message"}}``, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cstassist.errors import CSTAssistError, RateLimited

from .deps import charge_failure

log = logging.getLogger("cstassist.api")
MAX_MESSAGE_CHARS = 300  # messages may quote the caller's input; a 10,000-character id is not echoed whole


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _domain_response(exc: CSTAssistError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return error_response(exc.http_status, exc.code, str(exc), headers)


def _validation_message(exc: RequestValidationError) -> tuple[str, str]:
    errors = exc.errors()
    if not errors:
        return "invalid_request", "invalid request"
    err = errors[0]
    if err.get("type") == "json_invalid":
        return "malformed_json", "the request body is not valid JSON"
    loc = ".".join(str(x) for x in err.get("loc", []) if x != "body") or "body"
    msg = str(err.get("msg", "invalid value"))
    if err.get("type") == "extra_forbidden":
        msg = "unknown field"
    return "invalid_request", f"{loc}: {msg}"[:300]


def install(app: FastAPI) -> None:
    @app.exception_handler(CSTAssistError)
    async def _domain(request: Request, exc: CSTAssistError) -> JSONResponse:
        return _domain_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        # a body that fails validation may never have reached the caller dependency: it still costs a request
        services = getattr(request.app.state, "services", None)
        if services is not None:
            try:
                charge_failure(request, services)
            except RateLimited as limited:
                return _domain_response(limited)
        code, message = _validation_message(exc)
        return error_response(400 if code == "malformed_json" else 422, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type"}
        return error_response(
            exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail), getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return error_response(500, "internal_error", "something went wrong on our side; it has been logged")
