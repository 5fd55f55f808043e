"""Project phases, their workshops, the plenary sessions run in a workshop, and session notes."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Letters and digits that cannot be mistaken for one another when read off a projector.
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def new_reference(prefix: str) -> str:
    """A short random reference for a record, e.g. "w-k7d2m9qa", used in records files."""
    return prefix + "-" + "".join(secrets.choice(JOIN_CODE_ALPHABET.lower()) for _ in range(8))


def new_workshop_reference() -> str:
    return new_reference("w")


class ProjectPhase(models.Model):
    """A phase of a project, e.g. "Exploratory Social Media Project — Phase I".

    It groups the workshops whose records make up one summary report; the report's narrative
    lives in reports.ReportNarrative.
    """

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    subtitle = models.CharField(_("subtitle"), max_length=300, blank=True)
    organisation = models.CharField(
        _("organisation"),
        max_length=200,
        blank=True,
        help_text=_("Who runs the project, e.g. Center for Technology in Government."),
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("project phase")
        verbose_name_plural = _("project phases")
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="phase_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Workshop(models.Model):
    class Kind(models.TextChoices):
        INTERNAL = "internal", _("Internal discussion")
        STATE = "state", _("State agency workshop")
        LOCAL = "local", _("Local government workshop")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    phase = models.ForeignKey(
        ProjectPhase,
        on_delete=models.PROTECT,
        related_name="workshops",
        verbose_name=_("project phase"),
    )
    title = models.CharField(_("title"), max_length=200)
    reference = models.SlugField(
        _("reference"),
        max_length=64,
        unique=True,
        default=new_workshop_reference,
        help_text=_("Names the workshop in records files (import and export)."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    practice = models.BooleanField(
        _("practice or pilot workshop"),
        default=False,
        help_text=_(
            "A rehearsal or pilot run: left out of the phase's summary report unless staff "
            "include it."
        ),
    )
    attendance_people = models.PositiveIntegerField(
        _("people attending"),
        null=True,
        blank=True,
        help_text=_("Leave empty to count the participants who joined online."),
    )
    attendance_organisations = models.PositiveIntegerField(
        _("organisations attending"),
        null=True,
        blank=True,
        help_text=_("Leave empty to count the organisations participants named."),
    )
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="facilitated_workshops",
        blank=True,
        verbose_name=_("facilitators"),
        help_text=_("Facilitators see and run only the workshops they are assigned to."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        ordering = ["date", "start_time", "title"]
        indexes = [models.Index(fields=["phase", "date"], name="workshop_phase_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["internal", "state", "local"]), name="workshop_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "running", "completed", "cancelled"]),
                name="workshop_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(start_time__isnull=True)
                | Q(end_time__isnull=True)
                | Q(end_time__gt=F("start_time")),
                name="workshop_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("workshop_sessions:workshop_detail", kwargs={"pk": self.pk})


class PlenarySession(models.Model):
    """One plenary session of a workshop: a prompt, the method, and where it stands."""

    class Purpose(models.TextChoices):
        VALUES = "values", _("Values")
        CONCERNS = "concerns", _("Concerns")
        DISCUSSION = "discussion", _("Discussion")

    class Phase(models.TextChoices):
        DRAFT = "draft", _("Draft")
        COLLECTING = "collecting", _("Collecting statements")
        CLUSTERING = "clustering", _("Clustering")
        VOTING = "voting", _("Voting")
        CLOSED = "closed", _("Closed")

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("workshop")
    )
    position = models.PositiveSmallIntegerField(
        _("position"), help_text=_("Order of the session within its workshop, from 1.")
    )
    title = models.CharField(_("title"), max_length=200)
    prompt = models.TextField(
        _("prompt"), help_text=_("The question participants answer, as it is shown to them.")
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    writing_minutes = models.PositiveSmallIntegerField(
        _("writing minutes"),
        default=5,
        help_text=_("How long participants write alone, in minutes."),
    )
    dots_per_participant = models.PositiveSmallIntegerField(_("dots per participant"), default=4)
    dots_may_stack = models.BooleanField(
        _("dots may stack"),
        default=False,
        help_text=_("Whether a participant may put more than one dot on the same category."),
    )
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices, default=Phase.DRAFT)
    phase_changed_at = models.DateTimeField(_("phase changed"), default=timezone.now)
    results_revealed = models.BooleanField(
        _("results revealed"),
        default=False,
        help_text=_("Vote tallies stay hidden from participants until a facilitator reveals them."),
    )
    suggestions_on = models.BooleanField(
        _("clustering suggestions on"),
        default=False,
        help_text=_(
            "Whether the clustering page proposes categories, groups and duplicates, worked out "
            "by this server from the statements' words."
        ),
    )
    join_code = models.CharField(
        _("join code"), max_length=12, unique=True, default=new_join_code, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        # Ordering by the foreign key's id, not the related model: no join on every query.
        ordering = ["workshop_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "position"], name="session_position_unique_in_workshop"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="session_position_from_1"),
            models.CheckConstraint(
                condition=Q(purpose__in=["values", "concerns", "discussion"]),
                name="session_purpose_valid",
            ),
            models.CheckConstraint(
                condition=Q(phase__in=["draft", "collecting", "clustering", "voting", "closed"]),
                name="session_phase_valid",
            ),
            models.CheckConstraint(
                condition=Q(writing_minutes__gte=1, writing_minutes__lte=120),
                name="session_writing_minutes_1_to_120",
            ),
            models.CheckConstraint(
                condition=Q(dots_per_participant__gte=1, dots_per_participant__lte=20),
                name="session_dots_1_to_20",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workshop} — {self.title}"


class NoteRevision(models.Model):
    """One saved version of a session's facilitator notes.

    Notes are never overwritten: each save adds a revision, and the newest is the current text.
    ``based_on`` records which revision the writer started from, so two facilitators saving from
    the same starting point are recognised as a conflict and both texts are kept.
    """

    session = models.ForeignKey(
        PlenarySession,
        on_delete=models.CASCADE,
        related_name="note_revisions",
        verbose_name=_("session"),
    )
    number = models.PositiveIntegerField(_("revision"))
    based_on = models.PositiveIntegerField(_("based on revision"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    # A default rather than auto_now_add, so an import can restore the original time.
    created_at = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta:
        verbose_name = _("note revision")
        verbose_name_plural = _("note revisions")
        ordering = ["session_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "number"], name="note_revision_number_unique"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="note_revision_from_1"),
            models.CheckConstraint(
                condition=Q(based_on__isnull=True) | Q(based_on__lt=F("number")),
                name="note_revision_based_on_earlier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} — rev. {self.number}"


class AuditEvent(models.Model):
    """One change to a workshop's records: who changed which statement, category or note, when.

    Events name their actor by a link (a user or a participant), never by a copy of a name, so
    erasing a participant's identity leaves nothing of it in the history.
    """

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        MOVED = "moved", _("moved")
        MERGED = "merged", _("merged")
        SPLIT = "split", _("split")
        RENUMBERED = "renumbered", _("renumbered")
        HIDDEN = "hidden", _("hidden")
        RESTORED = "restored", _("restored")
        WITHDRAWN = "withdrawn", _("withdrawn")
        DELETED = "deleted", _("deleted")
        IMPORTED = "imported", _("imported")
        ERASED = "erased", _("identity erased")
        EXPORTED = "exported", _("data exported")

    class Target(models.TextChoices):
        STATEMENT = "statement", _("statement")
        CATEGORY = "category", _("category")
        NOTE = "note", _("note")
        PARTICIPANT = "participant", _("participant")
        PAPER_DOTS = "paper_dots", _("paper dot total")
        AGENCY_PROJECT = "agency_project", _("agency project")
        WORKSHOP = "workshop", _("workshop")
        SESSION = "session", _("session")

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="audit_events", verbose_name=_("workshop")
    )
    session = models.ForeignKey(
        PlenarySession,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("session"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by user"),
    )
    actor_participant = models.ForeignKey(
        "responses.Participant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by participant"),
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    target = models.CharField(_("record"), max_length=16, choices=Target.choices)
    target_id = models.PositiveBigIntegerField(_("record id"))
    changes = models.JSONField(
        _("changes"),
        default=dict,
        blank=True,
        help_text=_("Each changed field with its value before and after."),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("history event")
        verbose_name_plural = _("history")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["workshop", "-created_at"], name="audit_workshop_created"),
            models.Index(fields=["target", "target_id"], name="audit_target"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(actor__isnull=True) | Q(actor_participant__isnull=True),
                name="audit_one_actor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.target_id} {self.get_action_display()}"
