"""The benchmark's database side, run with the project's virtualenv (it imports Django).

    DJANGO_SETTINGS_MODULE=ctg_workshops.settings .venv/bin/python bench/scenario.py setup [N]
    ... bench/scenario.py phase voting
    ... bench/scenario.py collect
    ... bench/scenario.py limits

Each command prints one JSON object on stdout. burst.py calls it with the same environment as
the gunicorn it starts (DATABASE_URL of the throwaway benchmark database, or SQLITE_PATH of a
temporary file for bench/sqlite_writers.py), so nothing here touches any other database.
"""

import datetime
import json
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg_workshops.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Sum  # noqa: E402

from responses.models import Category, Dot, Participant, Statement  # noqa: E402
from sessions.models import PlenarySession, ProjectPhase, Workshop  # noqa: E402
from sessions.roles import user_grant_role  # noqa: E402
from sessions.services import session_phase_set  # noqa: E402

CATEGORY_NAMES = [
    "Reaching the public where it already is",
    "Records retention and archiving",
    "Staff time and training",
    "Security and privacy",
    "Agency policy and approval",
    "Accessibility for every citizen",
    "Measuring what works",
    "Tone and trust",
]


def setup(facilitators: int) -> dict:
    """One phase, one state workshop, one session collecting, with eight categories.

    And ``facilitators`` accounts in the Facilitators group, assigned to the workshop, each
    with a fresh random password (the database is thrown away after the run).
    """
    phase = ProjectPhase.objects.create(
        title="Benchmark phase", slug="bench-phase", organisation="Benchmark"
    )
    workshop = Workshop.objects.create(
        phase=phase,
        title="Benchmark state agency workshop",
        kind=Workshop.Kind.STATE,
        date=datetime.date.today(),
        status=Workshop.Status.RUNNING,
    )
    session = PlenarySession.objects.create(
        workshop=workshop,
        position=1,
        title="Values",
        prompt="What value does social media bring to your agency?",
        purpose=PlenarySession.Purpose.VALUES,
        writing_minutes=5,
        dots_per_participant=4,
        dots_may_stack=False,
    )
    categories = [
        Category.objects.create(session=session, reference_number=number, name=name)
        for number, name in enumerate(CATEGORY_NAMES, start=1)
    ]
    session_phase_set(session=session, phase=PlenarySession.Phase.COLLECTING)
    accounts = []
    for number in range(1, facilitators + 1):
        username, password = f"bench-facilitator-{number}", secrets.token_urlsafe(18)
        user = get_user_model().objects.create_user(username=username, password=password)
        user_grant_role(user=user, role="facilitator")
        workshop.facilitators.add(user)
        accounts.append({"username": username, "password": password})
    return {
        "code": session.join_code,
        "workshop": workshop.pk,
        "session": session.pk,
        "categories": [category.pk for category in categories],
        "facilitators": accounts,
    }


def phase(name: str) -> dict:
    session = PlenarySession.objects.get(workshop__phase__slug="bench-phase")
    session_phase_set(session=session, phase=name)
    return {"phase": session.phase}


def collect() -> dict:
    """Everything the participants left in the database, for the loss and duplicate counts."""
    session = PlenarySession.objects.get(workshop__phase__slug="bench-phase")
    statements = [
        {"key": str(key), "text": text, "use": use, "token": token}
        for key, text, use, token in Statement.objects.filter(session=session).values_list(
            "idempotency_key", "text", "use", "participant__token"
        )
    ]
    dots = [
        {"token": token, "category": category, "count": count}
        for token, category, count in Dot.objects.filter(session=session).values_list(
            "participant__token", "category_id", "count"
        )
    ]
    return {
        "participants": Participant.objects.filter(workshop=session.workshop).count(),
        "statements": statements,
        "dots": dots,
        "dot_total": Dot.objects.filter(session=session).aggregate(n=Sum("count"))["n"] or 0,
    }


def limits() -> dict:
    """The settings the run depends on, read from the server's own configuration.

    The rate limits (the balanced run pushes one participant over its per-minute limit and
    expects the refusal at the right count) and whether this version of the application sheds
    queued requests (`SHED_QUEUE_MS`, read only behind a proxy that stamps `X-Request-Start`).
    """
    from django.conf import settings

    names = [
        "PARTICIPANT_WRITES_PER_MINUTE",
        "SESSION_WRITES_PER_MINUTE",
        "ADDRESS_JOINS_PER_10_MINUTES",
        "ADDRESS_WRITES_PER_MINUTE",
        "ADDRESS_CARDS_PER_MINUTE",
        "STATEMENTS_PER_PARTICIPANT",
        "BEHIND_PROXY",
        "SHED_QUEUE_MS",
    ]
    return {name.lower(): getattr(settings, name, None) for name in names}


def main(argv: list[str]) -> None:
    command = argv[1] if len(argv) > 1 else ""
    if command == "setup" and len(argv) <= 3:
        result = setup(int(argv[2]) if len(argv) == 3 else 0)
    elif command == "phase" and len(argv) == 3:
        result = phase(argv[2])
    elif command == "collect":
        result = collect()
    elif command == "limits":
        result = limits()
    else:
        sys.exit("usage: scenario.py setup [facilitators] | phase <phase> | collect | limits")
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
