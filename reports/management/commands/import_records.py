from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reports.records.importing import records_import


class Command(BaseCommand):
    help = (
        "Import a records file (.xlsx, a .zip of CSV files, or one <sheet>.csv; docs/records.md). "
        "Every problem is listed by sheet, row and column, and nothing is imported unless the "
        "whole file is valid."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="the records file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check everything and write nothing (the writes are rolled back)",
        )

    def handle(self, *args, file: Path, dry_run: bool, **options) -> None:
        try:
            size = file.stat().st_size
            # The same limit as an upload: the file is read whole, then bounded as it is parsed.
            if size > settings.RECORDS_IMPORT_MAX_BYTES:
                raise CommandError(
                    f"{file} is {size / 1e6:.1f} MB; at most "
                    f"{settings.RECORDS_IMPORT_MAX_BYTES / 1e6:.0f} MB can be imported at once "
                    "(RECORDS_IMPORT_MAX_BYTES); split it into parts."
                )
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        shown = {"stage": "", "tenth": -1}

        def progress(stage: str, done: int, total: int) -> None:
            # A line when a stage starts, then one every tenth of the writing, so a large file
            # shows how far it has got without flooding the terminal.
            tenth = done * 10 // total if total else -1
            if stage == "done" or (stage, tenth) == (shown["stage"], shown["tenth"]):
                return
            if total:
                self.stderr.write(f"  writing {stage}: {done:,} of {total:,} rows")
            else:
                self.stderr.write(f"  {stage}…")
            shown.update(stage=stage, tenth=tenth)

        result = records_import(name=file.name, content=content, dry_run=dry_run, progress=progress)
        for sheet, counts in result.counts.items():
            if counts["rows"]:
                self.stdout.write(
                    f"{sheet}: {counts['rows']:,} rows, {counts['new']:,} new, "
                    f"{counts['present']:,} already here"
                )
        for notice in result.notices:
            self.stdout.write(f"Note: {notice}")
        if result.problems:
            for problem in result.problems:
                self.stderr.write(f"{problem.place()}: {problem.message}")
            if result.more_problems:
                self.stderr.write(f"… and {result.more_problems:,} more, not listed.")
            count = result.problem_count
            noun = "problem" if count == 1 else "problems"
            raise CommandError(f"{count:,} {noun} found; nothing was imported.")
        if dry_run:
            self.stdout.write(
                self.style.SUCCESS("Dry run: the file is valid; nothing was written.")
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {file}."))
