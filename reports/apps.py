from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The summary report of a project phase: the staff-written narrative and, later, the builders
    and exporters that render it from the records."""

    name = "reports"
    verbose_name = _("Reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Responses, below this app, may not import it; it offers registries instead (see
        # responses.privacy and responses.selectors) for what reports adds to its pages and
        # duties: the published report's link on a closed session's page, and the notification
        # addresses in a participant's data export and erasure.
        from reports.notifications import (
            participant_notifications_data,
            participant_notifications_erase,
        )
        from reports.publishing import publication_path_for_phase
        from responses.privacy import personal_data_register
        from responses.selectors import published_report_finder_register

        published_report_finder_register(publication_path_for_phase)
        personal_data_register(
            key="notifications",
            export=participant_notifications_data,
            erase=participant_notifications_erase,
        )
