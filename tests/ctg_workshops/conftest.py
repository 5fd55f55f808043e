import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from psycopg import sql

from tests.ctg_workshops.databases import postgresql_connect, project_sqlite_create


@pytest.fixture
def project_sqlite(tmp_path: Path) -> Callable[..., Path]:
    """Makes a small SQLite database of this project: project_sqlite("a.sqlite3", cards=[...])."""

    def make(name: str, *, cards: list[str]) -> Path:
        path = tmp_path / name
        project_sqlite_create(path=path, cards=cards)
        return path

    return make


@pytest.fixture
def scratch_postgresql() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Two new, empty PostgreSQL databases (source, destination) as DATABASES entries.

    Made on the suite's own server with its connection settings, and dropped afterwards.
    """
    default = settings.DATABASES["default"]
    if default["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("PostgreSQL backups are tested only when the suite runs on PostgreSQL")
    suffix = secrets.token_hex(4)
    names = [f"ctg_backup_src_{suffix}", f"ctg_backup_dst_{suffix}"]
    with postgresql_connect(settings_dict=default, dbname="postgres") as admin:
        for name in names:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield ({**default, "NAME": names[0]}, {**default, "NAME": names[1]})
    finally:
        with postgresql_connect(settings_dict=default, dbname="postgres") as admin:
            for name in names:
                drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                admin.execute(drop.format(sql.Identifier(name)))
