"""What one request of each kind the participant's page and the board send costs, in process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ctg_costs CACHE_URL=redis://127.0.0.1:6379/12 \
        .venv/bin/python bench/request_costs.py [--repeat N] [--profile KIND]

Creates a throwaway database (PostgreSQL, created and dropped here) and a session with eight
categories and 300 participants, then sends each kind of request through Django's full
middleware stack (the test client, production settings: DEBUG off, templates cached) and
reports, per kind, the median CPU time, the SQL statements and the Redis round trips. These are
the figures docs/performance.md quotes beside the burst's; tests/responses/test_request_costs.py
pins the statement and round-trip counts.
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg_workshops.settings")
os.environ.setdefault("SECRET_KEY", "bench-request-costs")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/12")
DATABASE = f"ctg_costs_{os.getpid()}"
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DATABASE}")
os.environ.pop("DEBUG", None)
# Production storage needs the manifest: collected into a temporary folder below.
STATIC_ROOT = Path(os.environ.setdefault("STATIC_ROOT", tempfile.mkdtemp(prefix="ctg_costs_")))

KINDS = [
    "join page",
    "page (collecting)",
    "card",
    "status (unchanged)",
    "status (changed)",
    "page (voting)",
    "dot",
    "board feed (unchanged)",
    "healthz",
]


class RoundTrips:
    """Counts the commands sent to Redis (a pipeline or script is one round trip)."""

    def __init__(self) -> None:
        import redis.client

        self.count = 0
        counter = self

        original_execute = redis.client.Redis.execute_command
        original_pipeline = redis.client.Pipeline.execute

        def execute_command(client, *args, **kwargs):
            if not isinstance(client, redis.client.Pipeline):
                counter.count += 1
            return original_execute(client, *args, **kwargs)

        def pipeline_execute(pipe, *args, **kwargs):
            counter.count += 1
            return original_pipeline(pipe, *args, **kwargs)

        redis.client.Redis.execute_command = execute_command
        redis.client.Pipeline.execute = pipeline_execute


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--profile", choices=KINDS, help="print a cProfile of this kind")
    parser.add_argument(
        "--no-write",
        action="store_true",
        help="print only; do not rewrite bench/results/costs.json and docs/performance.md",
    )
    parser.add_argument("--sql", choices=KINDS, help="print the SQL statements of this kind")
    args = parser.parse_args()
    own_database = os.environ["DATABASE_URL"].endswith(DATABASE)
    if own_database:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)
    try:
        return measure(args)
    finally:
        if own_database:
            from django.db import connections

            connections.close_all()
            subprocess.run(["rm", "-rf", str(STATIC_ROOT)], check=False)
            subprocess.run(
                ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DATABASE],
                check=False,
            )


def measure(args) -> int:
    import django

    django.setup()
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    caches["default"].clear()
    sys.path.insert(0, str(ROOT / "bench"))
    import scenario

    from responses.views import status_key
    from sessions.models import PlenarySession

    info = scenario.setup(1)
    code, categories = info["code"], info["categories"]
    session = PlenarySession.objects.get(pk=info["session"])
    trips = RoundTrips()

    participants = []
    for _ in range(300):
        client = Client(enforce_csrf_checks=False)
        client.post(f"/s/{code}/", {"anonymous": "1"})
        participants.append(client)
    facilitator = Client()
    facilitator.force_login(session.workshop.facilitators.first())
    board = f"/workshops/{session.workshop_id}/sessions/{session.pk}/board/feed/"
    key = status_key(code)

    def status(phase):
        return lambda c, i: c.get(
            f"/s/{code}/status/",
            {"phase": phase, "revealed": "0", "k": key},
            headers={"HX-Request": "true"},
        )

    def card(c, i):
        return c.post(
            f"/s/{code}/statements/",
            {
                "text": f"Card {i} of the cost probe: trust records staff.",
                "use": "",
                "idempotency_key": str(uuid.uuid4()),
            },
            headers={"Accept": "application/json"},
        )

    def dot(c, i):
        return c.post(
            f"/s/{code}/dots/",
            {"category": categories[i % 4], "action": "place", "key": str(uuid.uuid4())},
            headers={"HX-Request": "true"},
        )

    feed_version = {}

    def board_feed(c, i):
        response = facilitator.get(board, {"v": feed_version.get("v", "")})
        return response

    stranger = Client()

    def join_page(c, i):
        stranger.cookies.clear()  # a new phone each time
        return stranger.get(f"/s/{code}/")

    plan = [
        ("join page", join_page, "collecting"),
        ("page (collecting)", lambda c, i: c.get(f"/s/{code}/"), "collecting"),
        ("card", card, "collecting"),
        ("status (unchanged)", status("collecting"), "collecting"),
        ("healthz", lambda c, i: c.get("/healthz"), "collecting"),
        ("board feed (unchanged)", board_feed, "collecting"),
        ("status (changed)", status("collecting"), "voting"),
        ("page (voting)", lambda c, i: c.get(f"/s/{code}/"), "voting"),
        ("dot", dot, "voting"),
    ]
    results = {}
    for kind, send, phase in plan:
        if session.phase != phase:
            scenario.phase(phase)
            session.refresh_from_db()
        if kind.startswith("board feed"):
            # The version the board holds: what an unchanged poll sends back.
            import re

            page = facilitator.get(board, {"v": ""}).content.decode()
            found = re.search(r"v=([^\"&]+)", page)
            feed_version["v"] = found.group(1) if found else ""
        for warm in range(3):
            send(participants[-1 - warm], 1000 + warm)
        cpu, queries, round_trips, statuses = [], [], [], set()
        profile = cProfile.Profile() if args.profile == kind else None
        for i in range(args.repeat):
            client = participants[i % len(participants)]
            trips.count = 0
            with CaptureQueriesContext(connection) as captured:
                start = time.process_time()
                if profile:
                    profile.enable()
                response = send(client, i)
                if profile:
                    profile.disable()
                cpu.append((time.process_time() - start) * 1000)
            queries.append(len(captured.captured_queries))
            if args.sql == kind and i == 0:
                for query in captured.captured_queries:
                    print(query["sql"][:160])
            round_trips.append(trips.count)
            statuses.add(response.status_code)
        results[kind] = {
            "cpu_ms_median": round(statistics.median(cpu), 2),
            "queries": max(queries),
            "redis_round_trips": max(round_trips),
            "statuses": sorted(statuses),
        }
        if profile:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    width = max(map(len, results))
    print(f"{'request':<{width}}  CPU ms (median)  SQL  Redis  status")
    for kind, row in results.items():
        print(
            f"{kind:<{width}}  {row['cpu_ms_median']:>15}  {row['queries']:>3}  "
            f"{row['redis_round_trips']:>5}  {row['statuses']}"
        )
    if not args.no_write:
        write(results, args.repeat)
    return 0


def write(results: dict, repeat: int) -> None:
    """bench/results/costs.json and the generated table in docs/performance.md."""
    import datetime
    import platform

    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    (ROOT / "bench" / "results" / "costs.json").write_text(
        json.dumps({"date": when, "repeat": repeat, "requests": results}, indent=2) + "\n"
    )
    rows = [
        "| request | CPU ms (median) | SQL statements | Redis round trips | answer |",
        "|---|---:|---:|---:|---|",
    ]
    for kind, row in results.items():
        rows.append(
            f"| {kind} | {row['cpu_ms_median']:.2f} | {row['queries']} | "
            f"{row['redis_round_trips']} | {', '.join(map(str, row['statuses']))} |"
        )
    rows.append("")
    rows.append(
        f"- Run {when}, median of {repeat} requests each, in one process through Django's whole "
        f"middleware stack (DEBUG off, PostgreSQL, Redis), Python {platform.python_version()}; "
        "SQL statements include BEGIN and COMMIT of a write's transaction. Command: "
        "`make bench` (`bench/request_costs.py`)."
    )
    doc = ROOT / "docs" / "performance.md"
    start, end = "<!-- costs:start -->", "<!-- costs:end -->"
    text = doc.read_text()
    if start in text and end in text:
        head, rest = text.split(start, 1)
        doc.write_text(head + start + "\n" + "\n".join(rows) + "\n" + end + rest.split(end, 1)[1])


if __name__ == "__main__":
    sys.exit(main())
