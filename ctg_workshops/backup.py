"""Backup and restore of the site's database, for the backup_database and restore_database commands.

SQLite is copied through its online backup API, so the copy is consistent while the site writes;
PostgreSQL through pg_dump and pg_restore, which read one snapshot and restore in one transaction.
docs/deployment.md ("Backup and restore") explains how to use them.
"""

import os
import sqlite3
import subprocess
from collections.abc import Mapping
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

SQLITE_ENGINE = "django.db.backends.sqlite3"
POSTGRESQL_ENGINE = "django.db.backends.postgresql"

# A database is taken for this project's when its django_migrations table records one of our own
# apps: restoring another site's database over ours would look like success and lose everything.
PROJECT_APP_LABELS = ("workshop_sessions", "responses", "reports")

# How long a backup or restore waits for a lock the site holds, as the site itself waits.
SQLITE_BUSY_TIMEOUT_SECONDS = 20


class BackupError(CommandError):
    """A backup or restore that could not be made; a CommandError so manage.py prints only this."""


def backup_file_name(*, settings_dict: Mapping[str, Any], now: datetime) -> str:
    """E.g. ctg-workshops-20261126T101500Z.sqlite3 (now must be in UTC)."""
    suffix = ".sqlite3" if _engine(settings_dict) == SQLITE_ENGINE else ".dump"
    return f"ctg-workshops-{now.strftime('%Y%m%dT%H%M%SZ')}{suffix}"


def database_describe(*, settings_dict: Mapping[str, Any]) -> str:
    """How the confirmation names the database a restore overwrites (never with its password)."""
    if _engine(settings_dict) == SQLITE_ENGINE:
        return f"the SQLite database {_sqlite_path(settings_dict)}"
    host = settings_dict.get("HOST") or "the default host"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    user = f" as {settings_dict['USER']}" if settings_dict.get("USER") else ""
    return f"the PostgreSQL database {settings_dict.get('NAME')!r} on {host}{port}{user}"


def database_backup(*, settings_dict: Mapping[str, Any], target: Path) -> None:
    """Back up the database of a DATABASES entry into target, by its engine."""
    if _engine(settings_dict) == SQLITE_ENGINE:
        backup_sqlite(source=_sqlite_path(settings_dict), target=target)
    else:
        backup_postgresql(settings_dict=settings_dict, target=target)


def database_restore(*, settings_dict: Mapping[str, Any], backup: Path) -> None:
    """Overwrite the database of a DATABASES entry with backup, by its engine."""
    if _engine(settings_dict) == SQLITE_ENGINE:
        restore_sqlite(backup=backup, target=_sqlite_path(settings_dict))
    else:
        restore_postgresql(settings_dict=settings_dict, backup=backup)


# --- SQLite -----------------------------------------------------------------------------------


def backup_sqlite(*, source: Path, target: Path) -> None:
    """Copy the SQLite database at source into a new file target, consistently, while it is used.

    The whole copy is one step of the backup API, so it reads one snapshot: in WAL mode the site's
    writers carry on meanwhile and none of their transactions is copied in part.
    """
    if not source.is_file():
        raise BackupError(f"There is no SQLite database at {source}.")
    partial = _private_partial_file(target)
    try:
        with (
            closing(sqlite3.connect(source, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)) as reader,
            closing(sqlite3.connect(partial)) as copy,
        ):
            reader.backup(copy)
            # The copy inherits WAL mode; one self-contained file is what a backup should be.
            copy.execute("PRAGMA journal_mode=DELETE")
            # A copy that restore_database would refuse is no backup: say so now, not on the day.
            _sqlite_check(connection=copy, path=source)
        partial.replace(target)
    except (sqlite3.Error, OSError) as error:
        raise BackupError(f"Could not back up {source}: {error}.") from None
    finally:
        partial.unlink(missing_ok=True)


