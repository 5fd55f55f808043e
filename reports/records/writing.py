"""Writing a checked plan: every new record created in bulk, then one history event per workshop.

Records already here (``Row.present``) are left as they are. The caller runs ``Writer.write``
inside a transaction (importing.py), so the database's own checks apply and a refusal undoes it
all; a record without its own time gets its workshop's start on its day.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.utils import timezone

from reports.models import ReportNarrative
from reports.records.layout import NARRATIVE_COLUMNS
from reports.records.planning import Plan
from reports.records.references import in_chunks
from reports.records.rows import Row
from responses.models import Category, Dot, PaperDotTally, Participant, Statement
from sessions.models import (
    AuditEvent,
    NoteRevision,
    PlenarySession,
    ProjectPhase,
    Workshop,
    new_join_code,
)

BATCH = 1000

Progress = Callable[[str, int, int], None]


class Writer:
    """Creates the new records of a plan, sheet by sheet, reporting its progress."""

    def __init__(self, plan: Plan, *, actor, progress: Progress) -> None:
        self.plan = plan
        self.actor = actor
        self.progress = progress
        self.total = sum(len(rows) for rows in plan.rows.values())
        self.done = 0
        self.users: dict = {}
        self.ordinals: Counter = Counter()

    def _new(self, sheet: str) -> list[Row]:
        return [r for r in self.plan.rows[sheet] if r.present is None]

    def _tick(self, sheet: str, count: int) -> None:
        self.done += count
        self.progress(sheet, self.done, self.total)

    def _bulk(self, sheet: str, model, rows: list[Row], build) -> None:
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            objects = model.objects.bulk_create([build(r) for r in chunk])
            for row, obj in zip(chunk, objects, strict=True):
                row.record = obj
            self._tick(sheet, len(chunk))

    def _day(self, row: Row, *, ordinal: bool = False) -> datetime:
        """For a record without its own time: its workshop's start (09:00 if none) on its day.

        With ``ordinal`` each further row of the same session is a second later, so records
        without times keep the order of the file.
        """
        workshop = self.record(self.plan.workshops[row.values["workshop"]])
        start = timezone.make_aware(
            datetime.combine(workshop.date, workshop.start_time or time(9, 0))
        )
        if not ordinal:
            return start
        key = (row.values["workshop"], row.values.get("session"))
        self.ordinals[key] += 1
        return start + timedelta(seconds=self.ordinals[key] - 1)

    def record(self, item):
        """The database record for a planned item: itself, or what its row created."""
        return item.record if isinstance(item, Row) else item

    def write(self) -> None:
        self._users()
        self._phases()
        self._workshops()
        self._sessions()
        self._participants()
        self._categories()
        self._statements()
        self._dots()
        self._paper_dots()
        self._notes()
        self._history()

    def _users(self) -> None:
        user_model = get_user_model()
        for name in self.plan.new_accounts:
            user = user_model(**{user_model.USERNAME_FIELD: name}, is_active=False)
            user.set_unusable_password()
            user.save()

    def _phases(self) -> None:
        rows = self._new("phases")
        self._bulk(
            "phases",
            ProjectPhase,
            rows,
            lambda r: ProjectPhase(
                slug=r.values["phase"],
                title=r.values["title"],
                subtitle=r.values["subtitle"],
                organisation=r.values["organisation"],
                starts_on=r.values["starts_on"],
                ends_on=r.values["ends_on"],
            ),
        )
        ReportNarrative.objects.bulk_create(
            [
                ReportNarrative(
                    phase=r.record,
                    suppress_below=r.values["suppress_below"],
                    **{c.name: r.values[c.name] for c in NARRATIVE_COLUMNS},
                )
                for r in rows
            ]
        )

    def _workshops(self) -> None:
        rows = self._new("workshops")
        fields = (
            "title",
            "kind",
            "date",
            "start_time",
            "end_time",
            "venue",
            "description",
            "status",
            "practice",
            "attendance_people",
            "attendance_organisations",
        )
        self._bulk(
            "workshops",
            Workshop,
            rows,
            lambda r: Workshop(
                reference=r.values["workshop"],
                phase=self.record(self.plan.phases[r.values["phase"]]),
                **{name: r.values[name] for name in fields},
            ),
        )
        user_model = get_user_model()
        field = user_model.USERNAME_FIELD
        users = {
            getattr(u, field): u
            for u in in_chunks(user_model.objects.all(), field, self.plan.usernames)
        }
        links = [
            Workshop.facilitators.through(workshop=r.record, user=users[name])
            for r in rows
            for name in r.values["facilitators"] or []
        ]
        Workshop.facilitators.through.objects.bulk_create(links)
        self.users = users

    def _session_of(self, row: Row) -> PlenarySession:
        return self.record(self.plan.sessions[(row.values["workshop"], row.values["session"])])

    def _sessions(self) -> None:
        fields = (
            "title",
            "prompt",
            "purpose",
            "writing_minutes",
            "dots_per_participant",
            "dots_may_stack",
            "phase",
            "results_revealed",
        )

        def build(r: Row) -> PlenarySession:
            session = PlenarySession(
                workshop=self.record(self.plan.workshops[r.values["workshop"]]),
                position=r.values["session"],
                join_code=r.values["join_code"] or new_join_code(),
                **{name: r.values[name] for name in fields},
            )
            session.phase_changed_at = r.values["phase_changed_at"] or self._day(r)
            return session

        self._bulk("sessions", PlenarySession, self._new("sessions"), build)

    def _participants(self) -> None:
        fields = (
            "name",
            "organisation",
            "level_of_government",
            "role",
            "consent_to_be_named",
            "consent_recorded_at",
            "erased_at",
        )

        def build(r: Row) -> Participant:
            participant = Participant(
                workshop=self.record(self.plan.workshops[r.values["workshop"]]),
                reference=r.values["participant"],
                email=(r.values["email"] or "").strip(),
                **{name: r.values[name] for name in fields},
            )
            participant.joined_at = r.values["joined_at"] or self._day(r)
            return participant

        self._bulk("participants", Participant, self._new("participants"), build)

    def _categories(self) -> None:
        pending = self._new("categories")
        while pending:
            # A category presented from one in the same file waits until that one exists.
            ready = [r for r in pending if self._origin_ready(r)]
            if not ready:  # pragma: no cover - a cycle the checks above cannot produce
                raise IntegrityError("categories presented from one another in a cycle")
            self._bulk(
                "categories",
                Category,
                ready,
                lambda r: Category(
                    session=self._session_of(r),
                    reference_number=r.values["category"],
                    name=r.values["name"],
                    description=r.values["description"],
                    presented_from=self._origin(r),
                ),
            )
            pending = [r for r in pending if r.record is None]

    def _origin_key(self, row: Row) -> tuple | None:
        v = row.values
        origin = (
            v["presented_from_workshop"],
            v["presented_from_session"],
            v["presented_from_category"],
        )
        return origin if all(origin) else None

    def _origin(self, row: Row) -> Category | None:
        key = self._origin_key(row)
        return self.record(self.plan.categories[key]) if key else None

    def _origin_ready(self, row: Row) -> bool:
        key = self._origin_key(row)
        return key is None or self.record(self.plan.categories[key]) is not None

    def _category_of(self, row: Row) -> Category | None:
        number = row.values["category"]
        if not number:
            return None
        return self.record(
            self.plan.categories[(row.values["workshop"], row.values["session"], number)]
        )

    def _participant_of(self, row: Row) -> Participant | None:
        ref = row.values["participant"]
        if not ref:
            return None
        return self.record(self.plan.participants[(row.values["workshop"], ref)])

    def _statements(self) -> None:
        def build(r: Row) -> Statement:
            v = r.values
            statement = Statement(
                session=self._session_of(r),
                idempotency_key=v["key"],
                text=v["text"],
                use=v["use"],
                source=v["source"],
                category=self._category_of(r),
                participant=self._participant_of(r),
                hidden=v["hidden"],
                hidden_reason=v["hidden_reason"],
            )
            # Cards without a time keep the file's order: a second apart from the start.
            statement.created_at = v["created_at"] or self._day(r, ordinal=True)
            return statement

        self._bulk("statements", Statement, self._new("statements"), build)

    def _dots(self) -> None:
        def build(r: Row) -> Dot:
            dot = Dot(
                session=self._session_of(r),
                category=self._category_of(r),
                participant=self._participant_of(r),
                count=r.values["count"],
            )
            dot.placed_at = r.values["placed_at"] or self._day(r)
            return dot

        self._bulk("dots", Dot, self._new("dots"), build)

    def _paper_dots(self) -> None:
        def build(r: Row) -> PaperDotTally:
            tally = PaperDotTally(
                session=self._session_of(r),
                category=self._category_of(r),
                count=r.values["count"],
                note=r.values["note"],
            )
            tally.recorded_at = r.values["recorded_at"] or self._day(r)
            return tally

        self._bulk("paper_dots", PaperDotTally, self._new("paper_dots"), build)

    def _notes(self) -> None:
        def build(r: Row) -> NoteRevision:
            v = r.values
            revision = NoteRevision(
                session=self._session_of(r),
                number=v["revision"],
                based_on=v["based_on"],
                text=v["text"],
                author=self.users.get(v["author"]) if v["author"] else None,
            )
            revision.created_at = v["saved_at"] or self._day(r)
            return revision

        self._bulk("notes", NoteRevision, self._new("notes"), build)

    def _history(self) -> None:
        """One history event per workshop that received records, saying how many of each."""
        per_workshop: dict[str, Counter] = defaultdict(Counter)
        for sheet, rows in self.plan.rows.items():
            for row in rows:
                if row.record is not None and row.values.get("workshop"):
                    per_workshop[row.values["workshop"]][sheet] += 1
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    workshop=workshop,
                    actor=self.actor,
                    action=AuditEvent.Action.IMPORTED,
                    target=AuditEvent.Target.WORKSHOP,
                    target_id=workshop.pk,
                    changes={sheet: [None, count] for sheet, count in sorted(counts.items())},
                )
                for ref, counts in per_workshop.items()
                if (workshop := self.record(self.plan.workshops[ref])) is not None
            ]
        )
