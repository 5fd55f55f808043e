"""`make bench`: how long each export of the sample phase's report takes to make.

The sample phase is loaded into a throwaway SQLite file; the report is built once, then each
format is rendered five times in process (after one warm-up), as the export view and the
publish step do. Wall time and CPU time per export (median of five), and the file's size.
Building the report (the queries) is timed on its own, since every export starts with it.

The figures go to bench/results/report_exports.json and docs/performance.md.
Run with the project's virtualenv: `.venv/bin/python bench/report_exports.py` (make bench does).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from doc_section import doc_section_write

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "report_exports.json"
RUNS = 5
FORMATS = ("html", "pdf", "docx", "xlsx", "csv", "json")


def _timed(work) -> tuple[dict, object]:
    work()  # warm-up: imports, fonts, templates
    walls, cpus, result = [], [], None
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {
        "median_ms": round(statistics.median(walls) * 1000, 1),
        "cpu_ms": round(statistics.median(cpus) * 1000, 1),
    }, result


def inner() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from ctg_workshops.demo import SAMPLE_PHASE_SLUG, sample_data_load
    from reports.exports import EXPORTERS
    from reports.selectors import report_build

    sample_data_load(with_demo_accounts=False)
    build, report = _timed(lambda: report_build(phase=SAMPLE_PHASE_SLUG))
    figures = {"build": build}
    for fmt in FORMATS:
        render = EXPORTERS[fmt][0]
        timing, content = _timed(lambda render=render: render(report))
        figures[fmt] = {**timing, "bytes": len(content)}
    statements = sum(len(g.statements) for g in (*report.appendix_a, *report.appendix_b))
    print(json.dumps({"runs": RUNS, "statements": statements, "figures": figures}))


LABELS = {
    "build": "building the report (every query)",
    "html": "HTML",
    "pdf": "PDF (WeasyPrint, tagged PDF/UA-1)",
    "docx": "Word (.docx, charts as images)",
    "xlsx": "workbook (.xlsx)",
    "csv": "CSV files (.zip)",
    "json": "JSON",
}


def write_doc(r: dict) -> None:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"Measured {when} on {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()} with `make bench` (`bench/report_exports.py`): the sample "
        f"phase ({r['statements']} statements in the appendices), each step run {r['runs']} "
        "times in process after a warm-up, median wall and CPU time. Every export starts from the "
        "built report, so a download costs the first row plus its format's row.",
        "",
        "| step | wall | CPU | size |",
        "|---|---:|---:|---:|",
    ]
    for key, label in LABELS.items():
        f = r["figures"][key]
        size = f"{f['bytes'] / 1000:.0f} kB" if "bytes" in f else ""
        lines.append(f"| {label} | {f['median_ms']:.0f} ms | {f['cpu_ms']:.0f} ms | {size} |")
    text = "\n".join(lines)
    doc_section_write("exports", text, heading="Exporting the report")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SQLITE_PATH": str(Path(tmp) / "bench.sqlite3"),
            "DJANGO_SETTINGS_MODULE": "ctg_workshops.settings",
            "DEBUG": "true",  # static files from the app folders, no collected manifest needed
        }
        env.pop("DATABASE_URL", None)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=300,
        )
        out = subprocess.run(
            [sys.executable, __file__, "--inner"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=900,
            capture_output=True,
            text=True,
        )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result))
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    write_doc(result)
    return 0


if __name__ == "__main__":
    if "--inner" in sys.argv:
        inner()
    else:
        sys.exit(main())
