from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from sessions.roles import user_grant_role


class Command(BaseCommand):
    help = "Make a user staff (sees everything, uses the admin) or a facilitator."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=["staff", "facilitator"])

    def handle(self, *args, username: str, role: str, **options) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(
                f"No user called {username!r}. Create one first: manage.py createsuperuser "
                "or the admin's Users page."
            ) from None
        user_grant_role(user=user, role=role)
        self.stdout.write(self.style.SUCCESS(f"{username} is now {role}."))
