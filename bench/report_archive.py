"""`make bench`, part two: building the summary report while the database holds a large archive.

A throwaway PostgreSQL database is filled (by SQL, in seconds) with 100 project phases of 10
workshops each: 1,000 workshops, 2,000 sessions, 16,000 categories, 100,000 statements, 100,000
participants and 400,000 dots. Then the report is built for one ordinary phase (10 workshops)
and for one phase holding the whole archive (all 1,000 workshops moved into it), each against a
single raw SQL query that fetches the same rows the report shows: every statement of the phase
with its category and that category's votes. The figures go to bench/results/report.json and
docs/performance.md.

Run with the project's virtualenv: `.venv/bin/python bench/report_archive.py` (make bench does).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "report.json"
DOC = ROOT / "docs" / "performance.md"
DOC_START, DOC_END = "<!-- report:start -->", "<!-- report:end -->"
PG = "postgres://postgres@127.0.0.1:5432"
DATABASE = f"ctg_bench_report_{os.getpid()}"
RUNS = 7

PHASES, WORKSHOPS_PER_PHASE = 100, 10
CATEGORIES_PER_SESSION = 8
STATEMENTS_PER_WORKSHOP = 100  # 50 in each of the two sessions
PARTICIPANTS_PER_WORKSHOP = 100  # each places 4 dots in the concerns session

FILL = f"""
INSERT INTO workshop_sessions_projectphase (title, slug, subtitle, organisation, created_at)
SELECT 'Archive phase ' || p, 'archive-' || p, '', 'Bench', now()
FROM generate_series(1, {PHASES}) p;

INSERT INTO workshop_sessions_workshop
  (phase_id, title, reference, kind, date, venue, description, status, created_at, updated_at)
SELECT ph.id, 'Workshop ' || w, ph.slug || '-w' || w,
       CASE WHEN w % 2 = 0 THEN 'state' ELSE 'local' END,
       DATE '2009-01-01' + w, 'Venue', '', 'completed', now(), now()
FROM workshop_sessions_projectphase ph, generate_series(1, {WORKSHOPS_PER_PHASE}) w;

INSERT INTO workshop_sessions_plenarysession
  (workshop_id, position, title, prompt, purpose, writing_minutes, dots_per_participant,
   dots_may_stack, phase, phase_changed_at, results_revealed, join_code, created_at)
SELECT w.id, s, CASE s WHEN 1 THEN 'Values' ELSE 'Concerns' END, 'Prompt',
       CASE s WHEN 1 THEN 'values' ELSE 'concerns' END, 5, 4, false, 'closed', now(), true,
       'B' || lpad((w.id * 2 + s)::text, 10, '0'), now()
FROM workshop_sessions_workshop w, generate_series(1, 2) s;

INSERT INTO responses_category (session_id, reference_number, name, description)
SELECT s.id, c, 'Category ' || c, 'What category ' || c || ' holds.'
FROM workshop_sessions_plenarysession s, generate_series(1, {CATEGORIES_PER_SESSION}) c;

INSERT INTO responses_participant
  (workshop_id, token, reference, name, organisation, level_of_government, role, email,
   consent_to_be_named, consent_to_contact, joined_at)
SELECT w.id, md5(w.id || '-' || p), 'p-' || p, '', 'Agency ' || (p % 16), 'state', '', '', false,
       false, now()
FROM workshop_sessions_workshop w, generate_series(1, {PARTICIPANTS_PER_WORKSHOP}) p;

INSERT INTO responses_statement
  (session_id, category_id, participant_id, text, use, source, idempotency_key, hidden,
   hidden_reason, created_at, updated_at)
SELECT s.id, c.id, NULL, 'Statement ' || n || ' of session ' || s.id,
       CASE n % 3 WHEN 0 THEN 'E' WHEN 1 THEN 'I' ELSE '' END, 'card', gen_random_uuid(),
       n % 50 = 0, CASE WHEN n % 50 = 0 THEN 'Duplicate' ELSE '' END, now(), now()
