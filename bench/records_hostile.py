"""`make bench`: hostile records files, each refused or checked within the limits of
docs/records.md, and the records page after batches that once stored 880,000 problems.

Every case runs in a process of its own, so that its wall time and peak memory (the child's
``ru_maxrss``, from ``os.wait4``) are its own. The database is a fresh SQLite file holding one
workshop (``w-1``, one session, categories 1–8) for the rows to refer to.

- ``120mb-sheet.xlsx``: a 0.1 MB workbook whose one worksheet unpacks to 120 MB (880,000 rows,
  no ``<dimension>``), like the outside tester's file; and the same with the unpacked-bytes cap
  raised to 200 MB, to show that the row cap alone stops the reading;
- ``statements-49mb.csv``: 49 MB of invalid statements, through ``manage.py import_records
  --dry-run`` as the tester ran it;
- ``statements-invalid-at-cap.csv`` and ``invalid-at-cap.xlsx``: as many invalid rows as the
  row cap allows, every one checked (three problems a row; the first 200 kept);
- ``valid-at-cap.xlsx``: as many valid statements as the cap allows, checked the way the upload
  page checks (written and rolled back): the longest a check can keep a web request;
- ``tiny-strings.xlsx``: 50 kB whose table of texts holds 1.1 million strings (19 MB);
- ``laughs.xlsx`` (entities expanding to gigabytes) and ``undefined-entity.xlsx``;
- the records page, and one old batch's page, after a batch that stored 880,000 problems as the
  import kept them before the cap (SQLite, and PostgreSQL when ``createdb`` can make a database
  on 127.0.0.1).

The figures go to bench/results/records_hostile.json and docs/performance.md.
Run with the project's virtualenv: `.venv/bin/python bench/records_hostile.py` (make bench does).
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
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "records_hostile.json"
DOC = ROOT / "docs" / "performance.md"
DOC_START, DOC_END = "<!-- records-hostile:start -->", "<!-- records-hostile:end -->"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = ["workshop", "session", "text", "category", "participant", "use"]
OLD_PROBLEMS = 880_000  # what the tester's 120 MB sheet stored before the cap
PG = "postgres://postgres@127.0.0.1:5432"


# --- The files -----------------------------------------------------------------------------------


def _inline(text: str) -> str:
    return f"<is><t>{text}</t></is>"


def _xlsx(sheet_parts: dict[str, bytes | object], *, strings: bytes | None = None) -> bytes:
    """A workbook with one sheet named "statements" whose XML comes from ``sheet_parts``:
    ``"prolog"`` (bytes before the root element) and ``"rows"`` (an iterable of row XML bytes),
    written as a stream so that a 120 MB sheet never sits in memory."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "statements"
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w", force_zip64=True) as sheet:
                    sheet.write(sheet_parts.get("prolog", b'<?xml version="1.0"?>'))
                    sheet.write(f'<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode())
                    for row in sheet_parts["rows"]:
                        sheet.write(row)
                    sheet.write(b"</sheetData></worksheet>")
                continue
            if info.filename == "[Content_Types].xml" and strings is not None:
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            target.writestr(info.filename, data)
        if strings is not None:
            target.writestr("xl/sharedStrings.xml", strings)
    return out.getvalue()


def _row(number: int, values: list[object]) -> bytes:
    cells = []
    for index, value in enumerate(values):
        if value is None:
            continue
        ref = f"{'ABCDEFGHIJKLMN'[index]}{number}"
        if isinstance(value, int):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr">{_inline(value)}</c>')
    return f'<row r="{number}">{"".join(cells)}</row>'.encode()


def _invalid(i: int) -> list[object]:
    # Three problems a row: no category 99, no participant p-<i>, no such "use".
    return ["w-1", 1, f"Card {i}: a statement as long as the ones written on paper", 99,
            f"p-{i}", "maybe"]  # fmt: skip


def _valid(i: int) -> list[object]:
    return ["w-1", 1, f"Card {i}: reach people where they are, and listen", 1 + i % 8, None, "E"]


def sheet_120mb() -> bytes:
    """The tester's file: 880,000 rows and no <dimension>, 120 MB unpacked, 0.1 MB packed (rows
    and cells without numbers are numbered in order, so every row is the same bytes)."""
    row = (
        b'<row><c t="inlineStr"><is><t>w-none</t></is></c><c><v>1</v></c><c t="inlineStr">'
        b"<is><t>A card naming no workshop.</t></is></c></row>"
    )
    return _xlsx({"rows": [_row(1, HEADER[:3]), *([row] * 880_000)]})


def rows_xlsx(count: int, make) -> bytes:
    return _xlsx({"rows": (_row(n, HEADER if n == 1 else make(n)) for n in range(1, count + 2))})


def rows_csv(count: int, make) -> bytes:
    lines = [",".join(HEADER)]
    for i in range(count):
        lines.append(",".join("" if v is None else str(v) for v in make(i)))
    return ("\r\n".join(lines) + "\r\n").encode()


def csv_49mb() -> bytes:
    content = rows_csv(600_000, _invalid)
    return content[: content.index(b"\r\n", 49_000_000) + 2]


def tiny_strings() -> bytes:
    strings = (
        f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}">'.encode()
        + b"<si><t>a</t></si>" * 1_100_000
        + b"</sst>"
    )
    return _xlsx({"rows": [_row(1, HEADER)]}, strings=strings)


