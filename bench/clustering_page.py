"""`make bench`, part eight: the facilitator's clustering page with 1,000 statements and 100
categories, loaded in a real browser.

A throwaway PostgreSQL database (or, with ``--sqlite``, a temporary SQLite file) gets one session
in the clustering phase with 100 categories and 1,000 statements (800 in the categories, 200
uncategorised). gunicorn serves the site as in production (3 workers, DEBUG off, a fresh secret,
static files collected), a facilitator signs in through the login form in Playwright driving
Debian's Chromium, and the page is loaded several times: the time to DOMContentLoaded and to
``load`` from the browser's own Navigation Timing, the page's bytes, its ``<option>`` and element
counts, and its server time (a plain HTTP GET with the same cookie). ``GET /healthz`` is
measured the same ways in the same run, as the floor to compare with.

The figures go to bench/results/clustering.json and docs/performance.md (``--no-doc`` leaves the
document alone and ``--output`` writes the JSON elsewhere, to measure another version).
Run with the project's virtualenv: `.venv/bin/python bench/clustering_page.py` (make bench does).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from doc_section import doc_section_write

ROOT = Path(__file__).resolve().parent.parent
PROJECT_BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results" / "clustering.json"
HOST = "127.0.0.1"
PG_URL = f"postgres://postgres@{HOST}:5432"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TARGET_LOAD_S = 3.0
GUNICORN_WORKERS = 3

# Statements are made of these words (about 50 to 120 characters, like cards written in a room).
WORDS_TEXT = (
    "residents agency staff records policy approval training budget trust security privacy "
    "accessibility emergencies outreach feedback complaints services newsletters videos "
    "partners counties schools youth seniors volunteers archives retention comments photos "
    "events maps permits roads parks libraries health transit elections taxes data"
)
WORDS = WORDS_TEXT.split()
THEMES = [
    "Reaching the public",
    "Records retention",
    "Staff time",
    "Security and privacy",
    "Policy and approval",
    "Accessibility",
    "Measuring what works",
    "Tone and trust",
    "Emergency information",
    "Working with partners",
]


def log(message: str) -> None:
    print(f"[clustering] {message}", file=sys.stderr, flush=True)


# --- Inside the server's environment: the scenario ---------------------------------------------


def seed(statements: int, categories: int) -> None:
    """One session in the clustering phase with its categories and statements, and a
    facilitator with a fresh password, assigned to its workshop. Prints them as JSON."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from responses.models import Category, Statement
    from sessions.models import PlenarySession, ProjectPhase, Workshop
    from sessions.roles import user_grant_role

    rng = random.Random(2009)  # the same texts in every run
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
        phase=PlenarySession.Phase.CLUSTERING,
    )
    made = Category.objects.bulk_create(
        Category(
            session=session,
            reference_number=number,
            name=f"{THEMES[number % len(THEMES)]}: {' '.join(rng.sample(WORDS, 2))} ({number})",
        )
        for number in range(1, categories + 1)
    )
    categorised = statements * 4 // 5
    now = timezone.now()
    Statement.objects.bulk_create(
        Statement(
            session=session,
            category=made[n % len(made)] if n < categorised else None,
            text=" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize(),
            use=rng.choice(["", "E", "I"]),
            source=Statement.Source.ONLINE if n % 4 else Statement.Source.CARD,
            created_at=now + datetime.timedelta(seconds=n),
        )
        for n in range(statements)
    )
    password = secrets.token_urlsafe(18)
    user = get_user_model().objects.create_user(username="bench-facilitator", password=password)
    user_grant_role(user=user, role="facilitator")
    workshop.facilitators.add(user)
    print(
        json.dumps(
            {
                "username": user.username,
                "password": password,
                "path": f"/workshops/{workshop.pk}/sessions/{session.pk}/clustering/",
                "statements": Statement.objects.filter(session=session).count(),
                "categories": Category.objects.filter(session=session).count(),
            }
        )
    )


# --- The orchestrator -----------------------------------------------------------------------


