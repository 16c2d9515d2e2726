"""HTTP/1.1 over a plain socket, for requests an HTTP client library would refuse to send."""

from __future__ import annotations

import select
import socket
from urllib.parse import urlsplit


def connect(base: str, source: str | None = None, timeout: float = 30) -> socket.socket:
    url = urlsplit(base)
    return socket.create_connection((url.hostname, url.port), timeout=timeout, source_address=(source, 0) if source else None)


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response from the socket: status, headers (lower-case names), body (Content-Length framed)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed before a response head: {data[:200]!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body[:length]


def request(base: str, raw: bytes, source: str | None = None) -> tuple[int, dict[str, str], bytes]:
    with connect(base, source) as sock:
        sock.sendall(raw)
        return read_response(sock)


def send_until_answered(sock: socket.socket, raw: bytes, piece: int = 16384) -> None:
    """Send ``raw`` in pieces, stopping early once the server has answered (or closed) the connection."""
    for i in range(0, len(raw), piece):
        if select.select([sock], [], [], 0)[0]:
            return
        try:
            sock.sendall(raw[i : i + piece])
        except (BrokenPipeError, ConnectionResetError):
            return
