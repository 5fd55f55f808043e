from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles(sender: AppConfig, **kwargs: object) -> None:
    # Permissions exist only after migrate has created them, so the groups are set up here
    # rather than in a data migration. post_migrate fires once per app, and each app's
    # permissions appear in its own turn, so this runs every time (it is idempotent).
    from sessions.roles import roles_ensure

    roles_ensure()


class WorkshopSessionsConfig(AppConfig):
    """Workshops, their plenary sessions and the facilitators' notes.

    The label is not "sessions": django.contrib.sessions owns that one.
    """

    name = "sessions"
    label = "workshop_sessions"
    verbose_name = _("Workshops and sessions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_ensure_roles, dispatch_uid="workshop_sessions_roles")
