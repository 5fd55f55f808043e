"""`manage.py restore_database FILE [--yes]`: overwrite the default database with a backup."""

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ctg_workshops.backup import database_describe, database_restore


class Command(BaseCommand):
    help = (
        "Overwrite the default database with a backup made by backup_database, after asking. "
        "The backup is checked first; a refused or failed restore changes nothing. "
        "See docs/deployment.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "file", type=Path, help="the backup: a .sqlite3 file for SQLite, a .dump for PostgreSQL"
        )
        parser.add_argument(
            "--yes", action="store_true", help="restore without asking (for scripts)"
        )

    def handle(self, *args: Any, file: Path, yes: bool, **options: Any) -> None:
        # The setting, not django.db.connection: this command opens no connection through Django.
        settings_dict = settings.DATABASES["default"]
        description = database_describe(settings_dict=settings_dict)
        if not file.is_file():
            raise CommandError(f"There is no backup file at {file}.")
        if not yes:
            self.confirm(description=description, file=file)
        database_restore(settings_dict=settings_dict, backup=file)
        self.stdout.write(self.style.SUCCESS(f"Restored {description} from {file}."))

    def confirm(self, *, description: str, file: Path) -> None:
        # A restore destroys everything written since the backup: a script that forgot --yes
        # must fail rather than wait on a question nobody sees, or read an answer from a pipe.
        if not sys.stdin.isatty():
            raise CommandError(
                f"Not restored: this would overwrite {description}, and there is no terminal "
                "to confirm on. Run it on a terminal, or pass --yes."
            )
        self.stdout.write(
            f"This overwrites {description} with {file}: everything written to it since that "
            "backup is lost.\nType 'yes' to restore: ",
            ending="",
        )
        self.stdout.flush()
        if input().strip().lower() != "yes":
            raise CommandError("Not restored; nothing was changed.")