def run(cmd: list[str], env: dict, timeout: int = 600) -> str:
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, check=True, timeout=timeout, capture_output=True, text=True
    )
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(database_url: str | None, sqlite_path: Path, static_root: Path) -> dict:
    """Production settings: DEBUG unset, a fresh secret, static files from the manifest."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ") if k in os.environ}
    alphabet = string.ascii_letters + string.digits
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ctg_workshops.settings",
            "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(64)),
            "ALLOWED_HOSTS": HOST,
            "STATIC_ROOT": str(static_root),
            "LOG_LEVEL": "WARNING",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env["SQLITE_PATH"] = str(sqlite_path)
    return env


class Opener:
    """Plain HTTP on 127.0.0.1 (no proxy from the environment), optionally with a cookie."""

    def __init__(self, cookie: str = "") -> None:
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.cookie = cookie

    def get(self, url: str) -> tuple[int, bytes, float]:
        request = urllib.request.Request(url, headers={"Cookie": self.cookie})  # noqa: S310
        begun = time.perf_counter()
        try:
            with self.opener.open(request, timeout=300) as response:
                body, status = response.read(), response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        except OSError:
            body, status = b"", 0
        return status, body, (time.perf_counter() - begun) * 1000


def gunicorn_start(env: dict, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [str(PROJECT_BIN / "gunicorn"), "ctg_workshops.wsgi", "--bind", f"{HOST}:{port}"]
    cmd += ["--workers", str(GUNICORN_WORKERS), "--timeout", "300", "--log-level", "warning"]
    with open(log_path, "wb") as out:
        process = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start:\n{log_path.read_text()[-3000:]}")
        if Opener().get(f"{base}/healthz")[0] == 200:
            return process, base
        time.sleep(0.3)
    gunicorn_stop(process)
    raise RuntimeError("gunicorn did not answer GET /healthz with 200 within 30 s")


def gunicorn_stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def summary(values: list[float], digits: int = 1) -> dict:
    return {
        "median": round(statistics.median(values), digits),
        "max": round(max(values), digits),
        "min": round(min(values), digits),
    }


NAVIGATION = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  return {
    request_start: n.requestStart, response_start: n.responseStart, response_end: n.responseEnd,
    dom_content_loaded: n.domContentLoadedEventEnd, load: n.loadEventEnd,
    transfer_bytes: n.transferSize, body_bytes: n.decodedBodySize,
    options: document.getElementsByTagName("option").length,
    elements: document.getElementsByTagName("*").length,
    forms: document.forms.length,
  };
}"""


