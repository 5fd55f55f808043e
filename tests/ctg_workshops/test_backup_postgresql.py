import os
import subprocess
from unittest import mock

import pytest
from django.core.management import CommandError

from ctg_workshops.backup import backup_postgresql, restore_postgresql
from tests.ctg_workshops.databases import postgresql_execute

CARDS = [(1, "Funding"), (2, "Security"), (3, "Policy")]


def _cards_table(*, settings_dict, rows) -> None:
    postgresql_execute(
        settings_dict=settings_dict,
        query="CREATE TABLE card (id integer PRIMARY KEY, text text NOT NULL)",
    )
    for row in rows:
        postgresql_execute(
            settings_dict=settings_dict, query="INSERT INTO card VALUES (%s, %s)", params=row
        )


def _cards(settings_dict) -> list[tuple[int, str]]:
    return postgresql_execute(settings_dict=settings_dict, query="SELECT * FROM card ORDER BY id")


def test_backup_postgresql_then_restore_copies_the_rows(scratch_postgresql, tmp_path):
    source, destination = scratch_postgresql
    _cards_table(settings_dict=source, rows=CARDS)
    _cards_table(settings_dict=destination, rows=[(1, "Written after the backup")])
    dump = tmp_path / "backup.dump"

    backup_postgresql(settings_dict=source, target=dump)
    restore_postgresql(settings_dict=destination, backup=dump)

    assert _cards(destination) == CARDS
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert dump.stat().st_mode & 0o777 == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["backup.dump"]


def test_restore_postgresql_of_a_truncated_dump_names_the_error_and_changes_nothing(
    scratch_postgresql, tmp_path
):
    source, destination = scratch_postgresql
    # Enough rows that the cut falls in the table data, after the restore has already dropped
    # and created the table: only the single transaction keeps the destination as it was.
    _cards_table(settings_dict=source, rows=CARDS)
    postgresql_execute(
        settings_dict=source,
        query="INSERT INTO card SELECT n, md5(n::text) FROM generate_series(4, 50000) AS n",
    )
    _cards_table(settings_dict=destination, rows=[(1, "Kept")])
    dump = tmp_path / "backup.dump"
    backup_postgresql(settings_dict=source, target=dump)
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])

    with pytest.raises(CommandError) as failure:
        restore_postgresql(settings_dict=destination, backup=dump)

    assert str(failure.value) == (
        "pg_restore failed: pg_restore: error: could not read from input file: end of file"
    )
    assert _cards(destination) == [(1, "Kept")]


def test_restore_postgresql_names_a_file_that_is_no_dump(scratch_postgresql, tmp_path):
    _, destination = scratch_postgresql
    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("Funding, Security, Policy\n")

    with pytest.raises(CommandError) as failure:
        restore_postgresql(settings_dict=destination, backup=not_a_dump)

    assert str(failure.value) == (
        "pg_restore failed: pg_restore: error: input file does not appear to be a valid archive "
        "(too short?)"
    )


def test_backup_postgresql_names_pg_dumps_error_and_leaves_no_file(scratch_postgresql, tmp_path):
    source, _ = scratch_postgresql
    missing = {**source, "NAME": "ctg_backup_no_such_database"}

    with pytest.raises(CommandError) as failure:
        backup_postgresql(settings_dict=missing, target=tmp_path / "backup.dump")

    assert str(failure.value).startswith("pg_dump failed: pg_dump: error: connection to server")
    assert str(failure.value).endswith(
        'FATAL:  database "ctg_backup_no_such_database" does not exist'
    )
    assert list(tmp_path.iterdir()) == []


def test_backup_postgresql_passes_the_connection_through_the_environment_only(tmp_path):
    settings_dict = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "workshops",
        "USER": "workshops",
        "PASSWORD": "not-on-the-command-line",
        "HOST": "db.internal",
        "PORT": 5433,
        "OPTIONS": {"sslmode": "require", "connect_timeout": 5},
    }
    # pg_dump is the process boundary: stand in for it, as a dump that writes nothing. The
    # settings win over the environment's own PG* variables.
    with (
        mock.patch.dict(os.environ, {"PATH": os.environ["PATH"], "PGHOST": "other"}, clear=True),
        mock.patch("ctg_workshops.backup.subprocess.run") as run,
    ):
        run.return_value = subprocess.CompletedProcess(args=[], returncode=0, stderr="")
        backup_postgresql(settings_dict=settings_dict, target=tmp_path / "backup.dump")

    command, environment = run.call_args.args[0], run.call_args.kwargs["env"]
    assert command == [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        f"--file={tmp_path / '.backup.dump.partial'}",
    ]
    assert environment == {
        "PATH": os.environ["PATH"],
        "PGHOST": "db.internal",
        "PGPORT": "5433",
        "PGDATABASE": "workshops",
        "PGUSER": "workshops",
        "PGPASSWORD": "not-on-the-command-line",
        "PGSSLMODE": "require",
        "PGCONNECT_TIMEOUT": "5",
    }
