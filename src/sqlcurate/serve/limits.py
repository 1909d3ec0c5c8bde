"""Per-key limits: requests in flight and a token-bucket rate (requests per minute).

Both answer at once (no waiting): a request over a limit is refused with 429 and the reason, so a
client backs off instead of holding a connection open.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 64 * 1024
    max_tokens: int = 512  # a request's max_tokens is capped here (and by the model's context)
    max_messages: int = 64
    concurrent_per_key: int = 4
    requests_per_minute: int = 60
    max_batch: int = 16


class KeyLimiter:
    def __init__(self, limits: Limits, clock=time.monotonic):
        self.limits = limits
        self.clock = clock
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}
        self._buckets: dict[str, tuple[float, float]] = {}  # label -> (tokens, last refill time)

    def acquire(self, label: str) -> str | None:
        """Take a slot for ``label``; None on success, else the reason it is refused."""
        with self._lock:
            if self._in_flight.get(label, 0) >= self.limits.concurrent_per_key:
                return f"{self.limits.concurrent_per_key} requests of this key are already in flight"
            rate = self.limits.requests_per_minute / 60.0
            tokens, last = self._buckets.get(label, (float(self.limits.requests_per_minute), self.clock()))
            now = self.clock()
            tokens = min(float(self.limits.requests_per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[label] = (tokens, now)
                return f"rate limit of {self.limits.requests_per_minute} requests per minute reached"
            self._buckets[label] = (tokens - 1.0, now)
            self._in_flight[label] = self._in_flight.get(label, 0) + 1
            return None

    def release(self, label: str) -> None:
        with self._lock:
            self._in_flight[label] -= 1

    def in_flight(self, label: str) -> int:
        with self._lock:
            return self._in_flight.get(label, 0)
