import pytest
from django.core.management import CommandError, call_command

from sessions.roles import user_is_facilitator, user_is_staff_member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_grant_role_makes_a_user_staff_with_admin_access(capsys):
    user = UserFactory(username="sam")
    call_command("grant_role", "sam", "staff")
    user.refresh_from_db()
    assert user_is_staff_member(user) and user.is_staff
    assert capsys.readouterr().out == "sam is now staff.\n"


def test_grant_role_makes_a_user_a_facilitator_without_admin_access():
    user = UserFactory(username="dana")
    call_command("grant_role", "dana", "facilitator")
    user.refresh_from_db()
    assert user_is_facilitator(user) and not user.is_staff


def test_grant_role_names_a_missing_user():
    with pytest.raises(CommandError, match="No user called 'nobody'"):
        call_command("grant_role", "nobody", "staff")
