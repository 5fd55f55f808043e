"""Fixed-window rate limits kept in the cache (shared Redis in production).

Limits are counted per participant and per session, never per IP address: a whole room often
shares one address, and one noisy browser must not lock out its neighbours.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


def rate_limit_hit(*, limit: Limit, subject: str | int) -> Verdict:
    """Count one action by ``subject`` against ``limit``; refuse once the window is full."""
    now = int(time.time())
    window = now // limit.seconds
    key = f"rl:{limit.name}:{subject}:{window}"
    used = _count(key, limit.seconds + 1)
    if used > limit.count:
        return Verdict(allowed=False, retry_after=(window + 1) * limit.seconds - now)
    return Verdict(allowed=True)


def _count(key: str, ttl: int) -> int:
    """Add one to the counter ``key`` (created with ``ttl`` seconds to live) and return it."""
    if isinstance(cache, RedisCache):
        # One round trip: INCR, and set the expiry only on the counter's first use.
        name = cache.make_and_validate_key(key)
        client = cache._cache.get_client(name, write=True)
        pipeline = client.pipeline(transaction=False)
        pipeline.incr(name)
        pipeline.expire(name, ttl, nx=True)
        used, _ = pipeline.execute()
        return int(used)
    # add() creates the counter only if it is missing; incr() is atomic in locmem too.
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=ttl)
        return 1
