"""Request ids, structured JSON logs and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cstassist.errors import RateLimited

from .security_headers import security_headers

log = logging.getLogger("cstassist.access")
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:/+=-]+")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER = "/other"  # the one label for every path that is no route of the app


def route_label(scope: Scope, routes: Sequence[BaseRoute] = ()) -> str:
    """The route template a request is counted under: the matched route's (``/v1/documents/{document_id}``), or for a
    request refused before routing (413, 431) the template of the one of ``routes`` its path would have reached,
    else ``/other``. Never the raw path: each distinct path would otherwise be a new metrics series (3,500 refused
    requests made 59,784 series and a 17.8 MB /metrics)."""
    route = scope.get("route")
    if getattr(route, "path", None):
        return route.path  # type: ignore[union-attr]
    for candidate in routes:
        try:
            match, _ = candidate.matches({**scope, "type": "http"})
        except Exception:  # noqa: BLE001 - a path no route can parse is simply no route's
            continue
        if match is not Match.NONE and getattr(candidate, "path", None):
            return candidate.path  # type: ignore[attr-defined]
    return OTHER


def method_label(scope: Scope) -> str:
    method = str(scope.get("method", ""))
    return method if method in _METHODS else "OTHER"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "cstassist_requests_total", "HTTP requests", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "cstassist_request_seconds",
            "Request latency",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.abstentions = Counter("cstassist_abstentions_total", "Questions the assistant abstained on", registry=self.registry)
        self.answers = Counter("cstassist_answers_total", "Questions answered", registry=self.registry)
        # the index size counts members-only passages too, so it has its own registry, shown to operators only
        self.operator_registry = CollectorRegistry()
        self.index_chunks = Gauge("cstassist_index_chunks", "Chunks in the index", registry=self.operator_registry)

    def answered(self, abstained: bool) -> None:
        (self.abstentions if abstained else self.answers).inc()

    def render(self, index_chunks: int | None = None) -> bytes:
        """Prometheus text; the index size only when ``index_chunks`` is given (a caller with the metrics token)."""
        if index_chunks is None:
            return generate_latest(self.registry)
        self.index_chunks.set(index_chunks)
        return generate_latest(self.registry) + generate_latest(self.operator_registry)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class RequestMiddleware:
    """Gives every request an id (X-Request-ID), enforces the header and body size limits, logs and measures it."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        max_body: int,
        max_head: int = 16 * 1024,
        routes: Sequence[BaseRoute] = (),
        large_bodies: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body
        self.max_head = max_head
        self.routes = routes  # the app's routes, to label a request refused before it was routed
        self.large_bodies = large_bodies or {}  # exact path -> its own body limit (POST only: uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")[:64]
        # a caller's id is echoed in a header and the logs, so only plain ASCII ids are kept (other bytes gave a 500)
        rid = given.decode() if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
        started = time.perf_counter()
        status = {"code": 500}
        # cstassist serve refuses an oversized head before it is read whole (api/server.py); this catches it
        # under any other server
        head = (
            len(scope.get("raw_path") or b"")
            + len(scope.get("query_string", b""))
            + sum(len(k) + len(v) + 4 for k, v in scope["headers"])
        )
        if head > self.max_head:
            code = await self._charged(scope, send, rid) or await _refuse(
                send, rid, 431, "headers_too_large", f"request headers over {self.max_head} bytes"
            )
            self._done(scope, code, started, rid)
            return
        max_body = self.large_bodies.get(scope.get("path", ""), self.max_body) if scope.get("method") == "POST" else self.max_body
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None and (not length.isdigit() or int(length) > max_body):
            code = await self._charged(scope, send, rid) or await _too_large(send, rid, max_body)
            self._done(scope, code, started, rid)
            return
        seen = {"bytes": 0}

        async def limited_receive() -> Message:
            msg = await receive()
            if msg["type"] == "http.request":
                seen["bytes"] += len(msg.get("body", b""))
                if seen["bytes"] > max_body:
                    raise _BodyTooLarge(max_body)
            return msg

        async def send_with_id(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                status["code"] = msg["status"]
                headers = list(msg.get("headers", []))
                present = {bytes(k).lower() for k, _ in headers}
                msg["headers"] = headers + [(b"x-request-id", rid.encode())] + security_headers(scope["path"], present)
            await send(msg)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except _BodyTooLarge:
            await _too_large(send, rid, max_body)
            status["code"] = 413
        self._done(scope, status["code"], started, rid)

    async def _charged(self, scope: Scope, send: Send, rid: str) -> int:
        """Charge a request refused before routing to its client's rate limit, as a failed credential or an invalid
        body is: 0 when the client had budget left (the refusal goes ahead), else 429 sent with ``Retry-After``."""
        services = getattr(getattr(scope.get("app"), "state", None), "services", None)
        if services is None:  # not started (no lifespan): nothing to charge
            return 0
        client = scope.get("client")
        try:
            services.limiter.check(f"ip:{client[0] if client else 'unknown'}")
        except RateLimited as exc:
            return await _refuse(send, rid, 429, "rate_limited", str(exc), [(b"retry-after", str(exc.retry_after).encode())])
        return 0

    def _done(self, scope: Scope, status: int, started: float, rid: str) -> None:
        path = route_label(scope, self.routes)
        elapsed = time.perf_counter() - started
        self.metrics.requests.labels(path, method_label(scope), str(status)).inc()
        self.metrics.latency.labels(path).observe(elapsed)
        log.info(
            "request",
            extra={
                "fields": {
                    "request_id": rid,
                    "method": scope.get("method"),
                    "route": path,
                    "status": status,
                    "ms": round(elapsed * 1000, 2),
                }
            },
        )


class _BodyTooLarge(HTTPException):
    """An HTTPException so that FastAPI, reading the body inside a route, passes it on as a 413 instead of
    wrapping it in a generic 400 "error parsing the body" (a chunked body has no Content-Length to check first)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


async def _too_large(send: Send, rid: str, limit: int) -> int:
    return await _refuse(send, rid, 413, "payload_too_large", f"request body over {limit} bytes")


async def _refuse(
    send: Send, rid: str, status: int, code: str, message: str, extra: list[tuple[bytes, bytes]] | None = None
) -> int:
    """Send a JSON error response; returns its status."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", rid.encode()),
                *(extra or []),
                *security_headers("", set()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
    return status
