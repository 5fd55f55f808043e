import pytest
from django.contrib.auth.models import AnonymousUser, Group

from sessions.roles import (
    FACILITATORS_GROUP,
    STAFF_GROUP,
    user_grant_role,
    workshops_visible_to,
)
from tests.factories import UserFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


def test_roles_exist_after_migrate_and_staff_can_manage_every_project_model():
    staff = Group.objects.get(name=STAFF_GROUP)
    Group.objects.get(name=FACILITATORS_GROUP)
    codenames = set(staff.permissions.values_list("codename", flat=True))
    for model in ["workshop", "plenarysession", "statement", "category", "dot", "reportnarrative"]:
        assert {f"add_{model}", f"change_{model}", f"delete_{model}", f"view_{model}"} <= codenames


def test_facilitator_sees_only_assigned_workshops(facilitator, other_facilitator):
    mine = WorkshopFactory(facilitators=[facilitator])
    WorkshopFactory(facilitators=[other_facilitator])
    assert list(workshops_visible_to(facilitator)) == [mine]


def test_staff_and_superusers_see_every_workshop(staff_user):
    workshops = [WorkshopFactory(), WorkshopFactory()]
    superuser = UserFactory(is_superuser=True)
    assert set(workshops_visible_to(staff_user)) == set(workshops)
    assert set(workshops_visible_to(superuser)) == set(workshops)


def test_users_without_a_role_and_anonymous_visitors_see_nothing():
    WorkshopFactory()  # a workshop exists, yet neither sees it
    assert not workshops_visible_to(UserFactory()).exists()
    assert not workshops_visible_to(AnonymousUser()).exists()


def test_deactivated_staff_see_nothing():
    WorkshopFactory()
    user = UserFactory(role="staff", is_active=False)
    assert not workshops_visible_to(user).exists()


def test_granting_staff_opens_the_admin_but_facilitator_does_not():
    staff = user_grant_role(user=UserFactory(), role="staff")
    facilitator = user_grant_role(user=UserFactory(), role="facilitator")
    assert (staff.is_staff, facilitator.is_staff) == (True, False)


def test_granting_an_unknown_role_is_refused():
    with pytest.raises(ValueError, match="unknown role"):
        user_grant_role(user=UserFactory(), role="owner")