def browser_loads(base: str, scenario: dict, runs: int) -> dict:
    """Sign in through the form, then load the clustering page and /healthz ``runs`` times each,
    each in a fresh tab of the same signed-in browser (the static files cached after the first,
    as in a facilitator's browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base, viewport={"width": 1920, "height": 1080})
        context.set_default_timeout(600_000)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", scenario["username"])
        page.fill("#id_password", scenario["password"])
        with page.expect_navigation():
            page.press("#id_password", "Enter")
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
        page.close()

        def load(path: str) -> dict:
            tab = context.new_page()
            begun = time.perf_counter()
            response = tab.goto(path, wait_until="load")
            wall_ms = (time.perf_counter() - begun) * 1000
            tab.wait_for_function('performance.getEntriesByType("navigation")[0].loadEventEnd > 0')
            figures = tab.evaluate(NAVIGATION)
            figures.update(status=response.status, wall_ms=wall_ms)
            tab.close()
            return figures

        pages, healthz = [], []
        for number in range(1, runs + 1):
            pages.append(load(scenario["path"]))
            healthz.append(load("/healthz"))
            log(
                f"load {number}/{runs}: clustering page {pages[-1]['load']:.0f} ms "
                f"(DOMContentLoaded {pages[-1]['dom_content_loaded']:.0f} ms), "
                f"/healthz {healthz[-1]['load']:.0f} ms"
            )
        browser.close()
    return {"pages": pages, "healthz": healthz, "cookie": cookie}


def measure(base: str, scenario: dict, runs: int, server_requests: int) -> dict:
    load_before = os.getloadavg()[0]
    loads = browser_loads(base, scenario, runs)
    pages, healthz = loads["pages"], loads["healthz"]
    if any(p["status"] != 200 for p in pages + healthz):
        raise RuntimeError(f"unexpected answers: {[p['status'] for p in pages + healthz]}")
    signed_in = Opener(loads["cookie"])
    status, body, _ = signed_in.get(base + scenario["path"])
    if status != 200:
        raise RuntimeError(f"the clustering page answered {status} to a plain GET")
    server = [signed_in.get(base + scenario["path"])[2] for _ in range(server_requests)]
    bare = [Opener().get(base + "/healthz")[2] for _ in range(server_requests)]
    page_load = [p["load"] for p in pages]
    healthz_load = [p["load"] for p in healthz]
    return {
        "runs": runs,
        "statements": scenario["statements"],
        "categories": scenario["categories"],
        "load_ms": summary(page_load),
        "dom_content_loaded_ms": summary([p["dom_content_loaded"] for p in pages]),
        "first_byte_ms": summary([p["response_start"] - p["request_start"] for p in pages]),
        "first_load_ms": round(page_load[0], 1),
        "healthz_load_ms": summary(healthz_load),
        "load_vs_healthz": round(statistics.median(page_load) / statistics.median(healthz_load), 1),
        "server_ms": summary(server),
        "healthz_server_ms": summary(bare, 2),
        "server_vs_healthz": round(statistics.median(server) / statistics.median(bare), 1),
        "server_requests": server_requests,
        "html_bytes": len(body),
        "options": pages[-1]["options"],
        "html_options": body.count(b"<option"),
        "elements": pages[-1]["elements"],
        "forms": pages[-1]["forms"],
        "machine_load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "target_load_s": TARGET_LOAD_S,
        "met": max(page_load) < TARGET_LOAD_S * 1000,
    }


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = f"{os.cpu_count()} cores" + (f" ({model})" if model else "")
    return f"{cores}, Python {platform.python_version()}"


def write_doc(r: dict) -> None:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    verdict = "met" if r["met"] else "**missed**"
    rows = [
        "| figure | median | max | target |",
        "|---|---:|---:|---|",
        f"| `load` in the browser | {r['load_ms']['median']:,} ms | {r['load_ms']['max']:,} ms "
        f"| every load < {r['target_load_s']:g} s: {verdict} |",
        f"| DOMContentLoaded | {r['dom_content_loaded_ms']['median']:,} ms | "
        f"{r['dom_content_loaded_ms']['max']:,} ms | |",
        f"| first byte in the browser | {r['first_byte_ms']['median']:,} ms | "
        f"{r['first_byte_ms']['max']:,} ms | |",
        f"| server time (plain GET, signed in) | {r['server_ms']['median']:,} ms | "
        f"{r['server_ms']['max']:,} ms | |",
        f"| `/healthz`: `load` in the browser | {r['healthz_load_ms']['median']:,} ms | "
        f"{r['healthz_load_ms']['max']:,} ms | |",
        f"| `/healthz`: server time | {r['healthz_server_ms']['median']:,} ms | "
        f"{r['healthz_server_ms']['max']:,} ms | |",
    ]
    lines = [
        f"Measured {when} on {r['machine']} with `make bench` (`bench/clustering_page.py`): "
        f"{r['statements']:,} statements in {r['categories']} categories, {r['database']}, "
        f"`gunicorn ctg_workshops.wsgi --workers {GUNICORN_WORKERS}` with DEBUG off, Debian's "
        f"Chromium {r['chromium']} through Playwright; {r['runs']} loads of the page (the first "
        f"with an empty cache: {r['first_load_ms']:,} ms) and {r['server_requests']} plain GETs.",
        "",
        *rows,
        "",
        f"The page: {r['html_bytes'] / 1_000_000:.2f} MB of HTML, {r['options']:,} `<option>` "
        f"elements, {r['elements']:,} elements, {r['forms']:,} forms. Against the bare view: "
        f"`load` {r['load_vs_healthz']}× `/healthz`'s, server time {r['server_vs_healthz']}× "
        f"its. The machine's load average (1 minute) was {r['machine_load'][0]} as the loads "
        f"began and {r['machine_load'][1]} as they ended (2 cores, shared).",
    ]
    text = "\n".join(lines)
    doc_section_write("clustering", text, heading="The clustering page with 1,000 statements")


def chromium_version() -> str:
    try:
        out = subprocess.run(
            [CHROMIUM, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return "?"
    return out.split()[1] if len(out.split()) > 1 else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="browser loads of each page")
    parser.add_argument("--server-requests", type=int, default=20, help="plain GETs of each")
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--categories", type=int, default=100)
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-doc", action="store_true", help="leave docs/performance.md alone")
    args = parser.parse_args()

    database = None if args.sqlite else f"ctg_bench_clustering_{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = server_env(database and f"{PG_URL}/{database}", tmp / "bench.sqlite3", tmp / "static")
        if database:
            run(["createdb", "-h", HOST, "-U", "postgres", database], env)
        process = None
        try:
            log(f"{database or 'SQLite'}: migrate, collectstatic, scenario")
            python = str(PROJECT_BIN / "python")
            run([python, "manage.py", "migrate", "--noinput", "-v0"], env)
            run([python, "manage.py", "collectstatic", "--noinput", "-v0"], env)
            out = run([python, __file__, "--seed", str(args.statements), str(args.categories)], env)
            scenario = json.loads(out.strip().splitlines()[-1])
            process, base = gunicorn_start(env, tmp / "gunicorn.log")
            log(f"gunicorn on {base}; {scenario['path']}")
            result = measure(base, scenario, args.runs, args.server_requests)
        finally:
            if process is not None:
                gunicorn_stop(process)
            if database:
                run(["dropdb", "-h", HOST, "-U", "postgres", "--if-exists", database], env)
    result.update(
        database="SQLite" if args.sqlite else "PostgreSQL",
        machine=machine(),
        chromium=chromium_version(),
        measured_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    print(json.dumps(result))
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_doc:
        write_doc(result)
    if not result["met"]:
        print(
            f"the clustering page took {result['load_ms']['max']:,} ms to load "
            f"(target under {TARGET_LOAD_S:g} s)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    if "--seed" in sys.argv:
        position = sys.argv.index("--seed")
        seed(int(sys.argv[position + 1]), int(sys.argv[position + 2]))
    else:
        sys.exit(main())
