from django.contrib import admin

from responses.models import AgencyProject, Category, Dot, Participant, Statement


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workshop", "organisation", "level_of_government", "joined_at"]
    list_filter = ["level_of_government", "consent_to_be_named", "workshop"]
    search_fields = ["name", "organisation", "role", "email"]
    list_select_related = ["workshop"]
    readonly_fields = ["token", "joined_at", "consent_recorded_at"]


class StatementInline(admin.TabularInline):
    model = Statement
    fields = ["text", "use", "source", "hidden", "hidden_reason"]
    extra = 0
    show_change_link = True


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["reference_number", "name", "session", "presented_from"]
    list_display_links = ["name"]
    list_filter = ["session__purpose", "session__workshop"]
    search_fields = ["name", "description", "session__title"]
    list_select_related = ["session__workshop", "presented_from"]
    autocomplete_fields = ["session", "presented_from"]
    inlines = [StatementInline]


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "session", "category", "use", "source", "hidden", "created_at"]
    list_filter = ["hidden", "use", "source", "session__purpose", "session__workshop"]
    search_fields = ["text", "hidden_reason", "category__name"]
    list_select_related = ["session__workshop", "category"]
    autocomplete_fields = ["session", "category", "participant"]
    readonly_fields = ["idempotency_key", "created_at", "updated_at"]


@admin.register(Dot)
class DotAdmin(admin.ModelAdmin):
    list_display = ["category", "count", "participant", "session", "placed_at"]
    list_filter = ["session__workshop"]
    search_fields = ["category__name"]
    list_select_related = ["category", "participant", "session__workshop"]
    autocomplete_fields = ["session", "category", "participant"]


@admin.register(AgencyProject)
class AgencyProjectAdmin(admin.ModelAdmin):
    list_display = ["organisation", "platform", "status", "review", "workshop", "created_at"]
    list_filter = ["review", "status", "contact_consent", "workshop"]
    search_fields = ["organisation", "platform", "purpose"]
    list_select_related = ["workshop"]
    autocomplete_fields = ["participant"]
    readonly_fields = [
        "idempotency_key",
        "contact_consent_at",
        "reviewed_by",
        "reviewed_at",
        "created_at",
        "updated_at",
    ]