def laughs() -> bytes:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    prolog = f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY l0 "ha">{entities}]>'
    return _xlsx({"prolog": prolog.encode(), "rows": [_row(1, ["&l9;"])]})


def undefined_entity() -> bytes:
    return _xlsx({"rows": [_row(1, ["&undefined;"])]})


# --- The cases, each in a child process ----------------------------------------------------------


def child_make(folder: str) -> None:
    """Write every file into ``folder``; print the row cap and each file's sizes."""
    child_setup()
    from django.conf import settings

    cap = settings.RECORDS_IMPORT_MAX_ROWS
    files = {
        "120mb-sheet.xlsx": sheet_120mb,
        "statements-49mb.csv": csv_49mb,
        "statements-invalid-at-cap.csv": lambda: rows_csv(cap, _invalid),
        "invalid-at-cap.xlsx": lambda: rows_xlsx(cap, _invalid),
        "valid-at-cap.xlsx": lambda: rows_xlsx(cap, _valid),
        "tiny-strings.xlsx": tiny_strings,
        "laughs.xlsx": laughs,
        "undefined-entity.xlsx": undefined_entity,
    }
    sizes = {}
    for name, make in files.items():
        content = make()
        (Path(folder) / name).write_bytes(content)
        unpacked = None
        if name.endswith(".xlsx"):
            unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
        sizes[name] = [len(content), unpacked]
    print(json.dumps({"rows_cap": cap, "sizes": sizes}))


def child_setup() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def child_seed() -> None:
    child_setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    from sessions.models import ProjectPhase, Workshop
    from tests.factories import CategoryFactory, PlenarySessionFactory, UserFactory

    phase = ProjectPhase.objects.create(slug="bench", title="Bench")
    workshop = Workshop.objects.create(
        phase=phase, reference="w-1", title="W1", kind="local", date="2010-03-04"
    )
    session = PlenarySessionFactory(workshop=workshop, position=1)
    for number in range(1, 9):
        CategoryFactory(session=session, reference_number=number, name=f"Theme {number}")
    UserFactory(username="bench-staff", role="staff")


def child_import(path: str) -> None:
    child_setup()
    from reports.records.importing import records_import

    content = Path(path).read_bytes()
    started = time.perf_counter()
    result = records_import(name=Path(path).name, content=content, dry_run=True)
    print(
        json.dumps(
            {
                "import_s": round(time.perf_counter() - started, 2),
                "rows_read": result.rows_read,
                "problems_kept": len(result.problems),
                "problems": result.problem_count,
                "first": result.problems[0].message if result.problems else "",
                "ok": result.ok,
            }
        )
    )


def child_page() -> None:
    """The records page with 20 ordinary batches, then with one of them a batch that stored
    880,000 problems (as the import did before the cap), and that batch's own page."""
    child_setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from reports.models import ImportBatch
    from tests.factories import UserFactory

    call_command("migrate", "--noinput", verbosity=0)
    staff = get_user_model().objects.filter(username="bench-staff").first()
    staff = staff or UserFactory(username="bench-staff", role="staff")
    problem = {"sheet": "statements", "row": 2, "column": "workshop", "letter": "A",
               "message": "No workshop “w-none” in the file or here."}  # fmt: skip

    def batch(problems: int) -> ImportBatch:
        return ImportBatch.objects.create(
            filename="file.xlsx",
            sha256="0" * 64,
            size_bytes=613_000,
            status=ImportBatch.Status.INVALID,
            problems=[problem] * problems,
            created_by=staff,
        )

    client = Client()
    client.force_login(staff)
    figures = {"vendor": connection.vendor}

    def measure(label: str, url: str) -> None:
        client.get(url)  # warm-up
        times = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code  # noqa: S101 - a bench check
        figures[f"{label}_ms"] = round(sorted(times)[2] * 1000, 1)
        figures[f"{label}_queries"] = len(queries)
        figures[f"{label}_kb"] = round(len(response.content) / 1000)

    for _ in range(20):
        batch(200)
    measure("ordinary_page", reverse("reports:records"))
    old = batch(OLD_PROBLEMS)
    measure("records_page", reverse("reports:records"))
    measure("old_batch_page", reverse("reports:records_batch", args=[old.pk]))
    figures["old_problems_json_mb"] = round(len(json.dumps([problem] * OLD_PROBLEMS)) / 1e6, 1)
    print(json.dumps(figures))


