"""A token bucket per API key: API_RATE_PER_MINUTE requests, refilled evenly.

With REDIS_URL set the buckets live in Redis, so every process behind a
balancer spends from the same allowance: one Lua script reads, refills and
spends a bucket atomically, on the Redis server's clock. Without Redis each
process keeps its own buckets, which bounds a partner's load per process. If
Redis stops answering, the process falls back to its own buckets (logged) so
no request fails for it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Protocol

from web.errors import RateLimited

log = logging.getLogger(__name__)


class Rates(Protocol):
    async def take(self, key: str) -> None: ...

    async def close(self) -> None: ...


class KeyRates:
    """The buckets of this process."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    async def take(self, key: str) -> None:
        """Spend one request of ``key``'s allowance, or raise RateLimited."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.per_second)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            raise RateLimited(max(1, math.ceil((1 - tokens) / self.per_second)))
        self._buckets[key] = (tokens - 1, now)

    async def close(self) -> None:
        pass


# KEYS[1]: the bucket; ARGV: capacity, tokens per second. Returns {1} when a
# token was spent, else {0, seconds until one is there} (as text: Lua numbers
# come back truncated to integers).
_TAKE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local spent = tokens >= 1
if spent then tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
if spent then return {1} end
return {0, tostring((1 - tokens) / rate)}
"""


class RedisKeyRates:
    """The buckets shared by every process through Redis."""

    def __init__(self, url: str, per_minute: int, prefix: str = "refbot:api-rate:") -> None:
        import redis.asyncio as redis

        self.client = redis.from_url(url)
        self.script = self.client.register_script(_TAKE)
        self.capacity, self.per_second = float(per_minute), per_minute / 60
        self.prefix = prefix
        self.local = KeyRates(per_minute)  # while Redis does not answer

    async def take(self, key: str) -> None:
        from redis.exceptions import RedisError

        try:
            answer = await self.script(
                keys=[self.prefix + key], args=[self.capacity, self.per_second]
            )
        except (RedisError, OSError) as error:
            log.warning("API rate limit: Redis unavailable, this process's own count: %s", error)
            await self.local.take(key)
            return
        if int(answer[0]) != 1:
            raise RateLimited(max(1, math.ceil(float(answer[1]))))

    async def close(self) -> None:
        await self.client.aclose()


def key_rates(redis_url: str, per_minute: int) -> Rates:
    return RedisKeyRates(redis_url, per_minute) if redis_url else KeyRates(per_minute)