FROM workshop_sessions_plenarysession s
CROSS JOIN generate_series(1, {STATEMENTS_PER_WORKSHOP // 2}) n
JOIN responses_category c
  ON c.session_id = s.id AND c.reference_number = 1 + n % {CATEGORIES_PER_SESSION};

INSERT INTO responses_dot (session_id, category_id, participant_id, count, placed_at)
SELECT s.id, c.id, p.id, 1, now()
FROM workshop_sessions_plenarysession s
JOIN responses_participant p ON p.workshop_id = s.workshop_id
CROSS JOIN generate_series(0, 3) k
JOIN responses_category c ON c.session_id = s.id
  AND c.reference_number = 1 + (p.id + k) % {CATEGORIES_PER_SESSION}
WHERE s.purpose = 'concerns';

ANALYZE;
"""

# The same rows the report shows, in one query: each visible statement of the phase with its
# category and the category's votes (the report also shows categories without statements; the
# query returns those too, through the outer join).
RAW = """
SELECT c.id, c.reference_number, c.name, c.description, coalesce(v.votes, 0),
       st.id, st.text, st.use
FROM responses_category c
JOIN workshop_sessions_plenarysession s ON s.id = c.session_id
JOIN workshop_sessions_workshop w ON w.id = s.workshop_id
JOIN workshop_sessions_projectphase ph ON ph.id = w.phase_id
LEFT JOIN (
  SELECT d.category_id, sum(d.count) AS votes
  FROM responses_dot d
  JOIN workshop_sessions_plenarysession ds ON ds.id = d.session_id
  JOIN workshop_sessions_workshop dw ON dw.id = ds.workshop_id
  JOIN workshop_sessions_projectphase dp ON dp.id = dw.phase_id
  WHERE dp.slug = %(slug)s
  GROUP BY d.category_id
) v ON v.category_id = c.id
LEFT JOIN responses_statement st ON st.category_id = c.id AND NOT st.hidden
WHERE ph.slug = %(slug)s
ORDER BY s.id, c.reference_number, st.created_at, st.id
"""


def psql(database: str, sql: str) -> None:
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", f"{PG}/{database}", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )


def timed(action, runs: int = RUNS) -> dict:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "runs": runs,
        "min_ms": round(min(samples), 1),
        "median_ms": round(statistics.median(samples), 1),
        "max_ms": round(max(samples), 1),
    }


def measure(slug: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.selectors import report_build

    def raw() -> int:
        with connection.cursor() as cursor:
            cursor.execute(RAW, {"slug": slug})
            return len(cursor.fetchall())

    report_build(phase=slug)  # warm caches, as a second visit would
    with CaptureQueriesContext(connection) as queries:
        report = report_build(phase=slug)
    rows = raw()
    return {
        "phase": slug,
        "workshops": len(report.workshops),
        "statements_shown": sum(len(g.statements) for g in report.appendix_a + report.appendix_b),
        "queries": len(queries.captured_queries),
        "report_build": timed(lambda: report_build(phase=slug)),
        "raw_sql_rows": rows,
        "raw_sql": timed(raw),
    }


def counts() -> dict:
    from django.db import connection

    tables = {
        "workshops": "workshop_sessions_workshop",
        "sessions": "workshop_sessions_plenarysession",
        "categories": "responses_category",
        "statements": "responses_statement",
        "participants": "responses_participant",
        "dots": "responses_dot",
    }
    with connection.cursor() as cursor:
        result = {}
        for name, table in tables.items():
            cursor.execute(f"SELECT count(*) FROM {table}")
            result[name] = cursor.fetchone()[0]
    return result


def write_doc(result: dict) -> None:
    archive = result["archive"]
    rows = [
        "| phase | workshops | queries | report build, median (min–max) | raw SQL, median "
        "| ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for case in result["cases"]:
        build, raw = case["report_build"], case["raw_sql"]
        rows.append(
            f"| {case['label']} | {case['workshops']:,} | {case['queries']} | "
            f"{build['median_ms']:,} ms ({build['min_ms']:,}–{build['max_ms']:,}) | "
            f"{raw['median_ms']:,} ms ({case['raw_sql_rows']:,} rows) | "
            f"{build['median_ms'] / max(raw['median_ms'], 0.1):.1f}× |"
        )
    section = "\n".join(
        [
            DOC_START,
            f"Measured {result['measured_at']} on {result['machine']} with `make bench` "
            "(`bench/report_archive.py`).",
            "",
            f"Archive: {archive['workshops']:,} workshops, {archive['sessions']:,} sessions, "
            f"{archive['categories']:,} categories, {archive['statements']:,} statements, "
            f"{archive['participants']:,} participants, {archive['dots']:,} dots "
            f"(PostgreSQL {result['postgres']}).",
            "",
            *rows,
            "",
            "The report builder makes the same number of queries at any size; the raw query "
            "fetches the same rows in one statement and is the floor. Each figure is the "
            f"median of {RUNS} builds after one warm-up.",
            DOC_END,
        ]
    )
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    if DOC_START in text:
        before, _, rest = text.partition(DOC_START)
        _, _, after = rest.partition(DOC_END)
        text = before + section + after
    else:
        text = (
            text.rstrip() + "\n\n## Building the report over a large archive\n\n" + section + "\n"
        )
    DOC.write_text(text)


def main() -> int:
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)
    try:
        env = {
            **os.environ,
            "DATABASE_URL": f"{PG}/{DATABASE}",
            "SECRET_KEY": "bench-" + "x" * 60,
            "DJANGO_SETTINGS_MODULE": "ctg_workshops.settings",
        }
        env.pop("DEBUG", None)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=300,
        )
        started = time.perf_counter()
        psql(DATABASE, FILL)
        fill_seconds = round(time.perf_counter() - started, 1)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY")})
        os.environ["DJANGO_SETTINGS_MODULE"] = "ctg_workshops.settings"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        archive = counts()
        ordinary = measure("archive-2")
        ordinary["label"] = "an ordinary phase"
        psql(
            DATABASE,
            "UPDATE workshop_sessions_workshop SET phase_id = "
            "(SELECT id FROM workshop_sessions_projectphase WHERE slug = 'archive-1'); ANALYZE;",
        )
        everything = measure("archive-1")
        everything["label"] = "one phase holding the whole archive"
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            postgres = cursor.fetchone()[0]
        connection.close()
        result = {
            "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": (
                f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
            ),
            "postgres": postgres,
            "fill_seconds": fill_seconds,
            "archive": archive,
            "cases": [ordinary, everything],
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        write_doc(result)
        for case in result["cases"]:
            print(
                f"{case['label']}: {case['workshops']} workshops, {case['queries']} queries, "
                f"report {case['report_build']['median_ms']} ms, "
                f"raw SQL {case['raw_sql']['median_ms']} ms ({case['raw_sql_rows']} rows)"
            )
        print(f"archive: {archive}; filled in {fill_seconds} s")
        return 0
    finally:
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DATABASE], check=False
        )


if __name__ == "__main__":
    sys.exit(main())
