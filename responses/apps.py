from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponsesConfig(AppConfig):
    """What participants contribute: their statements, the categories they are clustered into,
    and the dots placed on those categories."""

    name = "responses"
    verbose_name = _("Participants and responses")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The history belongs to sessions, below this app: tell it how to show our records.
        from responses.history import history_describe

        history_describe()
