import datetime as dt

import pytest

from reports.models import ReportNarrative
from tests.factories import (
    CategoryFactory,
    DotFactory,
    ParticipantFactory,
    PlenarySessionFactory,
    ProjectPhaseFactory,
    StatementFactory,
    WorkshopFactory,
)


def votes(category, count: int) -> None:
    for _ in range(count):
        DotFactory(category=category)


@pytest.fixture
def phase(db):
    """A small Phase I: a state workshop (values, concerns) and a local one ranking both lists.

    State concern votes: Resources 5, Security 3, Governance 3, Perception 1 (a shared rank 2).
    Local concern votes: Security 6, Resources 4, Perception 4, Governance 0.
    """
    phase = ProjectPhaseFactory(
        title="Exploratory Social Media Project — Phase I",
        slug="esmp",
        subtitle="Benefits and concerns",
    )
    ReportNarrative.objects.create(
        phase=phase,
        abstract="An **exploratory** study.",
        concluding_remarks="Phase II will centre on the concerns.",
    )
    state = WorkshopFactory(
        phase=phase, title="State agency workshop", kind="state", date=dt.date(2009, 9, 17)
    )
    local = WorkshopFactory(
        phase=phase,
        title="Local government workshop",
        kind="local",
        date=dt.date(2009, 10, 20),
        attendance_people=31,
        attendance_organisations=25,
    )
    for organisation in ["Department of Health", "department of health", "Office of Parks", ""]:
        ParticipantFactory(workshop=state, organisation=organisation)
    values = PlenarySessionFactory(workshop=state, position=1, title="Values", purpose="values")
    concerns = PlenarySessionFactory(
        workshop=state, position=2, title="Concerns", purpose="concerns"
    )
    value_categories = [
        CategoryFactory(session=values, reference_number=n, name=name, description=f"About {name}")
        for n, name in [(1, "Cost savings"), (2, "Enhanced collaboration")]
    ]
    state_concerns = {
        name: CategoryFactory(
            session=concerns, reference_number=n, name=name, description=f"About {name}"
        )
        for n, name in [(1, "Governance"), (2, "Security"), (3, "Resources"), (4, "Perception")]
    }
    for name, count in [("Resources", 5), ("Security", 3), ("Governance", 3), ("Perception", 1)]:
        votes(state_concerns[name], count)
    StatementFactory(
        session=values, category=value_categories[0], text="Cheaper than print", use="E"
    )
    StatementFactory(session=values, category=value_categories[0], text="Less travel", use="I")
    StatementFactory(session=values, category=value_categories[1], text="Share across units")
    StatementFactory(
        session=values,
        category=value_categories[1],
        text="Rude card",
        hidden=True,
        hidden_reason="Abusive",
    )
    StatementFactory(session=values, text="Not yet clustered")
    StatementFactory(session=concerns, category=state_concerns["Resources"], text="Staff time")
    StatementFactory(session=concerns, category=state_concerns["Security"], text="Hacked accounts")
    StatementFactory(
        session=concerns, category=state_concerns["Governance"], text="Who approves posts?"
    )

    local_values = PlenarySessionFactory(
        workshop=local, position=1, title="Benefits", purpose="values"
    )
    local_concerns = PlenarySessionFactory(
        workshop=local, position=2, title="Concerns", purpose="concerns"
    )
    for n, origin in enumerate(value_categories, start=1):
        presented = CategoryFactory(
            session=local_values, reference_number=n, name=origin.name, presented_from=origin
        )
        votes(presented, 3 - n)  # Cost savings 2, Enhanced collaboration 1
    for n, (name, count) in enumerate(
        [("Governance", 0), ("Security", 6), ("Resources", 4), ("Perception", 4)], start=1
    ):
        presented = CategoryFactory(
            session=local_concerns,
            reference_number=n,
            name=name,
            presented_from=state_concerns[name],
        )
        votes(presented, count)
    return phase
