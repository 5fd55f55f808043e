"""Comparing the file's rows with the records already here, which an import never changes.

Where the file holds other values for a record already here, the plan notes it (the import
leaves the record as it is); a workshop already here with another date or kind is a problem,
since the file most likely means another workshop under the same reference.
"""

from django.utils.translation import gettext as _

from reports.records.references import References

# The columns compared with a record already here (references and identities are not: an
# export leaves out names given without consent, so they would always seem to differ).
COMPARED = {
    "phases": ("title", "subtitle", "organisation", "starts_on", "ends_on"),
    "workshops": (
        "title", "kind", "date", "start_time", "end_time", "venue", "description", "status",
        "practice", "attendance_people", "attendance_organisations",
    ),
    "sessions": (
        "title", "prompt", "purpose", "writing_minutes", "dots_per_participant",
        "dots_may_stack", "phase", "results_revealed",
    ),
    "participants": ("organisation", "level_of_government", "consent_to_be_named"),
    "categories": ("name", "description"),
    "statements": ("text", "use", "source", "hidden", "hidden_reason"),
    "dots": ("count",),
    "paper_dots": ("count", "note"),
    "notes": ("text", "based_on"),
}  # fmt: skip


def _comparable(value: object) -> object:
    return "" if value is None else value


def compare_present(plan: References) -> None:
    """Records already here are never changed: say where the file holds other values."""
    differing: list[str] = []
    derived = 0
    for sheet, columns in COMPARED.items():
        for row in plan.rows[sheet]:
            if row.present is None:
                continue
            if sheet == "statements" and row.values.get("derived"):
                derived += 1
            changed = [
                name
                for name in columns
                if name in row.letters
                and _comparable(row.values[name]) != _comparable(getattr(row.present, name))
            ]
            if sheet == "workshops" and row.values["clash"]:
                continue  # already a problem: the workshop is in another phase
            if sheet == "workshops" and {"date", "kind"} & set(changed):
                plan.check.add(
                    row,
                    "workshop",
                    _(
                        "Workshop “%(ref)s” is already here as “%(title)s” (%(kind)s, "
                        "%(date)s); give this one another reference."
                    )
                    % {
                        "ref": row.values["workshop"],
                        "title": row.present.title,
                        "kind": row.present.get_kind_display(),
                        "date": row.present.date.isoformat(),
                    },
                )
            elif changed:
                differing.append(
                    _("%(sheet)s row %(row)d (%(columns)s)")
                    % {"sheet": sheet, "row": row.number, "columns": ", ".join(changed)}
                )
    if differing:
        shown = "; ".join(differing[:20])
        more = len(differing) - 20
        plan.notice(
            _("Already here with other values, which an import never changes: %(rows)s.")
            % {"rows": shown}
            + (" " + _("And %(count)d more.") % {"count": more} if more > 0 else "")
        )
    if derived:
        plan.notice(
            _(
                "%(count)d statements without a key matched cards already here by their "
                "text and were not imported again. To add a card with the same text as one "
                "already here, give it a key in the statement column."
            )
            % {"count": derived}
        )
