"""Writes for reports: the narrative, and exports (each one recorded)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from reports.exports import EXPORTERS
from reports.models import ReportExport, ReportNarrative
from reports.narrative import SECTIONS
from reports.selectors import report_build
from sessions.models import ProjectPhase, Workshop


@transaction.atomic
def narrative_save(
    *,
    phase: ProjectPhase,
    user,
    suppress_below: int | None = None,
    workshops: Iterable[Workshop] | None = None,
    **sections: str,
) -> ReportNarrative:
    """Save the narrative's sections and, if given, the small-group suppression threshold and
    the workshops the report covers (stored as exceptions to the default: see
    ReportNarrative.workshops_left_out)."""
    unknown = set(sections) - {key for key, _ in SECTIONS}
    if unknown:
        raise ValueError(f"unknown narrative sections: {sorted(unknown)}")
    if suppress_below is not None and not 0 <= suppress_below <= 32767:
        raise ValueError("suppress_below must be from 0 to 32767")
    narrative, _created = ReportNarrative.objects.get_or_create(phase=phase)
    for key, text in sections.items():
        setattr(narrative, key, text)
    if suppress_below is not None:
        narrative.suppress_below = suppress_below
    narrative.updated_by = user
    narrative.save()
    if workshops is not None:
        _scope_save(narrative, phase, {w.pk for w in workshops})
    return narrative


def _scope_save(narrative: ReportNarrative, phase: ProjectPhase, chosen: set[int]) -> None:
    workshops = list(Workshop.objects.filter(phase=phase).only("pk", "practice"))
    if not chosen <= {w.pk for w in workshops}:
        raise ValueError("a report covers only workshops of its own phase")
    narrative.workshops_left_out.set(
        [w.pk for w in workshops if not w.practice and w.pk not in chosen]
    )
    narrative.practice_included.set([w.pk for w in workshops if w.practice and w.pk in chosen])


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    content_type: str


def report_export(*, phase: ProjectPhase, fmt: str, user=None, via: str = "web") -> ExportFile:
    """Build the report, render it in ``fmt`` and record who exported what, when."""
    if fmt not in EXPORTERS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(EXPORTERS)}")
    render, content_type, extension = EXPORTERS[fmt]
    content = render(report_build(phase=phase))
    ReportExport.objects.create(
        phase=phase, format=fmt, via=via, user=user, size_bytes=len(content)
    )
    return ExportFile(content, f"{phase.slug}-summary-report.{extension}", content_type)
