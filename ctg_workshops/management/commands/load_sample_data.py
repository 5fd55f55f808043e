"""`manage.py load_sample_data [--reset]`: the illustrative Phase I series, for demos and dev."""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from ctg_workshops.demo import SAMPLE_PHASE_SLUG, sample_data_load


class Command(BaseCommand):
    help = (
        "Load an illustrative workshop series shaped like CTG's Exploratory Social Media "
        "Project, Phase I (made-up figures, not the 2009 records). Does nothing if it is already "
        "loaded, unless --reset is given. With DEBUG on it also sets up two demo logins."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the sample phase and everything under it, then load it again.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = sample_data_load(with_demo_accounts=settings.DEBUG, reset=options["reset"])
        counts = result.counts

        if result.created:
            verb = "Reloaded" if result.reset else "Loaded"
            self.stdout.write(self.style.SUCCESS(f"{verb} sample data: “{result.phase.title}”."))
            self.stdout.write(
                f"  {counts['workshops']} workshops, {counts['sessions']} sessions, "
                f"{counts['participants']} participants, {counts['categories']} categories, "
                f"{counts['statements']} statements, {counts['dots']} dots, "
                f"{counts['note_revisions']} note revisions."
            )
            self.stdout.write(
                "  The figures and statements are illustrative, not the 2009 records."
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"Sample data is already loaded (phase “{SAMPLE_PHASE_SLUG}”); nothing was "
                    "changed. Use --reset to delete and load it again."
                )
            )

        if result.demo_logins:
            for login in result.demo_logins:
                self.stdout.write(f"Demo {login.role}: {login.username} / {login.password}")
        else:
            self.stdout.write(self.style.NOTICE("Demo accounts are only created with DEBUG=true."))
