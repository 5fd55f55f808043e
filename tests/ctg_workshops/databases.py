"""Small databases for the backup tests, made directly with sqlite3 and psycopg."""

import sqlite3
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg

# The backup code accepts a database whose django_migrations table records one of the project's
# apps; these stand-ins have that and a table of cards, which is all a backup needs to show. The
# tally counts the cards written after creation, in the same transaction as the cards themselves.
PROJECT_SCHEMA = """
    CREATE TABLE django_migrations (
        id INTEGER PRIMARY KEY, app TEXT NOT NULL, name TEXT NOT NULL, applied TEXT NOT NULL
    );
    INSERT INTO django_migrations (app, name, applied)
        VALUES ('workshop_sessions', '0001_initial', '2026-11-26 10:15:00');
    CREATE TABLE card (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
    CREATE TABLE tally (cards INTEGER NOT NULL);
    INSERT INTO tally VALUES (0);
"""


def project_sqlite_create(*, path: Path, cards: list[str]) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        # As the site runs it (settings.py), so that backups meet a live WAL.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(PROJECT_SCHEMA)
        with connection:
            connection.execute("BEGIN")
            connection.executemany(
                "INSERT INTO card (text) VALUES (?)", [(text,) for text in cards]
            )


def sqlite_rows(*, path: Path, query: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(query).fetchall()


def postgresql_connect(*, settings_dict: Mapping[str, Any], dbname: str) -> psycopg.Connection:
    parameters = {
        "host": settings_dict.get("HOST"),
        "port": settings_dict.get("PORT"),
        "user": settings_dict.get("USER"),
        "password": settings_dict.get("PASSWORD"),
    }
    return psycopg.connect(
        dbname=dbname,
        autocommit=True,
        **{key: value for key, value in parameters.items() if value},
    )


def postgresql_execute(
    *, settings_dict: Mapping[str, Any], query: str, params: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    """Runs one statement, committed, in the database of settings_dict; returns its rows."""
    database = settings_dict["NAME"]
    with postgresql_connect(settings_dict=settings_dict, dbname=database) as connection:
        cursor = connection.execute(query, params)
        return cursor.fetchall() if cursor.description else []
