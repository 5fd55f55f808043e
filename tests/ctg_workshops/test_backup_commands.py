import io
import re
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from ctg_workshops.backup import backup_file_name
from tests.ctg_workshops.databases import postgresql_execute, sqlite_rows

# The commands read settings.DATABASES and open no connection through Django, so overriding the
# setting is sound here; Django warns only because its own connections would not follow it.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")

CARDS_QUERY = "SELECT id, text FROM card ORDER BY id"


def _sqlite_databases(path) -> dict:
    return {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}}


class Terminal(io.StringIO):
    """Standard input as a person at a terminal would give it."""

    def isatty(self) -> bool:
        return True


def test_backup_database_writes_the_file_and_prints_its_path_and_size(
    project_sqlite, settings, tmp_path, capsys
):
    site = project_sqlite("site.sqlite3", cards=["Funding", "Security"])
    settings.DATABASES = _sqlite_databases(site)
    output = tmp_path / "elsewhere" / "backup.sqlite3"

    call_command("backup_database", output=output)

    size = output.stat().st_size
    assert capsys.readouterr().out == (
        f"Backed up the SQLite database {site} to {output} ({size:,} bytes).\n"
    )
    assert sqlite_rows(path=output, query=CARDS_QUERY) == [(1, "Funding"), (2, "Security")]


def test_backup_database_names_its_file_by_the_utc_time_in_a_private_backups_folder(
    project_sqlite, settings, tmp_path, monkeypatch
):
    settings.DATABASES = _sqlite_databases(project_sqlite("site.sqlite3", cards=["Funding"]))
    monkeypatch.chdir(tmp_path)

    call_command("backup_database")

    folder = tmp_path / "backups"
    [backup] = folder.iterdir()
    assert re.fullmatch(r"ctg-workshops-\d{8}T\d{6}Z\.sqlite3", backup.name)
    assert folder.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("django.db.backends.sqlite3", "ctg-workshops-20261126T101500Z.sqlite3"),
        ("django.db.backends.postgresql", "ctg-workshops-20261126T101500Z.dump"),
    ],
)
def test_backup_file_name_carries_the_utc_time_and_the_format(engine, expected):
    now = datetime(2026, 11, 26, 10, 15, tzinfo=UTC)

    assert backup_file_name(settings_dict={"ENGINE": engine}, now=now) == expected


def test_backup_database_refuses_to_overwrite_a_file(project_sqlite, settings, tmp_path):
    settings.DATABASES = _sqlite_databases(project_sqlite("site.sqlite3", cards=["Funding"]))
    output = tmp_path / "yesterday.sqlite3"
    output.write_bytes(b"yesterday's backup")

    with pytest.raises(CommandError) as refusal:
        call_command("backup_database", output=output)

    assert str(refusal.value) == f"{output} already exists; choose another --output."
    assert output.read_bytes() == b"yesterday's backup"


@pytest.mark.parametrize("name", [":memory:", "file:memorydb_default?mode=memory&cache=shared"])
@pytest.mark.parametrize("command", ["backup_database", "restore_database"])
def test_the_commands_refuse_an_in_memory_sqlite_database(settings, tmp_path, name, command):
    settings.DATABASES = _sqlite_databases(name)
    arguments = [str(tmp_path / "backup.sqlite3"), "--yes"] if command == "restore_database" else []

    with pytest.raises(CommandError) as refusal:
        call_command(command, *arguments)

    assert str(refusal.value) == (
        "The default database is an in-memory SQLite database: there is nothing on disk to back "
        "up or restore. Set SQLITE_PATH to the site's database file."
    )
    assert list(tmp_path.iterdir()) == []


def test_backup_database_refuses_an_engine_it_does_not_know(settings, tmp_path):
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.mysql", "NAME": "workshops"}}

    with pytest.raises(CommandError) as refusal:
        call_command("backup_database", output=tmp_path / "backup.dump")

    assert str(refusal.value) == (
        "Backups support SQLite and PostgreSQL only, not 'django.db.backends.mysql'."
    )


@pytest.fixture
def changed_site(project_sqlite, settings, tmp_path):
    """A site database, its backup, then a change made after the backup."""
    site = project_sqlite("site.sqlite3", cards=["Funding", "Security"])
    settings.DATABASES = _sqlite_databases(site)
    call_command("backup_database", output=tmp_path / "backup.sqlite3", stdout=io.StringIO())
    with closing(sqlite3.connect(site)) as connection, connection:
        connection.execute("INSERT INTO card (text) VALUES ('Written after the backup')")
    return site, tmp_path / "backup.sqlite3"


def test_restore_database_with_yes_restores_and_says_what(changed_site, capsys):
    site, backup = changed_site

    call_command("restore_database", str(backup), yes=True)

    assert capsys.readouterr().out == f"Restored the SQLite database {site} from {backup}.\n"
    assert sqlite_rows(path=site, query=CARDS_QUERY) == [(1, "Funding"), (2, "Security")]


def test_restore_database_without_yes_or_a_terminal_refuses(changed_site, monkeypatch):
    site, backup = changed_site
    before = site.read_bytes()
    # Even a pipe that answers "yes" is not a person confirming.
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))

    with pytest.raises(CommandError) as refusal:
        call_command("restore_database", str(backup))

    assert str(refusal.value) == (
        f"Not restored: this would overwrite the SQLite database {site}, and there is no "
        "terminal to confirm on. Run it on a terminal, or pass --yes."
    )
    assert site.read_bytes() == before


def test_restore_database_on_a_terminal_restores_after_yes(changed_site, monkeypatch, capsys):
    site, backup = changed_site
    monkeypatch.setattr("sys.stdin", Terminal("yes\n"))

    call_command("restore_database", str(backup))

    assert capsys.readouterr().out == (
        f"This overwrites the SQLite database {site} with {backup}: everything written to it "
        "since that backup is lost.\nType 'yes' to restore: "
        f"Restored the SQLite database {site} from {backup}.\n"
    )
    assert sqlite_rows(path=site, query=CARDS_QUERY) == [(1, "Funding"), (2, "Security")]


@pytest.mark.parametrize("answer", ["no\n", "\n", "y\n"])
def test_restore_database_on_a_terminal_changes_nothing_without_yes(
    changed_site, monkeypatch, answer
):
    site, backup = changed_site
    before = site.read_bytes()
    monkeypatch.setattr("sys.stdin", Terminal(answer))

    with pytest.raises(CommandError) as refusal:
        call_command("restore_database", str(backup))

    assert str(refusal.value) == "Not restored; nothing was changed."
    assert site.read_bytes() == before


def test_the_commands_back_up_and_restore_postgresql(scratch_postgresql, settings, tmp_path):
    source, destination = scratch_postgresql
    postgresql_execute(settings_dict=source, query="CREATE TABLE card (id int, text text)")
    postgresql_execute(settings_dict=source, query="INSERT INTO card VALUES (1, 'Funding')")
    settings.DATABASES = {"default": source}
    call_command("backup_database", output=tmp_path / "backup.dump", stdout=io.StringIO())
    settings.DATABASES = {"default": destination}
    stdout = io.StringIO()

    call_command("restore_database", str(tmp_path / "backup.dump"), yes=True, stdout=stdout)

    assert postgresql_execute(settings_dict=destination, query="SELECT * FROM card") == [
        (1, "Funding")
    ]
    assert stdout.getvalue() == (
        f"Restored the PostgreSQL database {destination['NAME']!r} on {destination['HOST']}:"
        f"{destination['PORT']} as {destination['USER']} from {tmp_path / 'backup.dump'}.\n"
    )
