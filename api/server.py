"""How uvicorn serves the app: its HTTP protocol with a cap on the request head, read timeouts and a cap on
connections per client.

uvicorn's httptools protocol buffers a request's headers without limit (a single 50 MB header was
accepted and slowed every other request while it was parsed). ``HeadLimitedProtocol`` counts the bytes
of each request head as they arrive and answers 431 once they pass the limit, before the head is
complete, so an oversized head costs at most a read buffer or two. ``RequestMiddleware`` checks the same
limit again inside the app, for any other server.

uvicorn also has no read timeouts of its own except keep-alive (idle time *after* a response): a connection
that never sends a byte, a head sent one byte at a time, or a body announced and never sent were held for 60 s
and more (issue 18, finding 8). ``TimedProtocol`` adds three limits:

- the head (request line and headers) must arrive within ``header_timeout_s`` of the connection opening or the
  previous response ending: past it, 408 if part of a head came, else the connection is just closed;
- a body must arrive whole within ``body_timeout_s`` of its head (a total, not an idle timer, so a body dripped
  one byte at a time is cut off too): past it, 408 if no response has begun, else the connection is closed;
- one client address holds at most ``max_connections_per_client`` open connections: another is answered 429
  and closed at once (counted per server process; 0 turns the cap off, e.g. behind a reverse proxy whose
  single address would otherwise be the only client).
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def head_too_large_body(limit: int) -> bytes:
    return _error_body("headers_too_large", f"request headers over {limit} bytes")


def _refusal(status: str, body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 " + status.encode() + b"\r\n"
        b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n" + extra + b"connection: close\r\n\r\n" + body
    )


class HeadLimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head (request line + headers) over ``max_head_bytes``,
    with read timeouts and a cap on connections per client address (module docstring)."""

    def __init__(
        self,
        *args: Any,
        max_head_bytes: int = 16 * 1024,
        header_timeout_s: float = 10.0,
        body_timeout_s: float = 30.0,
        max_connections_per_client: int = 32,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes = max_head_bytes
        self.header_timeout_s, self.body_timeout_s = header_timeout_s, body_timeout_s
        self.max_connections_per_client = max_connections_per_client
        self._in_head = True  # until the parser says the current request's headers are complete
        self._head_bytes = 0
        self._boundary = False  # a request began or ended inside the read being parsed
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._counted: str | None = None  # the client address this connection is counted against

    # -- connections per client ---------------------------------------------------------------------------
    def _per_client(self) -> dict[str, int]:
        # kept on uvicorn's per-server state, so two servers in one process (tests) count separately
        counts = getattr(self.server_state, "cstassist_connections", None)
        if counts is None:
            counts = {}
            self.server_state.cstassist_connections = counts  # type: ignore[attr-defined]
        return counts

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        host = self.client[0] if self.client else None
        if host is not None and self.max_connections_per_client > 0:
            counts = self._per_client()
            if counts.get(host, 0) >= self.max_connections_per_client:
                body = _error_body(
                    "too_many_connections", f"more than {self.max_connections_per_client} open connections from one client"
                )
                self.transport.write(_refusal("429 Too Many Requests", body, b"retry-after: 1\r\n"))
                self.transport.close()
                return
            counts[host] = counts.get(host, 0) + 1
            self._counted = host
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None
        if self._counted is not None:
            counts = self._per_client()
            counts[self._counted] -= 1
            if counts[self._counted] <= 0:
                del counts[self._counted]
            self._counted = None
        super().connection_lost(exc)

    # -- read timeouts ------------------------------------------------------------------------------------
    def _arm_head_timer(self) -> None:
        if self._head_timer is None and not self.transport.is_closing():
            self._head_timer = self.loop.call_later(self.header_timeout_s, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm_head_timer()  # a response is in progress; a pipelined head waits for it, not for the client
            return
        if self._head_bytes or not self._in_head:
            body = _error_body("request_timeout", f"the request head did not arrive within {self.header_timeout_s:g} s")
            self.transport.write(_refusal("408 Request Timeout", body))
        self.transport.close()

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # the app is not reading yet: the wait is ours, not the client's
            self._body_timer = self.loop.call_later(self.body_timeout_s, self._body_timed_out)
            return
        if self.cycle is not None and not self.cycle.response_started:
            body = _error_body("request_timeout", f"the request body did not arrive within {self.body_timeout_s:g} s")
            self.transport.write(_refusal("408 Request Timeout", body))
        self.transport.close()

    def _expects_body(self) -> bool:
        for name, value in self.headers:
            if name == b"content-length":
                return value.strip() not in (b"0", b"")
            if name == b"transfer-encoding":
                return True
        return False

    # -- head size ----------------------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        self._boundary = False
        super().data_received(data)
        if not self._in_head or self.transport.is_closing():
            return
        # A read parsed entirely inside one incomplete head belongs to it. Where a request began or ended
        # inside the read, how much of it is head is unknown, so it is not counted: an oversized head is
        # still refused, at most one read (256 KiB) later. The app checks the exact size (RequestMiddleware).
        if not self._boundary:
            self._head_bytes += len(data)
        if self._head_bytes > self.max_head_bytes:
            self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes, self._boundary = True, 1, True
        self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().on_headers_complete()
        if self._expects_body() and self._body_timer is None:
            self._body_timer = self.loop.call_later(self.body_timeout_s, self._body_timed_out)

    def on_message_complete(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()
        self._in_head, self._head_bytes, self._boundary = True, 0, True

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_head_timer()  # the next head is due within the limit (keep-alive usually closes first)

    def _refuse(self) -> None:
        self.transport.write(_refusal("431 Request Header Fields Too Large", head_too_large_body(self.max_head_bytes)))
        self.transport.close()


def http_protocol(
    max_head_bytes: int,
    *,
    header_timeout_s: float = 10.0,
    body_timeout_s: float = 30.0,
    max_connections_per_client: int = 32,
) -> Any:
    """The ``http=`` argument for ``uvicorn.run`` / ``uvicorn.Config`` (picklable, so ``--workers`` works)."""
    return functools.partial(
        HeadLimitedProtocol,
        max_head_bytes=max_head_bytes,
        header_timeout_s=header_timeout_s,
        body_timeout_s=body_timeout_s,
        max_connections_per_client=max_connections_per_client,
    )


def protocol_for(limits: Any) -> Any:
    """``http_protocol`` with every limit taken from ``Settings.limits`` (what ``cstassist serve`` runs)."""
    return http_protocol(
        limits.max_header_bytes,
        header_timeout_s=limits.header_timeout_s,
        body_timeout_s=limits.body_timeout_s,
        max_connections_per_client=limits.max_connections_per_client,
    )
