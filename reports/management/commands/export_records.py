from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.records.exporting import records_export, records_template
from sessions.models import ProjectPhase


class Command(BaseCommand):
    help = (
        "Export the records of a phase (or of everything) in the records layout that "
        "import_records reads (docs/records.md), or an empty template."
    )

    def add_arguments(self, parser) -> None:
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--phase", help="the phase's short name; all phases if left out")
        scope.add_argument("--template", action="store_true", help="an empty file to fill in")
        parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
        parser.add_argument("--output", required=True, type=Path, help="the file to write")

    def handle(self, *args, phase, template, format, output: Path, **options) -> None:
        expected = ".xlsx" if format == "xlsx" else ".zip"
        if output.suffix.lower() != expected:
            raise CommandError(
                f"The {format} format is a {expected} file: name the output *{expected}."
            )
        if template:
            file = records_template(fmt=format)
        else:
            project_phase = None
            if phase:
                project_phase = ProjectPhase.objects.filter(slug=phase).first()
                if project_phase is None:
                    known = ", ".join(ProjectPhase.objects.values_list("slug", flat=True))
                    raise CommandError(
                        f"No phase called {phase!r}. Known phases: {known or 'none'}."
                    )
            file = records_export(phase=project_phase, fmt=format)
        output.write_bytes(file.content)
        self.stdout.write(self.style.SUCCESS(f"Wrote {output} ({len(file.content):,} bytes)."))
