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
    refused_by: str = ""  # the name of the limit that was full


def rate_limit_hit(*, limit: Limit, subject: str | int) -> Verdict:
    """Count one action by ``subject`` against ``limit``; refuse once the window is full."""
    return rate_limits_hit([(limit, subject)])


def rate_limits_hit(checks: list[tuple[Limit, str | int]]) -> Verdict:
    """Count one action against each of ``checks`` in order, stopping at the first that is full.

    A limit after a full one is not counted, so one noisy subject (a participant, an address)
    refused early never spends a wider budget (the session's) with its refused requests. With
    Redis this is one round trip for all the limits (a script); elsewhere one call per limit.
    """
    now = int(time.time())
    counters = []
    for limit, subject in checks:
        window = now // limit.seconds
        counters.append((f"rl:{limit.name}:{subject}:{window}", limit, window))
    full = _count_in_order([(key, limit.count, limit.seconds + 1) for key, limit, _ in counters])
    if full is None:
        return Verdict(allowed=True)
    _, limit, window = counters[full]
    return Verdict(
        allowed=False, retry_after=(window + 1) * limit.seconds - now, refused_by=limit.name
    )


def rate_limit_full(*, limit: Limit, subject: str | int) -> Verdict:
    """Whether ``limit`` is already used up for ``subject``, without counting anything (for
    limits on failures, counted with ``rate_limit_hit`` only when one happens)."""
    now = int(time.time())
    window = now // limit.seconds
    used = caches["default"].get(f"rl:{limit.name}:{subject}:{window}", 0)
    if used >= limit.count:
        return Verdict(allowed=False, retry_after=(window + 1) * limit.seconds - now)
    return Verdict(allowed=True)


# For each counter in order: add one (creating it with its time to live), and stop at the first
# whose new value is over its ceiling. Returns that counter's 1-based position, or 0.
_COUNT_IN_ORDER = """
for i, key in ipairs(KEYS) do
    local used = redis.call('INCR', key)
    if used == 1 then
        redis.call('EXPIRE', key, ARGV[2 * i])
    end
    if used > tonumber(ARGV[2 * i - 1]) then
        return i
    end
end
return 0
"""


def _count_in_order(counters: list[tuple[str, int, int]]) -> int | None:
    """Count ``(key, ceiling, ttl)`` counters in order; the index of the first one over its
    ceiling (counting stops there), or None when all are within."""
    # ``django.core.cache.cache`` is a proxy, never a RedisCache itself: look up the backend.
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        keys = [cache.make_and_validate_key(key) for key, _, _ in counters]
        client = cache._cache.get_client(keys[0], write=True)
        global _script
        if _script is None:
            # Called by its digest (EVALSHA); redis-py loads it into a server that lacks it.
            _script = client.register_script(_COUNT_IN_ORDER)
        args = [value for _, ceiling, ttl in counters for value in (ceiling, ttl)]
        position = int(_script(keys=keys, args=args, client=client))
        return position - 1 if position else None
    for index, (key, ceiling, ttl) in enumerate(counters):
        # add() creates the counter only if it is missing; incr() is atomic in locmem too.
        cache.add(key, 0, timeout=ttl)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=ttl)
            used = 1
        if used > ceiling:
            return index
    return None


_script = None  # redis.commands.core.Script, made on first use


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
