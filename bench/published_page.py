"""`make bench`, part four: what a reader's phone asks of the published report.

The sample phase is loaded into a throwaway SQLite file and published (unlisted), then the
published page is requested the way browsers do: a first visit (200, the stored page), and
revisits that revalidate with `If-None-Match` (304, no body). Measured in-process with Django's
test client, so the figures are the server's own time per request, without the network; plus the
page's weight (HTML and every file it loads) and the queries each answer costs.

The figures go to bench/results/published.json and docs/performance.md.
Run with the project's virtualenv: `.venv/bin/python bench/published_page.py` (make bench does).
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from doc_section import doc_section_write

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "published.json"
REQUESTS = 300


def inner() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.staticfiles import finders
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from ctg_workshops.demo import SAMPLE_PHASE_SLUG, sample_data_load
    from reports.publishing import report_publish
    from sessions.models import ProjectPhase

    sample_data_load(with_demo_accounts=False)
    staff = get_user_model().objects.create(username="bench-staff")
    started = time.perf_counter()
    publication = report_publish(
        phase=ProjectPhase.objects.get(slug=SAMPLE_PHASE_SLUG), visibility="unlisted", user=staff
    )
    publish_s = round(time.perf_counter() - started, 2)
    url = reverse("published:report", args=[publication.token])
    client = Client(HTTP_HOST="127.0.0.1")

    def timed(**headers) -> tuple[list[float], object]:
        samples, response = [], None
        for _ in range(REQUESTS):
            begun = time.perf_counter()
            response = client.get(url, **headers)
            samples.append((time.perf_counter() - begun) * 1000)
        return samples, response

    client.get(url)  # warm-up
    first, page = timed()
    etag = page["ETag"]
    again, revalidated = timed(HTTP_IF_NONE_MATCH=etag)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    html = page.content
    assets = re.findall(rb'(?:href|src)="/static/([^"]+)"', html)
    sizes = {}
    for asset in assets:
        name = asset.decode().split("?")[0]
        path = finders.find(name)
        if path:
            data = Path(path).read_bytes()
            sizes[name] = {"bytes": len(data), "gzip": len(gzip.compress(data))}

    def summary(samples: list[float]) -> dict:
        ordered = sorted(samples)
        return {
            "median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[int(len(ordered) * 0.95)], 2),
        }

    print(
        json.dumps(
            {
                "requests": REQUESTS,
                "publish_s": publish_s,
                "first_visit": {**summary(first), "status": page.status_code},
                "revisit": {**summary(again), "status": revalidated.status_code},
                "queries_per_answer": len(queries),
                "cache_control": page["Cache-Control"],
                "html_bytes": len(html),
                "html_gzip_bytes": len(gzip.compress(html)),
                "assets": sizes,
                "scripts": html.count(b"<script"),
            }
        )
    )


def write_doc(r: dict) -> None:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    assets = r["assets"]
    total = r["html_gzip_bytes"] + sum(a["gzip"] for a in assets.values())
    lines = [
        f"Measured {when} on {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()} with `make bench` (`bench/published_page.py`): the sample "
        f"phase published (unlisted; publishing took {r['publish_s']} s), then "
        f"{r['requests']} requests of each kind with Django's test client (server time, no "
        "network; SQLite, DEBUG on so that static files need no collecting).",
        "",
        "| answer | status | median | p95 | queries |",
        "|---|---:|---:|---:|---:|",
        f"| first visit | {r['first_visit']['status']} | {r['first_visit']['median_ms']} ms | "
        f"{r['first_visit']['p95_ms']} ms | {r['queries_per_answer']} |",
        f"| revisit (`If-None-Match`) | {r['revisit']['status']} | "
        f"{r['revisit']['median_ms']} ms | {r['revisit']['p95_ms']} ms | "
        f"{r['queries_per_answer']} |",
        "",
        f"Weight of a first visit: the page {r['html_bytes'] / 1000:.0f} kB "
        f"({r['html_gzip_bytes'] / 1000:.0f} kB compressed) and {len(assets)} stylesheets or "
        f"images ({', '.join(sorted(assets))}), {total / 1000:.0f} kB compressed in all; "
        f"{r['scripts']} scripts. Answers carry `Cache-Control: {r['cache_control']}` and an "
        "`ETag`, so a revisit costs a 304 without a body, and a withdrawal is seen at once.",
    ]
    text = "\n".join(lines)
    doc_section_write("published", text, heading="The published report")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SQLITE_PATH": str(Path(tmp) / "bench.sqlite3"),
            "DJANGO_SETTINGS_MODULE": "ctg_workshops.settings",
            "DEBUG": "true",  # static files from the app folders, no collected manifest needed
            "NOTIFICATIONS_SEND_ON_COMMIT": "false",
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
            timeout=600,
            capture_output=True,
            text=True,
        )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result))
    if result["first_visit"]["status"] != 200 or result["revisit"]["status"] != 304:
        print("unexpected answers", file=sys.stderr)
        return 1
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    write_doc(result)
    return 0


if __name__ == "__main__":
    if "--inner" in sys.argv:
        inner()
    else:
        sys.exit(main())