def restore_sqlite(*, backup: Path, target: Path) -> None:
    """Overwrite the SQLite database at target with backup, after checking backup is sound.

    Through the backup API rather than a file copy: it takes the database's write lock and writes
    through its WAL, so a running site sees either the old data or the restored data, never a mix,
    and its open connections need no restart. Nothing at target changes if backup is refused.
    """
    if not backup.is_file():
        raise BackupError(f"There is no backup file at {backup}.")
    try:
        # Read-only, so that checking or reading a backup never changes what it holds.
        with closing(sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)) as source:
            _sqlite_check(connection=source, path=backup)
            with closing(
                sqlite3.connect(target, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
            ) as destination:
                source.backup(destination)
    except (sqlite3.Error, OSError) as error:
        raise BackupError(f"Could not restore {backup} into {target}: {error}.") from None


def _sqlite_check(*, connection: sqlite3.Connection, path: Path) -> None:
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite database ({error}).") from None
    if problems != ["ok"]:
        raise BackupError(f"{path} fails SQLite's integrity check: {'; '.join(problems[:5])}.")
    tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
    apps = (
        {app for (app,) in connection.execute("SELECT DISTINCT app FROM django_migrations")}
        if "django_migrations" in tables
        else set()
    )
    if not apps & set(PROJECT_APP_LABELS):
        raise BackupError(
            f"{path} is an SQLite database but not one of CTG Workshops "
            "(its django_migrations table records none of this project's apps)."
        )


def _sqlite_path(settings_dict: Mapping[str, Any]) -> Path:
    name = str(settings_dict.get("NAME") or "")
    # ":memory:" and the test runner's "file:memorydb_...?mode=memory" live only in one process.
    if not name or name == ":memory:" or "mode=memory" in name:
        raise BackupError(
            "The default database is an in-memory SQLite database: there is nothing on disk to "
            "back up or restore. Set SQLITE_PATH to the site's database file."
        )
    if name.startswith("file:"):
        raise BackupError(f"Give the SQLite database as a file path, not the URI {name!r}.")
    return Path(name)


# --- PostgreSQL -------------------------------------------------------------------------------


def backup_postgresql(*, settings_dict: Mapping[str, Any], target: Path) -> None:
    """Dump the PostgreSQL database of settings_dict into a new file target (custom format).

    pg_dump reads one snapshot in one transaction, so the dump is consistent while the site writes.
    """
    partial = _private_partial_file(target)
    try:
        _run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={partial}"],
            settings_dict=settings_dict,
        )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def restore_postgresql(*, settings_dict: Mapping[str, Any], backup: Path) -> None:
    """Overwrite the PostgreSQL database of settings_dict with a pg_dump custom-format backup.

    One transaction that stops at the first error: a bad or truncated dump changes nothing.
    --clean drops each object of the dump before creating it again; objects the dump does not
    hold (a table from a later migration) stay as they are.
    """
    if not backup.is_file():
        raise BackupError(f"There is no backup file at {backup}.")
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            # Empty: libpq then takes the database from PGDATABASE, like every other parameter.
            "--dbname=",
            str(backup),
        ],
        settings_dict=settings_dict,
    )


def _run(command: list[str], *, settings_dict: Mapping[str, Any]) -> None:
    try:
        result = subprocess.run(  # noqa: S603 — a fixed command; paths are arguments, no shell
            command,
            env=_libpq_environment(settings_dict),
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} was not found: install the PostgreSQL client tools (Debian: "
            "postgresql-client) of the server's major version or newer."
        ) from None
    if result.returncode != 0:
        complaint = result.stderr.strip() or f"no message, exit status {result.returncode}"
        raise BackupError(f"{command[0]} failed: {complaint}")


def _libpq_environment(settings_dict: Mapping[str, Any]) -> dict[str, str]:
    # Everything goes through the environment, never the command line, where any local user
    # could read the password in the process list. What settings leave unset keeps the
    # environment's own PG* value, as it does for the site's own connections through libpq.
    options = settings_dict.get("OPTIONS") or {}
    parameters = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGCONNECT_TIMEOUT": options.get("connect_timeout"),
        "PGSERVICE": options.get("service"),
        "PGPASSFILE": options.get("passfile"),
        "PGSSLMODE": options.get("sslmode"),
        "PGSSLROOTCERT": options.get("sslrootcert"),
        "PGSSLCERT": options.get("sslcert"),
        "PGSSLKEY": options.get("sslkey"),
    }
    return {**os.environ, **{key: str(value) for key, value in parameters.items() if value}}


# --- Shared -----------------------------------------------------------------------------------


def _engine(settings_dict: Mapping[str, Any]) -> str:
    engine = settings_dict.get("ENGINE", "")
    if engine not in (SQLITE_ENGINE, POSTGRESQL_ENGINE):
        raise BackupError(f"Backups support SQLite and PostgreSQL only, not {engine!r}.")
    return engine


def _private_partial_file(target: Path) -> Path:
    # Written beside the target and renamed when complete, so an interrupted backup never leaves
    # a file that looks like a finished one. Created empty and readable by its owner only before
    # anything is written, since a backup holds participants' names and e-mail addresses;
    # SQLite and pg_dump both write into an existing file without changing its mode.
    partial = target.with_name(f".{target.name}.partial")
    # A leftover from an interrupted run would be opened as the copy's starting point.
    try:
        partial.unlink(missing_ok=True)
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise BackupError(f"Could not write {target}: {error.strerror}.") from None
    return partial
