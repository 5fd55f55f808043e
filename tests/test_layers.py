"""The registries through which a higher app takes part in a lower one's work without the lower
one importing it (docs/architecture.md): filled in the apps' AppConfig.ready(), and refusing a
second, different entry for the same thing."""

import pytest

from reports.notifications import participant_notifications_data, participant_notifications_erase
from responses.history import participant_names
from responses.models import AgencyProject, Statement
from responses.privacy import personal_data_register
from sessions.audit import (
    ChangeLine,
    audit_change_lines,
    audit_choices_register,
    audit_namer_register,
)


def test_the_history_shows_responses_choices_by_their_labels():
    assert audit_change_lines({"use": ["", "E"], "source": [None, "card"]}) == [
        ChangeLine(label="Use", before=None, after="External use"),
        ChangeLine(label="Source", before=None, after="Paper card"),
    ]


def test_registering_the_same_choices_again_changes_nothing():
    audit_choices_register(field="use", choices=Statement.Use)  # as a second ready() would

    assert audit_change_lines({"use": ["I", "E"]}) == [
        ChangeLine(label="Use", before="Internal use", after="External use")
    ]


def test_a_field_is_never_shown_with_two_sets_of_choices():
    with pytest.raises(ValueError, match="'use'"):
        audit_choices_register(field="use", choices=AgencyProject.Review)


def test_a_record_type_is_named_by_one_app_only():
    audit_namer_register(target="participant", namer=participant_names)  # the same: allowed
    with pytest.raises(ValueError, match="'participant'"):
        audit_namer_register(target="participant", namer=lambda ids: {})
    with pytest.raises(ValueError, match="unknown record type"):
        audit_namer_register(target="agenda", namer=participant_names)


def test_a_part_of_a_participants_data_is_held_by_one_app_only():
    personal_data_register(
        key="notifications",
        export=participant_notifications_data,
        erase=participant_notifications_erase,
    )  # as reports' ready() does: allowed again
    with pytest.raises(ValueError, match="'notifications'"):
        personal_data_register(key="notifications", export=list, erase=print)
