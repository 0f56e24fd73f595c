"""A token bucket per API key: API_RATE_PER_MINUTE requests, refilled evenly.

Kept in the process: with several processes behind a balancer each allows the
rate, which bounds a partner's load per process, the point of the limit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from web.errors import RateLimited


class KeyRates:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> None:
        """Spend one request of ``key``'s allowance, or raise RateLimited."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.per_second)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            raise RateLimited(max(1, math.ceil((1 - tokens) / self.per_second)))
        self._buckets[key] = (tokens - 1, now)
