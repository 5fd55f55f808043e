from django.contrib import admin

from reports.models import ReportExport, ReportNarrative


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
