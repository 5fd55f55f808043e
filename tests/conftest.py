import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# alongside it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def staff_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="staff-member", role="staff")


@pytest.fixture
def facilitator(db):
    from tests.factories import UserFactory

    return UserFactory(username="facilitator-a", role="facilitator")


@pytest.fixture
def other_facilitator(db):
    from tests.factories import UserFactory

    return UserFactory(username="facilitator-b", role="facilitator")


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters live in the cache; each test starts with none.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rate_window(monkeypatch):
    """Pin the rate limiter's clock (and the test cache's) 10 s into a one-minute window, so a
    test's requests all count in the same fixed window wherever the real clock stands (the live
    server of the browser tests runs in this process, so it sees the pinned clock too)."""
    from types import SimpleNamespace

    from django.core.cache.backends import base, locmem

    from responses import ratelimit

    clock = SimpleNamespace(time=lambda: 1_800_000_010.0)
    monkeypatch.setattr(ratelimit, "time", clock)
    # The counters' expiry in the test cache follows the same clock, so a long test (a flood of
    # 1,500 requests on a loaded machine takes over a minute) stays inside its window.
    monkeypatch.setattr(locmem, "time", clock)
    monkeypatch.setattr(base, "time", clock)
