from django.contrib import admin
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sessions.models import AuditEvent, NoteRevision, PlenarySession, ProjectPhase, Workshop


class WorkshopInline(admin.TabularInline):
    model = Workshop
    fields = ["title", "kind", "date", "start_time", "end_time", "venue", "status"]
    extra = 0
    show_change_link = True


@admin.register(ProjectPhase)
class ProjectPhaseAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "organisation", "starts_on", "ends_on", "workshop_count"]
    search_fields = ["title", "slug", "organisation"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [WorkshopInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(workshop_count=Count("workshops"))

    @admin.display(description=_("workshops"), ordering="workshop_count")
    def workshop_count(self, obj: ProjectPhase) -> int:
        return obj.workshop_count


class PlenarySessionInline(admin.StackedInline):
    model = PlenarySession
    fields = [
        ("position", "title", "purpose", "phase"),
        "prompt",
        ("writing_minutes", "dots_per_participant", "dots_may_stack", "results_revealed"),
    ]
    extra = 0
    show_change_link = True


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "date", "start_time", "venue", "status", "phase"]
    list_filter = ["kind", "status", "phase", "date"]
    search_fields = ["title", "venue", "description", "phase__title"]
    date_hierarchy = "date"
    autocomplete_fields = ["phase"]
    filter_horizontal = ["facilitators"]
    list_select_related = ["phase"]
    inlines = [PlenarySessionInline]


class NoteRevisionInline(admin.TabularInline):
    model = NoteRevision
    fields = ["number", "based_on", "author", "created_at", "text"]
    readonly_fields = ["number", "based_on", "author", "created_at", "text"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        # Revisions are written by the notes editor only, never edited afterwards.
        return False


@admin.register(PlenarySession)
class PlenarySessionAdmin(admin.ModelAdmin):
    list_display = ["title", "workshop", "position", "purpose", "phase", "join_code"]
    list_filter = ["purpose", "phase", "workshop__kind", "workshop__phase"]
    search_fields = ["title", "prompt", "workshop__title", "join_code"]
    list_select_related = ["workshop"]
    readonly_fields = ["join_code", "phase_changed_at", "created_at"]
    autocomplete_fields = ["workshop"]
    inlines = [NoteRevisionInline]

    def save_model(self, request, obj, form, change):
        if change and "phase" in form.changed_data:
            # The writing timer counts from the moment collecting opens.
            obj.phase_changed_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(NoteRevision)
class NoteRevisionAdmin(admin.ModelAdmin):
    list_display = ["session", "number", "based_on", "author", "created_at"]
    list_filter = ["session__workshop"]
    search_fields = ["text", "session__title", "session__workshop__title"]
    list_select_related = ["session__workshop", "author"]
    readonly_fields = ["session", "number", "based_on", "text", "author", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The change history, to read only: events are written by the services, never by hand."""

    list_display = [
        "created_at",
        "workshop",
        "session",
        "action",
        "target",
        "target_id",
        "actor",
        "participant_reference",
    ]
    list_filter = ["action", "target"]
    search_fields = ["target_id"]
    list_select_related = ["workshop", "session__workshop", "actor", "actor_participant"]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "workshop",
        "session",
        "actor",
        "participant_reference",
        "action",
        "target",
        "target_id",
        "changes",
    ]
    readonly_fields = fields

    @admin.display(description=_("by participant"))
    def participant_reference(self, obj: AuditEvent) -> str:
        # The reference, not str(participant), which is their name.
        return obj.actor_participant.reference if obj.actor_participant else "—"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
