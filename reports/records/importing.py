"""Importing a records file: every problem found and reported by place, then all or nothing.

The file is read, each cell converted by its column's kind, and every reference resolved against
the file and the database. Any problem stops the import before anything is written; otherwise all
records go in within one transaction. Records already present (same natural key) are left as they
are, so importing the same file twice adds nothing the second time.

The steps have a module each: reading.py reads the file within bounds, rows.py turns its sheets
into rows (cells.py converts each cell by its column's kind), planning.py checks them and
resolves their references (references.py, comparing.py), and writing.py writes them.
"""

from dataclasses import dataclass, field

from django.db import DatabaseError, IntegrityError, transaction
from django.utils.translation import gettext as _

from reports.records.planning import Plan
from reports.records.problems import Problem, stored
from reports.records.reading import UnreadableFile, read_records_file
from reports.records.references import WORKSHOPS_KEPT
from reports.records.rows import Checker, Row, sheet_rows
from reports.records.writing import Progress, Writer

__all__ = ["ImportResult", "Progress", "records_import"]


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)  # the first, by place
    more_problems: int = 0  # found but not kept
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    written: bool = False
    workshops: list[str] = field(default_factory=list)  # the references the file names
    rows_read: int = 0  # below the headings, in all sheets, blank ones too

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.more_problems

    def summary(self) -> dict:
        """What is stored of the result besides its problems, bounded and cleaned as JSON."""
        return stored(
            {
                "counts": self.counts,
                "notices": self.notices,
                "workshops": self.workshops[:WORKSHOPS_KEPT],
                "more_workshops": max(0, len(self.workshops) - WORKSHOPS_KEPT),
                "more_problems": self.more_problems,
                "rows_read": self.rows_read,
            }
        )

    def problem_dicts(self) -> list[dict]:
        return [problem.as_dict() for problem in self.problems]


def _counts(rows: dict[str, list[Row]]) -> dict[str, dict[str, int]]:
    return {
        name: {
            "rows": len(sheet_rows),
            "present": sum(1 for r in sheet_rows if r.present is not None),
            "new": sum(1 for r in sheet_rows if r.present is None),
        }
        for name, sheet_rows in rows.items()
    }


def records_import(
    *,
    name: str,
    content: bytes,
    actor=None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Check a records file and, when it has no problem, import it in one transaction.

    With ``dry_run`` the records are written and then rolled back, so the database's own checks
    run too and nothing stays. ``progress(stage, done, total)`` is called as the work advances.
    """
    report = progress or (lambda stage, done, total: None)
    result = ImportResult()
    try:
        report("reading", 0, 0)
        raw = read_records_file(name=name, content=content)
    except UnreadableFile as error:
        result.problems.append(Problem("", None, "", error.message))
        result.rows_read = error.rows_read
        return result
    result.rows_read = sum(sheet.rows_read for sheet in raw)
    check = Checker()
    rows = sheet_rows(raw, check)
    report("checking", 0, 0)
    plan = Plan(rows, check)
    plan.resolve()
    result.counts = _counts(rows)
    result.notices = plan.notices
    result.workshops = sorted(
        {r.values["workshop"] for sheet in rows.values() for r in sheet if r.values.get("workshop")}
    )
    result.problems = check.problems.kept()
    result.more_problems = check.problems.total - len(result.problems)
    if result.problems:
        return result
    try:
        with transaction.atomic():
            Writer(plan, actor=actor, progress=report).write()
            if dry_run:
                transaction.set_rollback(True)
    except (IntegrityError, DatabaseError) as error:
        # Something changed between the checks and the writing (or a rule the checks missed):
        # the transaction is rolled back whole.
        result.problems.append(
            Problem(
                "",
                None,
                "",
                _("The database refused the records; nothing was imported (%(error)s).")
                % {"error": str(error).splitlines()[0][:300]},
            )
        )
        return result
    result.written = not dry_run
    report("done", 1, 1)
    return result
