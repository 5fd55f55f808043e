import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest
from django.core.management import CommandError

from ctg_workshops.backup import backup_sqlite, restore_sqlite
from tests.ctg_workshops.databases import project_sqlite_create, sqlite_rows

CARDS_PER_TRANSACTION = 10


class CardWriter(threading.Thread):
    """Keeps writing cards as the site would: short IMMEDIATE transactions in WAL mode."""

    def __init__(self, *, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.committed = 0
        self.transactions = threading.Semaphore(0)
        self.stopping = threading.Event()

    def run(self) -> None:
        with closing(sqlite3.connect(self.path, isolation_level=None, timeout=20)) as connection:
            while not self.stopping.is_set():
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany(
                    "INSERT INTO card (text) VALUES (?)",
                    [("written during the backup",)] * CARDS_PER_TRANSACTION,
                )
                connection.execute("UPDATE tally SET cards = cards + ?", (CARDS_PER_TRANSACTION,))
                connection.execute("COMMIT")
                self.committed += CARDS_PER_TRANSACTION
                self.transactions.release()

    def stop(self) -> int:
        self.stopping.set()
        self.join()
        return self.committed


def test_backup_sqlite_is_consistent_while_another_connection_writes(tmp_path):
    source = tmp_path / "site.sqlite3"
    target = tmp_path / "backup.sqlite3"
    # Some megabytes, so that the copy takes long enough for writes to land beside it.
    project_sqlite_create(path=source, cards=[f"card {n} " + "x" * 200 for n in range(20_000)])
    writer = CardWriter(path=source)
    writer.start()
    for _ in range(5):
        assert writer.transactions.acquire(timeout=10)
    committed_before = writer.committed

    backup_sqlite(source=source, target=target)
    committed_in_all = writer.stop()

    with closing(sqlite3.connect(target)) as copy:
        integrity = copy.execute("PRAGMA integrity_check").fetchall()
        journal_mode = copy.execute("PRAGMA journal_mode").fetchone()[0]
        cards = copy.execute("SELECT count(*) FROM card").fetchone()[0]
        tally = copy.execute("SELECT cards FROM tally").fetchone()[0]
    assert integrity == [("ok",)]
    # One snapshot: the cards and their tally agree, and only whole transactions are in it.
    assert cards == 20_000 + tally
    assert tally % CARDS_PER_TRANSACTION == 0
    assert committed_before <= tally <= committed_in_all
    # A single self-contained file, readable by its owner only (it holds personal data).
    assert journal_mode == "delete"
    assert target.stat().st_mode & 0o777 == 0o600
    # No partial file is left beside it.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["backup.sqlite3", "site.sqlite3"]


def test_restore_sqlite_replaces_a_changed_database_a_connection_keeps_open(project_sqlite):
    site = project_sqlite("site.sqlite3", cards=["Funding", "Security", "Policy"])
    backup = site.with_name("backup.sqlite3")
    backup_sqlite(source=site, target=backup)
    with closing(sqlite3.connect(site, isolation_level=None)) as running_site:
        running_site.execute("DELETE FROM card WHERE text = 'Security'")
        running_site.execute("INSERT INTO card (text) VALUES ('Written after the backup')")

        restore_sqlite(backup=backup, target=site)

        # The site's open connection sees the restored data, with no restart.
        seen_by_site = running_site.execute("SELECT id, text FROM card ORDER BY id").fetchall()
    assert seen_by_site == [(1, "Funding"), (2, "Security"), (3, "Policy")]
    assert sqlite_rows(path=site, query="SELECT id, text FROM card ORDER BY id") == sqlite_rows(
        path=backup, query="SELECT id, text FROM card ORDER BY id"
    )
    assert sqlite_rows(path=site, query="PRAGMA journal_mode") == [("wal",)]


def _not_a_database(path: Path) -> str:
    path.write_text("id,text\n1,Funding\n" * 300)
    return f"{path} is not a readable SQLite database (file is not a database)."


def _foreign_sqlite(path: Path) -> str:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE photo (id INTEGER PRIMARY KEY, caption TEXT)")
    return (
        f"{path} is an SQLite database but not one of CTG Workshops "
        "(its django_migrations table records none of this project's apps)."
    )


def _another_django_site(path: Path) -> str:
    project_sqlite_create(path=path, cards=["Funding"])
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE django_migrations SET app = 'blog'")
    return (
        f"{path} is an SQLite database but not one of CTG Workshops "
        "(its django_migrations table records none of this project's apps)."
    )


def _fails_integrity_check(path: Path) -> str:
    project_sqlite_create(path=path, cards=["Funding", "Security"])
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("CREATE INDEX card_text ON card (text)")
        # An index whose stored definition no longer matches its entries.
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute(
            "UPDATE sqlite_master SET sql = 'CREATE INDEX card_text ON card (id)' "
            "WHERE name = 'card_text'"
        )
    return (
        f"{path} fails SQLite's integrity check: "
        "row 1 missing from index card_text; row 2 missing from index card_text."
    )


def _missing(path: Path) -> str:
    return f"There is no backup file at {path}."


@pytest.mark.parametrize(
    "make_backup",
    [_not_a_database, _foreign_sqlite, _another_django_site, _fails_integrity_check, _missing],
)
def test_restore_sqlite_refuses_a_backup_that_is_not_of_this_project(project_sqlite, make_backup):
    site = project_sqlite("site.sqlite3", cards=["Funding", "Security"])
    site_before = site.read_bytes()
    expected = make_backup(site.with_name("backup.sqlite3"))

    with pytest.raises(CommandError) as refusal:
        restore_sqlite(backup=site.with_name("backup.sqlite3"), target=site)

    assert str(refusal.value) == expected
    assert site.read_bytes() == site_before


def test_backup_sqlite_names_a_missing_database_and_writes_nothing(tmp_path):
    with pytest.raises(CommandError) as refusal:
        backup_sqlite(source=tmp_path / "absent.sqlite3", target=tmp_path / "backup.sqlite3")

    assert str(refusal.value) == f"There is no SQLite database at {tmp_path / 'absent.sqlite3'}."
    assert list(tmp_path.iterdir()) == []


def test_backup_sqlite_refuses_a_database_it_could_not_restore_and_leaves_no_file(tmp_path):
    source = tmp_path / "other.sqlite3"
    _foreign_sqlite(source)

    with pytest.raises(CommandError) as refusal:
        backup_sqlite(source=source, target=tmp_path / "backup.sqlite3")

    assert str(refusal.value) == (
        f"{source} is an SQLite database but not one of CTG Workshops "
        "(its django_migrations table records none of this project's apps)."
    )
    assert [path.name for path in tmp_path.iterdir()] == ["other.sqlite3"]
