"""Reading a text/event-stream body the way a browser's EventSource would (events of JSON data)."""

from __future__ import annotations

import json
from typing import Any


def sse_events(text: str) -> list[tuple[str, Any]]:
    """Parse a text/event-stream body into (event, data) pairs; data is JSON."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        events.append((name, json.loads("\n".join(data))))
    return events
