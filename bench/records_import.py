"""`make bench`, part three: importing a records workbook of 10,000 statements.

The workbook holds one phase of 10 workshops, each with a values and a concerns session of 500
cards (8 categories each), 40 participants who placed 4 dots each in the concerns session, and a
paper dot total per concerns category: 10,000 statements, 1,600 dots, 80 paper totals. It is
imported the way staff import it, into a fresh PostgreSQL database and into a fresh SQLite file:

- check: `records_import(dry_run=True)`, what the upload page does before the preview
  (read, convert, resolve, write and roll back);
- import: the confirmed import, in one transaction;
- again: the same file a second time (everything is found present, nothing is written);
- export: the records exported again as .xlsx, which must equal the imported file's records.

The figures go to bench/results/records.json and docs/performance.md.
Run with the project's virtualenv: `.venv/bin/python bench/records_import.py` (make bench does).
"""

from __future__ import annotations

import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from doc_section import doc_section_write

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "records.json"
PG = "postgres://postgres@127.0.0.1:5432"

WORKSHOPS, CARDS_PER_SESSION, CATEGORIES, PARTICIPANTS = 10, 500, 8, 40


def workbook() -> bytes:
    """The 10,000-statement workbook, written in the records layout."""
    from openpyxl import Workbook

    from reports.records.layout import SHEETS_BY_NAME

    rows: dict[str, list[dict]] = {name: [] for name in SHEETS_BY_NAME}
    rows["phases"].append({"phase": "bench-phase", "title": "Bench phase"})
    for w in range(1, WORKSHOPS + 1):
        ref = f"bench-w{w}"
        rows["workshops"].append(
            {"workshop": ref, "phase": "bench-phase", "title": f"Workshop {w}",
             "kind": "local" if w % 2 else "state", "date": f"2010-03-{w:02d}"}
        )  # fmt: skip
        for position, purpose in ((1, "values"), (2, "concerns")):
            rows["sessions"].append(
                {"workshop": ref, "session": position, "title": purpose.title(),
                 "prompt": f"What {purpose}?", "purpose": purpose}
            )  # fmt: skip
            for c in range(1, CATEGORIES + 1):
                rows["categories"].append(
                    {"workshop": ref, "session": position, "category": c, "name": f"Theme {c}"}
                )
            for n in range(CARDS_PER_SESSION):
                rows["statements"].append(
                    {"workshop": ref, "session": position, "category": 1 + n % CATEGORIES,
                     "text": f"Card {n} of {purpose} in workshop {w}: reach people where they are.",
                     "use": "EI"[n % 2], "source": "card"}
                )  # fmt: skip
        for p in range(1, PARTICIPANTS + 1):
            rows["participants"].append({"workshop": ref, "participant": f"p-{p}"})
            for k in range(4):
                rows["dots"].append(
                    {"workshop": ref, "session": 2, "category": 1 + (p + k) % CATEGORIES,
                     "participant": f"p-{p}", "count": 1}
                )  # fmt: skip
        for c in range(1, CATEGORIES + 1):
            rows["paper_dots"].append({"workshop": ref, "session": 2, "category": c, "count": c})
    book = Workbook(write_only=True)
    for name, records in rows.items():
        sheet = book.create_sheet(name)
        columns = SHEETS_BY_NAME[name].column_names
        sheet.append(list(columns))
        for record in records:
            sheet.append([record.get(column) for column in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def inner() -> None:
    """Runs in a child process whose environment names the database."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from reports.records.exporting import records_tables
    from reports.records.importing import records_import
    from responses.models import Dot, PaperDotTally, Statement

    content = workbook()
    result: dict = {"file_bytes": len(content), "vendor": connection.vendor}

    def timed(label: str, **kwargs) -> None:
        ticks: list[int] = []
        started = time.perf_counter()
        outcome = records_import(
            name="bench.xlsx",
            content=content,
            progress=lambda stage, done, total: ticks.append(done),
            **kwargs,
        )
        result[f"{label}_s"] = round(time.perf_counter() - started, 2)
        result[f"{label}_progress_updates"] = len(ticks)
        if not outcome.ok:
            raise SystemExit(f"{label}: {outcome.problems[:5]}")
        result[f"{label}_new"] = sum(c["new"] for c in outcome.counts.values())

    timed("check", dry_run=True)
    if Statement.objects.exists():
        raise SystemExit("the check left statements behind")
    timed("import")
    timed("again")
    started = time.perf_counter()
    tables = records_tables()
    result["export_s"] = round(time.perf_counter() - started, 2)
    result["statements"] = Statement.objects.count()
    result["dots"] = sum(Dot.objects.values_list("count", flat=True))
    result["paper_totals"] = PaperDotTally.objects.count()
    result["exported_statements"] = len(tables["statements"])
    print(json.dumps(result))


def run(env: dict) -> dict:
    base = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "ctg_workshops.settings"}
    base.setdefault("SECRET_KEY", "bench-" + "x" * 60)
    base.pop("DEBUG", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=base,
        check=True,
        timeout=300,
    )
    out = subprocess.run(
        [sys.executable, __file__, "--inner"],
        cwd=ROOT,
        env=base,
        check=True,
        timeout=600,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_doc(results: dict, *, load_average: tuple[float, float]) -> None:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"Measured {when} on {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()} with `make bench` (`bench/records_import.py`); the "
        f"machine's load average was {load_average[0]} when the run started and "
        f"{load_average[1]} when it ended (other work on the same cores slows every figure).",
        "",
        f"Workbook: {results['postgresql']['statements']:,} statements, "
        f"{results['postgresql']['dots']:,} dots, {results['postgresql']['paper_totals']} paper "
        f"totals in {WORKSHOPS} workshops ({results['postgresql']['file_bytes'] / 1e6:.1f} MB).",
        "",
        "| database | check (preview) | import | the same file again | export |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['check_s']} s | {r['import_s']} s "
            f"({r['import_progress_updates']} progress updates) | {r['again_s']} s "
            f"({r['again_new']} new) | {r['export_s']} s |"
        )
    lines += [
        "",
        "Check and import each read the whole workbook (its XML parsed by defusedxml, a row at "
        "a time, within the limits of docs/records.md), convert every cell, "
        "resolve every reference with a fixed number of queries per sheet, and write with "
        "`bulk_create` in batches of 1,000; the check then rolls back. The same file again finds "
        "every record present and writes nothing.",
    ]
    text = "\n".join(lines)
    doc_section_write("records", text, heading="Importing a records workbook")


def main() -> int:
    database = f"ctg_bench_records_{os.getpid()}"
    results = {}
    # Other work on the same cores slows every figure; the doc says how busy they were.
    load_at_start = round(os.getloadavg()[0], 1)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    try:
        results["postgresql"] = run({"DATABASE_URL": f"{PG}/{database}"})
    finally:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", database], check=False)
    with tempfile.TemporaryDirectory() as tmp:
        env = {"SQLITE_PATH": str(Path(tmp) / "bench.sqlite3")}
        os.environ.pop("DATABASE_URL", None)
        results["sqlite"] = run(env)
    for name, r in results.items():
        print(f"{name}: {json.dumps(r)}")
        if r["statements"] != 10_000 or r["again_new"] != 0 or r["exported_statements"] != 10_000:
            print(f"{name}: unexpected counts", file=sys.stderr)
            return 1
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_doc(results, load_average=(load_at_start, round(os.getloadavg()[0], 1)))
    return 0


if __name__ == "__main__":
    if "--inner" in sys.argv:
        inner()
    else:
        sys.exit(main())
