from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.exports import EXPORTERS, ExportUnavailable
from reports.services import report_export
from sessions.models import ProjectPhase


class Command(BaseCommand):
    help = "Export a project phase's summary report, built from the records."

    def add_arguments(self, parser) -> None:
        parser.add_argument("phase", help="the phase's short name (slug), e.g. esmp-phase-1")
        parser.add_argument("--format", required=True, choices=list(EXPORTERS))
        parser.add_argument("--output", required=True, type=Path, help="the file to write")

    def handle(self, *args, phase: str, format: str, output: Path, **options) -> None:
        try:
            project_phase = ProjectPhase.objects.get(slug=phase)
        except ProjectPhase.DoesNotExist:
            known = ", ".join(ProjectPhase.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No phase called {phase!r}. Known phases: {known}.") from None
        try:
            file = report_export(phase=project_phase, fmt=format, via="command")
        except ExportUnavailable as problem:
            raise CommandError(str(problem)) from None
        output.write_bytes(file.content)
        self.stdout.write(self.style.SUCCESS(f"Wrote {output} ({len(file.content):,} bytes)."))
