"""Participants, their statements, the categories statements are clustered into, and dots."""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sessions.models import PlenarySession, Workshop, new_reference

STATEMENT_MAX_LENGTH = 500


def validate_within_session(record: "Statement | Dot") -> None:
    """A record's category must be of its own session, its participant of the same workshop.

    The database cannot express these across tables, so forms (the admin's included) check
    them through ``clean()`` and the services that write these records check them too.
    """
    errors = {}
    if record.category_id and record.category.session_id != record.session_id:
        errors["category"] = _("The category belongs to another session.")
    if record.participant_id and record.participant.workshop_id != record.session.workshop_id:
        errors["participant"] = _("The participant took part in another workshop.")
    if errors:
        raise ValidationError(errors)


def new_participant_token() -> str:
    return secrets.token_urlsafe(24)


def new_participant_reference() -> str:
    return new_reference("p")


class Participant(models.Model):
    """Someone taking part in a workshop, anonymous unless they choose to say who they are.

    The token identifies one browser within one workshop: it lets a participant see and edit
    their own statements and stops duplicate voting without asking for an account.
    """

    class Level(models.TextChoices):
        FEDERAL = "federal", _("Federal")
        STATE = "state", _("State")
        LOCAL = "local", _("Local")
        OTHER = "other", _("Other or not government")

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="participants", verbose_name=_("workshop")
    )
    token = models.CharField(
        _("browser token"), max_length=64, default=new_participant_token, editable=False
    )
    reference = models.SlugField(
        _("reference"),
        max_length=64,
        default=new_participant_reference,
        help_text=_("Names the participant in records files, without saying who they are."),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    level_of_government = models.CharField(
        _("level of government"), max_length=16, choices=Level.choices, blank=True
    )
    role = models.CharField(_("role"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    consent_to_be_named = models.BooleanField(
        _("consents to be named"),
        default=False,
        help_text=_("Names appear in reports and exports only with this consent."),
    )
    consent_recorded_at = models.DateTimeField(_("consent recorded"), null=True, blank=True)
    consent_to_contact = models.BooleanField(
        _("agrees to be contacted"),
        default=False,
        help_text=_("May be e-mailed once, when the summary report is published."),
    )
    contact_consent_at = models.DateTimeField(_("contact consent recorded"), null=True, blank=True)
    contact_opted_out_at = models.DateTimeField(
        _("opted out of messages"),
        null=True,
        blank=True,
        help_text=_("Set by the opt-out link in a message; no message is sent after it."),
    )
    # Defaults rather than auto_now(_add), so an import can restore the original times.
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    erased_at = models.DateTimeField(
        _("identity erased"),
        null=True,
        blank=True,
        help_text=_("When the participant's identity was erased; their statements and dots stay."),
    )

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        # Ordering by the foreign key's id, not the related model: no join on every query.
        ordering = ["workshop_id", "joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "token"], name="participant_token_unique_in_workshop"
            ),
            models.UniqueConstraint(
                fields=["workshop", "reference"], name="participant_reference_unique_in_workshop"
            ),
            models.CheckConstraint(
                condition=Q(level_of_government__in=["", "federal", "state", "local", "other"]),
                name="participant_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(consent_to_be_named=False) | Q(consent_recorded_at__isnull=False),
                name="participant_consent_has_time",
            ),
            models.CheckConstraint(
                condition=Q(consent_to_contact=False) | Q(contact_consent_at__isnull=False),
                name="participant_contact_consent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name or _("Anonymous participant %(id)s") % {"id": self.pk}


class Category(models.Model):
    """A cluster of statements, numbered and described after the session.

    A ranking session in a local workshop votes on a list presented from another workshop's
    session; each of its categories then points at the category it was presented from.
    """

    session = models.ForeignKey(
        PlenarySession,
        on_delete=models.CASCADE,
        related_name="categories",
        verbose_name=_("session"),
    )
    reference_number = models.PositiveSmallIntegerField(_("reference number"))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    presented_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="presented_as",
        verbose_name=_("presented from"),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["session_id", "reference_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "reference_number"], name="category_number_unique_in_session"
            ),
            models.UniqueConstraint(
                fields=["session", "name"], name="category_name_unique_in_session"
            ),
            models.UniqueConstraint(
                fields=["session", "presented_from"],
                condition=Q(presented_from__isnull=False),
                name="category_presented_once_per_session",
            ),
            models.CheckConstraint(
                condition=Q(reference_number__gte=1), name="category_number_from_1"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="category_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.reference_number}. {self.name}"


class Statement(models.Model):
    """One answer to a session's prompt: what a participant wrote on one card."""

    class Use(models.TextChoices):
        UNMARKED = "", _("Not marked")
        EXTERNAL = "E", _("External use")
        INTERNAL = "I", _("Internal use")

    class Source(models.TextChoices):
        ONLINE = "online", _("Typed online")
        CARD = "card", _("Paper card")
        FACILITATOR = "facilitator", _("Facilitator")

    session = models.ForeignKey(
        PlenarySession,
        on_delete=models.CASCADE,
        related_name="statements",
        verbose_name=_("session"),
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="statements",
        verbose_name=_("participant"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="statements",
        verbose_name=_("category"),
    )
    text = models.TextField(_("text"), max_length=STATEMENT_MAX_LENGTH)
    use = models.CharField(_("use"), max_length=1, choices=Use.choices, blank=True, default="")
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.ONLINE
    )
    idempotency_key = models.UUIDField(
        _("idempotency key"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Made by the submitting client, so a retried submission is stored once."),
    )
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(_("reason for hiding"), max_length=300, blank=True)
    filed_by_suggestion = models.BooleanField(
        _("filed from a suggestion"),
        default=False,
        help_text=_(
            "Its category was accepted from a clustering suggestion; a facilitator's own move "
            "clears it."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["session_id", "created_at", "pk"]
        indexes = [
            # The live board's poll reads a session's visible statements by key (responses/board.py)
            models.Index(fields=["session", "hidden", "id"], name="statement_session_hidden_id"),
            models.Index(fields=["participant", "session"], name="statement_participant"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="statement_text_not_empty"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("text"), STATEMENT_MAX_LENGTH),
                name="statement_text_max_length",
            ),
            models.CheckConstraint(condition=Q(use__in=["", "E", "I"]), name="statement_use_valid"),
            models.CheckConstraint(
                condition=Q(source__in=["online", "card", "facilitator"]),
                name="statement_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(hidden=False) | ~Q(hidden_reason=""),
                name="statement_hidden_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    def clean(self) -> None:
        validate_within_session(self)


class Dot(models.Model):
    """The dots one participant placed on one category (``count`` above 1 where dots stack).

    The session's limit spans several rows, so it is enforced where dots are placed (with the
    participant's row locked); the database still refuses empty or absurd counts.
    """

    session = models.ForeignKey(
        PlenarySession, on_delete=models.CASCADE, related_name="dots", verbose_name=_("session")
    )
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="dots", verbose_name=_("category")
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="dots", verbose_name=_("participant")
    )
    count = models.PositiveSmallIntegerField(_("dots"), default=1)
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)

    class Meta:
        verbose_name = _("dot")
        verbose_name_plural = _("dots")
        ordering = ["session_id", "category_id", "participant_id"]
        indexes = [models.Index(fields=["session", "participant"], name="dot_session_participant")]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "category"], name="dot_one_row_per_participant_category"
            ),
            models.CheckConstraint(
                condition=Q(count__gte=1, count__lte=20), name="dot_count_1_to_20"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count} × {self.category}"

    def clean(self) -> None:
        validate_within_session(self)


class DotChange(models.Model):
    """The key of a dot placed or taken off, so a retried request changes nothing twice.

    The participant's page sends a key made for each tap and the same key when it sends that
    tap again (after a timeout, a busy server, a lost answer). Written in the same transaction
    as the change; the key is the whole record (no time, no category: nothing personal).
    """

    key = models.UUIDField(_("key"), primary_key=True)
    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="dot_changes",
        verbose_name=_("participant"),
    )

    class Meta:
        verbose_name = _("dot change")
        verbose_name_plural = _("dot changes")

    def __str__(self) -> str:
        return str(self.key)


class PaperDotTally(models.Model):
    """The dots counted on a paper wall chart for one category: a total, not individual voters.

    Kept apart from ``Dot`` so reports and exports can always tell counted paper dots from dots
    placed one by one; the report's votes for a category are the sum of both.
    """

    session = models.ForeignKey(
        PlenarySession,
        on_delete=models.CASCADE,
        related_name="paper_tallies",
        verbose_name=_("session"),
    )
    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, related_name="paper_tally", verbose_name=_("category")
    )
    count = models.PositiveIntegerField(_("paper dots"))
    note = models.CharField(
        _("note"), max_length=300, blank=True, help_text=_("E.g. who counted and from what.")
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("paper dot total")
        verbose_name_plural = _("paper dot totals")
        ordering = ["session_id", "category_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__gte=0, count__lte=100000), name="paper_tally_count_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count} × {self.category} (paper)"

    def clean(self) -> None:
        if self.category_id and self.category.session_id != self.session_id:
            raise ValidationError({"category": _("The category belongs to another session.")})


class AgencyProject(models.Model):
    """An organisation's existing or planned social media project, described by a participant.

    Facilitators review each entry; approved ones are shared with the workshop's participants
    after the workshop. The contact is kept only with its own consent.
    """

    class Status(models.TextChoices):
        EXISTING = "existing", _("Existing")
        PLANNED = "planned", _("Planned")

    class Review(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Not shared")

    workshop = models.ForeignKey(
        Workshop,
        on_delete=models.CASCADE,
        related_name="agency_projects",
        verbose_name=_("workshop"),
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agency_projects",
        verbose_name=_("described by"),
    )
    organisation = models.CharField(_("organisation"), max_length=200)
    platform = models.CharField(
        _("tool or platform"), max_length=200, help_text=_("E.g. Twitter, a blog, YouTube.")
    )
    purpose = models.TextField(_("purpose"), max_length=2000)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_consent = models.BooleanField(
        _("contact may be shared"),
        default=False,
        help_text=_("The contact is shown to the workshop's participants only with this consent."),
    )
    contact_consent_at = models.DateTimeField(_("contact consent recorded"), null=True, blank=True)
    review = models.CharField(
        _("review"), max_length=16, choices=Review.choices, default=Review.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    idempotency_key = models.UUIDField(
        _("idempotency key"), default=uuid.uuid4, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("agency project")
        verbose_name_plural = _("agency projects")
        ordering = ["workshop_id", "organisation", "pk"]
        indexes = [models.Index(fields=["workshop", "review"], name="project_workshop_review")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["existing", "planned"]), name="project_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(review__in=["pending", "approved", "rejected"]),
                name="project_review_valid",
            ),
            models.CheckConstraint(
                condition=~Q(organisation="") & ~Q(platform="") & ~Q(purpose=""),
                name="project_described",
            ),
            models.CheckConstraint(
                condition=Q(contact_consent=True, contact_consent_at__isnull=False)
                | Q(contact_consent=False, contact_name="", contact_email=""),
                name="project_contact_only_with_consent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.platform}"


class SuggestionDismissal(models.Model):
    """A clustering suggestion a facilitator turned down (a proposed group, or a "looks like a
    duplicate" hint answered "keep both"), so that it is not proposed again in that session.

    ``signature`` names the suggestion by what it is made of (responses/suggest/selectors.py):
    the same statements proposed again are the same suggestion.
    """

    class Kind(models.TextChoices):
        GROUP = "group", _("proposed group")
        DUPLICATE = "duplicate", _("possible duplicate")

    session = models.ForeignKey(
        PlenarySession,
        on_delete=models.CASCADE,
        related_name="suggestion_dismissals",
        verbose_name=_("session"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    signature = models.CharField(_("signature"), max_length=64)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dismissed by"),
    )
    dismissed_at = models.DateTimeField(_("dismissed"), default=timezone.now)

    class Meta:
        verbose_name = _("dismissed suggestion")
        verbose_name_plural = _("dismissed suggestions")
        ordering = ["session_id", "dismissed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind", "signature"], name="suggestion_dismissed_once"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["group", "duplicate"]), name="suggestion_dismissal_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.signature}"
