"""Fixed-window rate limits kept in the cache (shared Redis in production).

Limits are counted per participant and per session, never per IP address: a whole room often
shares one address, and one noisy browser must not lock out its neighbours.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache


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
    # add() creates the counter only if it is missing; incr() is atomic in Redis and locmem.
    cache.add(key, 0, timeout=limit.seconds + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=limit.seconds + 1)
        used = 1
    if used > limit.count:
        return Verdict(allowed=False, retry_after=(window + 1) * limit.seconds - now)
    return Verdict(allowed=True)
