"""`manage.py backup_database [--output FILE]`: a consistent copy of the default database."""

from argparse import ArgumentParser
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ctg_workshops.backup import backup_file_name, database_backup, database_describe

# Relative to the directory the command runs in: `make backup` runs it beside manage.py, where
# .gitignore keeps the folder out of the repository.
DEFAULT_FOLDER = Path("backups")


class Command(BaseCommand):
    help = (
        "Back up the default database, safely while the site runs: SQLite through its online "
        "backup API, PostgreSQL with pg_dump (custom format). See docs/deployment.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help=(
                "the file to write, which must not exist yet (default: "
                "backups/ctg-workshops-<UTC time>.sqlite3, or .dump for PostgreSQL)"
            ),
        )

    def handle(self, *args: Any, output: Path | None, **options: Any) -> None:
        # The setting, not django.db.connection: this command opens no connection through Django.
        settings_dict = settings.DATABASES["default"]
        description = database_describe(settings_dict=settings_dict)
        if output is None:
            name = backup_file_name(settings_dict=settings_dict, now=datetime.now(UTC))
            output = DEFAULT_FOLDER / name
        if output.exists():
            raise CommandError(f"{output} already exists; choose another --output.")
        # Owner-only, like the backup files in it: they hold personal data.
        output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        database_backup(settings_dict=settings_dict, target=output)
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {description} to {output} ({output.stat().st_size:,} bytes)."
            )
        )
