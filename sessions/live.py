"""A session's live state (its phase and whether results are shown), read from the cache.

Every open participant page asks every three seconds whether the session moved on; those
polls read this, not the database. The services that change the state drop the cached copy
once their transaction commits (``session_state_forget``), so the next poll reads the new one.
With a shared cache (Redis, ``CACHE_URL``) that holds for every app server and worker; with
the per-process default cache the copy lives only a second, so no worker lags behind longer.
"""

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

from sessions.models import PlenarySession

SHARED_SECONDS = 60  # a safety net: edits outside the services (the admin) show within this
LOCAL_SECONDS = 1
_MISSING = "-"


def _key(code: str) -> str:
    return f"session-state:{code}"


def session_state(code: str) -> tuple[str, bool] | None:
    """``(phase, results_revealed)`` of the session with ``code``, or None when there is none."""
    cache = caches["default"]
    cached = cache.get(_key(code))
    if cached is None:
        row = PlenarySession.objects.filter(join_code=code).values_list("phase", "results_revealed")
        found = row.first()
        cached = f"{found[0]}:{int(found[1])}" if found else _MISSING
        seconds = LOCAL_SECONDS if isinstance(cache, LocMemCache) else SHARED_SECONDS
        cache.set(_key(code), cached, timeout=seconds)
    if cached == _MISSING:
        return None
    phase, revealed = cached.split(":")
    return phase, revealed == "1"


def session_state_forget(session: PlenarySession) -> None:
    """Drop the cached state now and again once the current transaction commits (a poll in
    between may have cached the state from before the commit)."""
    key = _key(session.join_code)
    caches["default"].delete(key)
    transaction.on_commit(lambda: caches["default"].delete(key))
