from django.contrib import admin

from reports.models import ImportBatch, Notification, Publication, ReportExport, ReportNarrative


@admin.register(ReportNarrative)
class ReportNarrativeAdmin(admin.ModelAdmin):
    list_display = ["phase", "updated_at", "updated_by"]
    search_fields = ["phase__title", "abstract", "introduction", "concluding_remarks"]
    list_select_related = ["phase", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ReportExport)
class ReportExportAdmin(admin.ModelAdmin):
    list_display = ["phase", "format", "via", "user", "size_bytes", "created_at"]
    list_filter = ["format", "via", "phase"]
    list_select_related = ["phase", "user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class _RecordAdmin(admin.ModelAdmin):
    """A record kept by the site: browsed in the admin, changed only through the site's pages."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Publication)
class PublicationAdmin(_RecordAdmin):
    list_display = ["title", "phase", "visibility", "published_at", "published_by", "withdrawn_at"]
    list_filter = ["visibility", "phase"]
    list_select_related = ["phase", "published_by"]
    exclude = ["body_html", "pdf", "docx", "token"]

    def get_queryset(self, request):
        # The list never loads the stored page, PDF and Word file.
        return super().get_queryset(request).defer("body_html", "pdf", "docx")


@admin.register(Notification)
class NotificationAdmin(_RecordAdmin):
    list_display = ["phase", "participant", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "phase"]
    list_select_related = ["phase", "participant"]


@admin.register(ImportBatch)
class ImportBatchAdmin(_RecordAdmin):
    list_display = ["filename", "status", "created_by", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    exclude = ["content"]

    def get_queryset(self, request):
        # The list never loads an earlier upload's file or its (capped) problems.
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("content", "problems", "summary")
        return queryset