def run_child(args: list[str], env: dict) -> tuple[dict, float, float, int, list[str]]:
    """Run a child; its stdout's last line (JSON), wall seconds, peak RSS in MB, exit code, and
    the last lines of its stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        lines = out.read().decode().strip().splitlines()
        tail = err.read().decode().strip().splitlines()[-3:]
    data = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return data, wall, usage.ru_maxrss / 1024, process.returncode, tail


def main() -> int:
    results: dict = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        # Other work on the same cores slows every figure; the doc says how busy they were.
        "load_average": round(os.getloadavg()[0], 1),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ctg_workshops.settings"}
        env.setdefault("SECRET_KEY", "bench-" + "x" * 60)
        env.pop("DEBUG", None)
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(folder / "bench.sqlite3")
        env["ALLOWED_HOSTS"] = "testserver"
        made, _wall, _rss, code, tail = run_child([sys.executable, __file__, "--make", tmp], env)
        if code:
            raise SystemExit(f"making the files failed: {tail}")
        results["rows_cap"] = made["rows_cap"]
        _data, _wall, idle_rss, code, tail = run_child([sys.executable, __file__, "--seed"], env)
        if code:
            raise SystemExit(f"seeding failed: {tail}")
        results["idle_rss_mb"] = round(idle_rss)
        cases = []
        for name, (size, unpacked) in made["sizes"].items():
            cases.append((name, name, size, unpacked, {}))
            if name == "120mb-sheet.xlsx":
                raised = {"RECORDS_IMPORT_MAX_UNPACKED_BYTES": str(200_000_000)}
                label = f"{name} (unpacked cap 200 MB)"
                cases.append((name, label, size, unpacked, raised))
        for filename, label, size, unpacked, extra in cases:
            path = str(folder / filename)
            if filename == "statements-49mb.csv":
                args = [sys.executable, "manage.py", "import_records", path, "--dry-run"]
            else:
                args = [sys.executable, __file__, "--import", path]
            data, wall, rss, code, tail = run_child(args, {**env, **extra})
            if filename == "statements-49mb.csv":
                # The command prints each problem as "<place>: <message>", then fails.
                said = [line.split(": ", 1)[-1] for line in tail if line.startswith("the file: ")]
                data = {"first": said[0] if said else " ".join(tail), "exit": code}
            results[label] = {
                "file_bytes": size,
                "unpacked_bytes": unpacked,
                "wall_s": round(wall, 2),
                "peak_rss_mb": round(rss),
                **data,
            }
            print(f"{label}: {json.dumps(results[label])}", flush=True)
        # DEBUG serves the static files the page names without collecting them first.
        page_env = {**env, "DEBUG": "true"}
        results["page"] = {"sqlite": page_case(page_env)}
        database = f"ctg_bench_hostile_{os.getpid()}"
        made_db = subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=False
        )
        if made_db.returncode == 0:
            try:
                page_env["DATABASE_URL"] = f"{PG}/{database}"
                results["page"]["postgresql"] = page_case(page_env)
            finally:
                subprocess.run(
                    ["dropdb", "-h", "127.0.0.1", "-U", "postgres", database], check=False
                )
    results["load_average_end"] = round(os.getloadavg()[0], 1)
    failures = check(results)
    for failure in failures:
        print(failure, file=sys.stderr)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_doc(results)
    return 1 if failures else 0


def page_case(env: dict) -> dict:
    data, _wall, rss, code, tail = run_child([sys.executable, __file__, "--page"], env)
    if code:
        raise SystemExit(f"the page case failed: {tail}")
    print(f"page: {json.dumps(data)}", flush=True)
    return {**data, "peak_rss_mb": round(rss)}


def check(results: dict) -> list[str]:
    """What each case must show; a bench that passes but refuses nothing proves nothing."""
    cap = results["rows_cap"]
    expect = {
        "120mb-sheet.xlsx": lambda r: "unpacks to" in r["first"] and r["rows_read"] == 0,
        "120mb-sheet.xlsx (unpacked cap 200 MB)": lambda r: r["rows_read"] == cap + 1,
        "statements-49mb.csv": lambda r: r["exit"] == 1 and "more than" in r["first"],
        "statements-invalid-at-cap.csv": lambda r: (
            r["problems"] == 3 * cap and r["problems_kept"] == 200
        ),
        "invalid-at-cap.xlsx": lambda r: r["problems"] == 3 * cap and r["problems_kept"] == 200,
        "valid-at-cap.xlsx": lambda r: r["ok"] and r["rows_read"] == cap,
        "tiny-strings.xlsx": lambda r: "XML elements" in r["first"],
        "laughs.xlsx": lambda r: "entities" in r["first"],
        "undefined-entity.xlsx": lambda r: "entities" in r["first"],
    }
    return [f"{label}: unexpected {results[label]}" for label, ok in expect.items() if not ok(
        results[label])]  # fmt: skip


def _size(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1000:,.1f} kB"


def write_doc(results: dict) -> None:
    when = results["measured"]
    cap = results["rows_cap"]
    lines = [
        f"Measured {when} on {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()} with `make bench` (`bench/records_hostile.py`), SQLite, "
        f"the default limits ({cap:,} rows). Each file is checked as the upload page checks it "
        "(`records_import(dry_run=True)`), in a process of its own; peak memory is that "
        f"process's (one that only migrates the database: {results['idle_rss_mb']} MB). The "
        f"machine's load average was {results['load_average']} when the run started and "
        f"{results['load_average_end']} when it ended (other work on the same cores slows "
        "every figure).",
        "",
        "| file | size (unpacked) | outcome | rows read | check | process | peak memory |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for label, r in results.items():
        if not isinstance(r, dict) or "wall_s" not in r:
            continue
        size = _size(r["file_bytes"]) + (
            f" ({_size(r['unpacked_bytes'])})" if r.get("unpacked_bytes") else ""
        )
        if "problems" in r and r["ok"]:
            outcome = "valid (written, rolled back)"
        elif "problems" in r and r["problems"] > 1:
            outcome = f"{r['problems']:,} problems, first {r['problems_kept']} kept"
        else:
            said = r["first"]
            for end in ("; ", ", which", ", more than", " ("):
                said = said.split(end)[0]
            outcome = f"refused: {said}"
        rows = f"{r['rows_read']:,}" if "rows_read" in r else "—"
        check = f"{r['import_s']} s" if "import_s" in r else "—"
        lines.append(
            f"| `{label}` | {size} | {outcome} | {rows} | {check} | {r['wall_s']} s | "
            f"{r['peak_rss_mb']} MB |"
        )
    lines += [
        "",
        "*Check* is `records_import` alone; *process* adds starting Python and Django. "
        "`statements-49mb.csv` runs "
        "through `manage.py import_records --dry-run`, as the outside tester ran it (before: "
        "over 500 s); their 120 MB sheet took 255 s and 1.2 GB before, and stored "
        f"{OLD_PROBLEMS:,} problems.",
        "",
        f"The records page lists the last 20 batches: here 20 that stored 200 problems each, "
        f"then with the newest a batch that stored {OLD_PROBLEMS:,} problems before the cap "
        f"({results['page']['sqlite']['old_problems_json_mb']} MB of JSON; it made every load "
        "take 5.2 s). Medians of 5 loads with Django's test client (DEBUG on):",
        "",
        "| database | records page | with the old batch | queries | the old batch's own page |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, page in results["page"].items():
        lines.append(
            f"| {name} | {page['ordinary_page_ms']} ms | {page['records_page_ms']} ms | "
            f"{page['records_page_queries']} | {page['old_batch_page_ms']} ms "
            f"({page['old_batch_page_kb']} kB) |"
        )
    extra = {
        name: f"{page['records_page_ms'] - page['ordinary_page_ms']:.0f} ms on {name}"
        for name, page in results["page"].items()
    }
    lines += [
        "",
        "The list loads no problems, no summary and no file, so the old batch adds "
        f"{' and '.join(extra.values())} to it, where it added 5.2 s. What it still adds on "
        "SQLite is stepping over that batch's problems: SQLite keeps a large value inside its "
        "row, in a chain of pages it walks to reach the columns after it (PostgreSQL keeps it "
        "apart). Migration `reports.0005_importbatch_problems_capped` cuts such batches to their "
        "first 200 problems (the import now keeps no more), which ends that too, and the "
        "batch's own page then loads 200 problems rather than 880,000.",
    ]
    text = "\n".join(lines)
    current = DOC.read_text()
    block = f"{DOC_START}\n{text}\n{DOC_END}"
    if DOC_START in current:
        head, rest = current.split(DOC_START, 1)
        DOC.write_text(head + block + rest.split(DOC_END, 1)[1])
    else:
        # Placed after the records workbook section, before the next one.
        marker = "<!-- records:end -->\n"
        head, rest = current.split(marker, 1)
        DOC.write_text(head + marker + "\n## Hostile records files\n\n" + block + "\n" + rest)


if __name__ == "__main__":
    if "--make" in sys.argv:
        child_make(sys.argv[sys.argv.index("--make") + 1])
    elif "--seed" in sys.argv:
        child_seed()
    elif "--import" in sys.argv:
        child_import(sys.argv[sys.argv.index("--import") + 1])
    elif "--page" in sys.argv:
        child_page()
    else:
        sys.exit(main())
