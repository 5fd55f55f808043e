"""Who may see what. Two groups carry the roles:

- "Staff" see every workshop, edit report narratives and export;
- "Facilitators" see and run only the workshops they are assigned to.

Superusers count as staff. Every view asks these functions rather than checking groups itself.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db import transaction
from django.db.models import QuerySet

from sessions.models import Workshop

STAFF_GROUP = "Staff"
FACILITATORS_GROUP = "Facilitators"

# The apps whose records staff manage in the admin.
STAFF_APP_LABELS = ("workshop_sessions", "responses", "reports")

User = AbstractBaseUser | AnonymousUser


def _group_names(user: User) -> set[str]:
    # Cached on the user object: a page asks several times, the database is asked once.
    if not hasattr(user, "_ctg_group_names"):
        user._ctg_group_names = set(user.groups.values_list("name", flat=True))
    return user._ctg_group_names


def user_is_staff_member(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or STAFF_GROUP in _group_names(user)


def user_is_facilitator(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return FACILITATORS_GROUP in _group_names(user)


def workshops_visible_to(user: User) -> QuerySet[Workshop]:
    if user_is_staff_member(user):
        return Workshop.objects.all()
    if user_is_facilitator(user):
        return Workshop.objects.filter(facilitators=user)
    return Workshop.objects.none()


@transaction.atomic
def roles_ensure() -> tuple[Group, Group]:
    """Create both groups if missing and give Staff every permission on the project's models."""
    staff, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    facilitators, _ = Group.objects.get_or_create(name=FACILITATORS_GROUP)
    staff.permissions.set(Permission.objects.filter(content_type__app_label__in=STAFF_APP_LABELS))
    return staff, facilitators


@transaction.atomic
def user_grant_role(*, user: AbstractBaseUser, role: str) -> AbstractBaseUser:
    """Put a user in the Staff or Facilitators group; staff also get into the admin."""
    staff, facilitators = roles_ensure()
    if role == "staff":
        user.groups.add(staff)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    elif role == "facilitator":
        user.groups.add(facilitators)
    else:
        raise ValueError(f"unknown role {role!r}")
    return user
