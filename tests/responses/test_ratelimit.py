import pytest
from django.core.cache import caches
from django.test import override_settings

from responses.ratelimit import Limit, rate_limit_hit, rate_limits_hit

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


def test_limits_are_counted_in_order_and_a_full_one_spends_nothing_after_it(rate_window):
    """A participant over their own limit is refused before the session's budget is touched,
    so one noisy browser cannot use up the room's."""
    mine, room = Limit("mine", 2, 60), Limit("room", 100, 60)
    verdicts = [rate_limits_hit([(mine, "p1"), (room, "s1")]) for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, False, False, False]
    assert {v.refused_by for v in verdicts[2:]} == {"mine"}
    window = 1_800_000_010 // 60
    assert caches["default"].get(f"rl:room:s1:{window}") == 2


@pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")
def test_all_limits_count_in_redis_with_one_round_trip(monkeypatch, rate_window):
    with override_settings(CACHES=REDIS):
        caches["default"].clear()
        # Through the site's own cache handle, as the views use it (the earlier code tested
        # the proxy ``django.core.cache.cache``, which is never a RedisCache).
        from redis.client import Redis

        commands = []
        real_execute = Redis.execute_command
        monkeypatch.setattr(
            Redis,
            "execute_command",
            lambda self, *a, **k: commands.append(a[0]) or real_execute(self, *a, **k),
        )
        one, two = Limit("redis-a", 2, 3600), Limit("redis-b", 10, 3600)
        rate_limits_hit([(one, "warm")])  # the first call loads the script into this Redis
        commands.clear()
        verdicts = [rate_limits_hit([(one, "x"), (two, "y")]) for _ in range(3)]
        assert [v.allowed for v in verdicts] == [True, True, False]
        assert verdicts[-1].refused_by == "redis-a"
        # One command per call: the script, by its digest.
        assert commands == ["EVALSHA"] * 3
        cache = caches["default"]
        window = 1_800_000_010 // 3600
        client = cache._cache.get_client(cache.make_and_validate_key("k"))
        a = cache.make_and_validate_key(f"rl:redis-a:x:{window}")
        b = cache.make_and_validate_key(f"rl:redis-b:y:{window}")
        assert 0 < client.ttl(a) <= 3601 and 0 < client.ttl(b) <= 3601
        assert int(client.get(b)) == 2  # not counted on the refused third call
        caches["default"].clear()
