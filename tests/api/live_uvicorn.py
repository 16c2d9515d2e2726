"""A real uvicorn in a thread, configured as ``cstassist serve`` configures it."""

from __future__ import annotations

import threading
import time
from typing import Any


def start_uvicorn(app: Any, port: int, max_header_bytes: int = 16 * 1024, limits: Any = None) -> tuple[Any, threading.Thread]:
    """Serve ``app`` with uvicorn as ``cstassist serve`` does (its protocol: head cap, read timeouts, connections
    per client), in a thread. ``limits`` (a ``LimitSettings``) overrides every limit, ``max_header_bytes`` included."""
    import uvicorn

    from cstassist.api.server import http_protocol, protocol_for

    protocol = protocol_for(limits) if limits is not None else http_protocol(max_header_bytes)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", http=protocol)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn exited during start-up"
        assert time.monotonic() < deadline, "uvicorn did not start in 30 s"
        time.sleep(0.05)
    return server, thread
