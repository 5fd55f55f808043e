from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from responses.privacy import identities_purge


def _people(n: int) -> str:
    return f"{n} participant" if n == 1 else f"{n} participants"


class Command(BaseCommand):
    help = (
        "Erase the identities (name, organisation, level of government, role, e-mail, consent) "
        "of participants in workshops older than the retention period. Statements and dots stay."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=None,
            help="workshops held more than this many days ago (default: IDENTITY_RETENTION_DAYS)",
        )
        parser.add_argument("--dry-run", action="store_true", help="only list what would be erased")

    def handle(self, *args, older_than_days: int | None, dry_run: bool, **options) -> None:
        days = settings.IDENTITY_RETENTION_DAYS if older_than_days is None else older_than_days
        if days < 0:
            raise CommandError("--older-than-days cannot be negative.")
        result = identities_purge(older_than_days=days, dry_run=dry_run)
        verb = "to erase" if dry_run else "erased"
        self.stdout.write(
            f"Workshops held before {result.held_before.isoformat()} "
            f"(more than {days} day{'s' if days != 1 else ''} ago):"
        )
        keep = "is kept as" if dry_run else "was kept as"
        for line in result.workshops:
            self.stdout.write(
                f"  {line.title} ({line.date.isoformat()}): {_people(line.participants)} {verb}"
            )
            if line.organisations_kept is not None:
                self.stdout.write(
                    f"    its report's count of {line.organisations_kept} organisation"
                    f"{'s' if line.organisations_kept != 1 else ''} {keep} the reported attendance"
                )
        if not result.workshops:
            self.stdout.write("  none with identities left to erase")
        workshops = len(result.workshops)
        self.stdout.write(
            f"Total: {_people(result.total)} {verb} in "
            f"{workshops} workshop{'s' if workshops != 1 else ''}."
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
