"""Per-caller rate limits: a token bucket per API key or client address."""

from __future__ import annotations

import math
import threading
import time

from .errors import RateLimited


class RateLimiter:
    def __init__(self, per_minute: int, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst or per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, who: str) -> None:
        """Take one request from ``who``'s bucket or raise ``RateLimited`` with the wait in seconds."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(who, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[who] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self.rate)
                raise RateLimited(f"rate limit exceeded; try again in {wait} s", retry_after=wait)
            self._buckets[who] = (tokens - 1.0, now)
            if len(self._buckets) > 100_000:  # forget idle callers
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 120}
