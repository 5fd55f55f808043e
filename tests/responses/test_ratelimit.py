import pytest
from django.core.cache import caches
from django.test import override_settings

from responses import ratelimit
from responses.ratelimit import Limit, rate_limit_hit

REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/14",
    }
}


def redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/14", socket_connect_timeout=1).ping()
    except Exception:
        return False
    return True


def test_limit_refuses_after_the_count_and_says_when_to_retry(rate_window):
    limit = Limit("test", 3, 60)
    verdicts = [rate_limit_hit(limit=limit, subject="p1") for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[-1].retry_after == 50  # the pinned clock is 10 s into its minute
    assert rate_limit_hit(limit=limit, subject="p2").allowed  # another subject is not affected


@pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")
def test_limit_counts_in_redis_with_one_round_trip(monkeypatch, rate_window):
    with override_settings(CACHES=REDIS):
        caches["default"].clear()
        # Through the site's own cache handle, as the views use it (the earlier code tested
        # the proxy ``django.core.cache.cache``, which is never a RedisCache, and so always
        # took the three-round-trip path).
        round_trips = []
        real_count = ratelimit._count
        monkeypatch.setattr(
            ratelimit, "_count", lambda key, ttl: round_trips.append(key) or real_count(key, ttl)
        )
        from redis.client import Pipeline

        executed = []
        real_execute = Pipeline.execute
        monkeypatch.setattr(
            Pipeline, "execute", lambda self, *a, **k: executed.append(1) or real_execute(self)
        )
        limit = Limit("redis", 2, 3600)
        assert [rate_limit_hit(limit=limit, subject="x").allowed for _ in range(3)] == [
            True,
            True,
            False,
        ]
        name = caches["default"].make_and_validate_key(f"rl:redis:x:{1_800_000_010 // 3600}")
        client = caches["default"]._cache.get_client(name)
        assert 0 < client.ttl(name) <= 3601
        assert len(executed) == len(round_trips) == 3  # one pipeline (round trip) per count
        caches["default"].clear()
