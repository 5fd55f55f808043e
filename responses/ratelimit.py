"""Fixed-window rate limits kept in the cache (shared Redis in production).

Most limits are counted per participant and per session: a whole room often shares one network
address, and one noisy browser must not lock out its neighbours. A few are also counted per
network address, as a backstop against one machine posing as many participants (a new cookie
resets nothing there); their ceilings are set well above what a room of 300 behind one address
sends (docs/security.md gives the figures).
"""

import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest


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


def rate_limit_full(*, limit: Limit, subject: str | int) -> Verdict:
    """Whether ``limit`` is already used up for ``subject``, without counting anything (for
    limits on failures, counted with ``rate_limit_hit`` only when one happens)."""
    now = int(time.time())
    window = now // limit.seconds
    used = caches["default"].get(f"rl:{limit.name}:{subject}:{window}", 0)
    if used >= limit.count:
        return Verdict(allowed=False, retry_after=(window + 1) * limit.seconds - now)
    return Verdict(allowed=True)


def _count(key: str, ttl: int) -> int:
    """Add one to the counter ``key`` (created with ``ttl`` seconds to live) and return it."""
    # ``django.core.cache.cache`` is a proxy, never a RedisCache itself: look up the backend.
    cache = caches["default"]
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


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from, or None when it is not an IP address.

    Behind a proxy (``BEHIND_PROXY``), the last address of X-Forwarded-For, which that proxy
    appended; anything before it was sent by the client and proves nothing. Also the address
    sign-in throttling (django-axes) counts by.
    """
    raw = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")[:1000].split(",")[-1].strip()
        raw = forwarded or raw
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    return str(address.ipv4_mapped or address) if address.version == 6 else str(address)


def client_address(request: HttpRequest) -> str:
    """The subject of the per-address rate limits: the IPv4 address, or the IPv6 /64 network
    (one household or device usually holds a whole /64)."""
    raw = client_ip(request)
    if raw is None:
        return "unknown"
    if ":" in raw:
        return str(ipaddress.ip_network(f"{raw}/64", strict=False))
    return raw
