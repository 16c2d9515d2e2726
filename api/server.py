"""How uvicorn serves the app: its HTTP protocol with a cap on the request head.

uvicorn's httptools protocol buffers a request's headers without limit (a single 50 MB header was
accepted and slowed every other request while it was parsed). ``HeadLimitedProtocol`` counts the bytes
of each request head as they arrive and answers 431 once they pass the limit, before the head is
complete, so an oversized head costs at most a read buffer or two. ``RequestMiddleware`` checks the same
limit again inside the app, for any other server.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def head_too_large_body(limit: int) -> bytes:
    return json.dumps({"error": {"code": "headers_too_large", "message": f"request headers over {limit} bytes"}}).encode()


class HeadLimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head (request line + headers) over ``max_head_bytes``."""

    def __init__(self, *args: Any, max_head_bytes: int = 16 * 1024, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes = max_head_bytes
        self._in_head = True  # until the parser says the current request's headers are complete
        self._head_bytes = 0
        self._boundary = False  # a request began or ended inside the read being parsed

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
        self._in_head, self._head_bytes, self._boundary = True, 0, True

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes, self._boundary = True, 0, True

    def _refuse(self) -> None:
        body = head_too_large_body(self.max_head_bytes)
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        self.transport.close()


def http_protocol(max_head_bytes: int) -> Any:
    """The ``http=`` argument for ``uvicorn.run`` / ``uvicorn.Config`` (picklable, so ``--workers`` works)."""
    return functools.partial(HeadLimitedProtocol, max_head_bytes=max_head_bytes)
