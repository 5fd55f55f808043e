"""The database settings follow DATABASE_URL, and SQLite is tuned for a live room."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

SHOW_DATABASE = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default'], default=str))"
)


def database_settings(**env: str) -> dict:
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [sys.executable, "-c", SHOW_DATABASE],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "ctg_workshops.settings",
            "SECRET_KEY": "x" * 50,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_sqlite_is_the_default_with_wal_immediate_transactions_and_a_busy_timeout():
    database = database_settings()
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(ROOT / "db.sqlite3")
    assert database["OPTIONS"] == {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }


@pytest.mark.parametrize("url", ["sqlite:////srv/workshops/db.sqlite3", "sqlite:///db.sqlite3"])
def test_a_sqlite_database_url_works_and_keeps_the_tuning(url):
    # It crashed every command: "'connect_timeout' is an invalid keyword argument".
    database = database_settings(DATABASE_URL=url)
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == url.removeprefix("sqlite:///")
    assert database["OPTIONS"] == {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    check = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 50, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr


def test_database_url_selects_postgresql_with_health_checks_and_reuse():
    database = database_settings(DATABASE_URL="postgres://app:pw@db.internal:5432/workshops")
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"], database["USER"]) == (
        "db.internal",
        "workshops",
        "app",
    )
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["CONN_MAX_AGE"] == 60
    assert database["OPTIONS"]["connect_timeout"] == 5


@pytest.mark.django_db
def test_sqlite_connection_runs_in_wal_mode(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only: this run uses PostgreSQL")
    # The test database lives in memory, which has no WAL; open a file database the same way.
    import sqlite3

    from django.db.backends.sqlite3.base import DatabaseWrapper

    settings_dict = {**connection.settings_dict, "NAME": str(tmp_path / "wal.sqlite3")}
    wrapper = DatabaseWrapper(settings_dict, alias="wal-check")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20000
    finally:
        wrapper.close()
    assert sqlite3.sqlite_version_info >= (3, 35)


def test_cache_is_local_by_default_and_redis_when_configured():
    show = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "ctg_workshops.settings",
        "SECRET_KEY": "x" * 50,
    }

    def backend(**extra: str) -> str:
        return subprocess.run(  # noqa: S603 (fixed arguments)
            [sys.executable, "-c", show],
            cwd=ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()

    assert backend() == "django.core.cache.backends.locmem.LocMemCache"
    assert backend(CACHE_URL="redis://127.0.0.1:6379/1") == (
        "django.core.cache.backends.redis.RedisCache"
    )
