"""The staff-written parts of a phase's summary report. Every number comes from the records."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sessions.models import ProjectPhase, Workshop


class ReportNarrative(models.Model):
    """The narrative sections of one phase's summary report, in Markdown."""

    phase = models.OneToOneField(
        ProjectPhase,
        on_delete=models.CASCADE,
        related_name="narrative",
        verbose_name=_("project phase"),
    )
    abstract = models.TextField(_("abstract"), blank=True)
    introduction = models.TextField(_("introduction"), blank=True)
    project_overview = models.TextField(_("project overview"), blank=True)
    project_design = models.TextField(_("project design"), blank=True)
    workshops_framing = models.TextField(
        _("workshops: how the topic was framed"),
        blank=True,
        help_text=_("How the topic was put to participants, before the per-workshop sections."),
    )
    concluding_remarks = models.TextField(_("concluding remarks"), blank=True)
    appendix_c = models.TextField(_("Appendix C: project description"), blank=True)
    suppress_below = models.PositiveSmallIntegerField(
        _("suppress groups smaller than"),
        default=0,
        help_text=_(
            "A workshop with fewer participants than this shows no counts and no quotes in the "
            "report, so nobody in a very small group can be recognised. 0 shows everything."
        ),
    )
    # The report's scope: by default every workshop of the phase but the practice ones. Staff
    # may leave out a workshop or take a practice one in; stored as these two exceptions, so a
    # workshop added later follows the default until staff decide otherwise.
    workshops_left_out = models.ManyToManyField(
        Workshop,
        blank=True,
        related_name="+",
        verbose_name=_("workshops left out of the report"),
    )
    practice_included = models.ManyToManyField(
        Workshop,
        blank=True,
        related_name="+",
        verbose_name=_("practice workshops included in the report"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("report narrative")
        verbose_name_plural = _("report narratives")

    def __str__(self) -> str:
        return str(self.phase)


class ReportExport(models.Model):
    """One export of a report: who took which format, when, and how."""

    class Format(models.TextChoices):
        HTML = "html", "HTML"
        PDF = "pdf", "PDF"
        DOCX = "docx", _("Word (.docx)")
        XLSX = "xlsx", _("Excel workbook (.xlsx)")
        CSV = "csv", _("CSV files (.zip)")
        JSON = "json", "JSON"

    class Via(models.TextChoices):
        WEB = "web", _("Web page")
        COMMAND = "command", _("Command line")

    phase = models.ForeignKey(
        ProjectPhase, on_delete=models.CASCADE, related_name="exports", verbose_name=_("phase")
    )
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    via = models.CharField(_("via"), max_length=8, choices=Via.choices, default=Via.WEB)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    size_bytes = models.PositiveIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("exported"), auto_now_add=True)

    class Meta:
        verbose_name = _("report export")
        verbose_name_plural = _("report exports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["phase", "-created_at"], name="export_phase_created")]

    def __str__(self) -> str:
        return f"{self.phase} · {self.format} · {self.created_at:%Y-%m-%d %H:%M}"


class ImportBatch(models.Model):
    """One records file brought in: checked first, imported on confirmation, kept as a record.

    The file's bytes are kept only until it is imported or discarded (it may hold personal data);
    the counts and problems found stay as the record of what was done.
    """

    class Status(models.TextChoices):
        CHECKED = "checked", _("Checked, waiting for confirmation")
        INVALID = "invalid", _("Has problems, nothing imported")
        IMPORTED = "imported", _("Imported")
        DISCARDED = "discarded", _("Discarded")

    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size_bytes = models.PositiveIntegerField(_("size in bytes"))
    content = models.BinaryField(_("file"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    summary = models.JSONField(
        _("summary"), default=dict, blank=True, help_text=_("Rows per sheet: new and present.")
    )
    problems = models.JSONField(_("problems"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("imported or discarded"), null=True, blank=True)

    class Meta:
        verbose_name = _("records import")
        verbose_name_plural = _("records imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["checked", "invalid", "imported", "discarded"]),
                name="import_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} · {self.get_status_display()}"


def new_publication_token() -> str:
    # 32 random bytes: an unlisted link cannot be guessed.
    return secrets.token_urlsafe(32)


class Publication(models.Model):
    """A phase's summary report as staff approved it, published as a read-only web page.

    The page and its PDF and Word files are rendered once, when staff publish, and served from
    here: what readers see is what staff approved, even if the records change afterwards.
    Withdrawing sets ``withdrawn_at``; the link then answers 404 at once.
    """

    class Visibility(models.TextChoices):
        UNLISTED = "unlisted", _("Unlisted: only people with the link")
        PUBLIC = "public", _("Public: listed for everyone")

    phase = models.ForeignKey(
        ProjectPhase,
        on_delete=models.CASCADE,
        related_name="publications",
        verbose_name=_("phase"),
    )
    token = models.CharField(
        _("link token"), max_length=64, unique=True, default=new_publication_token, editable=False
    )
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.UNLISTED
    )
    title = models.CharField(_("title"), max_length=300)
    body_html = models.TextField(_("page body"))
    pdf = models.BinaryField(_("PDF"), null=True, blank=True)
    docx = models.BinaryField(_("Word document"), null=True, blank=True)
    etag = models.CharField(_("ETag"), max_length=64)
    # The workshops the published report covers and leaves out, as they were when published:
    # {"included": [title, …], "left_out": [title, …]}.
    scope = models.JSONField(_("workshops covered"), default=dict, blank=True)
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )

    class Meta:
        verbose_name = _("published report")
        verbose_name_plural = _("published reports")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["phase"],
                condition=Q(withdrawn_at__isnull=True),
                name="publication_one_live_per_phase",
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=["unlisted", "public"]),
                name="publication_visibility_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """One message to one participant that a phase's report is published: queued, then sent.

    At most one per participant and phase, whatever is published or withdrawn later. Sending is
    done in the background and retried; this row records what was sent to whom and when.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Gave up after retries")
        CANCELLED = "cancelled", _("Not sent (opted out or erased)")

    publication = models.ForeignKey(
        Publication,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("published report"),
    )
    phase = models.ForeignKey(
        ProjectPhase, on_delete=models.CASCADE, related_name="+", verbose_name=_("phase")
    )
    participant = models.ForeignKey(
        "responses.Participant",
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("participant"),
    )
    email = models.EmailField(_("sent to"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("queued"), default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "phase"], name="notification_once_per_participant_phase"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed", "cancelled"]),
                name="notification_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phase} → {self.participant_id} ({self.get_status_display()})"
