"""`make bench`: the participant burst against a production-like server on this machine.

A room of participants behind one address joins a session, writes three cards each, then places
four dots each, while every open page polls the session's status, as static/js/participant.js
and htmx do, and three signed-in facilitators watch the session's live board (polled every
second). The run then counts what was acknowledged against what the database holds, and
measures the bare `GET /healthz` view on the same server as a reference ceiling.

With `--outage` the same burst runs again with PostgreSQL stopped (immediate mode) for 10 seconds
in the middle of it, and the run reports how requests failed during the outage, how soon the
server recovered, and whether any acknowledged card was lost, duplicated or half-stored.

Everything runs on 127.0.0.1: a throwaway PostgreSQL database, one Redis database (flushed), a
gunicorn started here and stopped here. bench/README.md explains the scenario and the choices;
docs/performance.md holds the latest figures.

`make bench` prepares both virtualenvs and runs this file; `bench/.venv/bin/python
bench/burst.py --help` lists the knobs used to compare server settings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import html
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from yarl import URL

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PROJECT_BIN = ROOT / ".venv" / "bin"
RESULTS_DIR = BENCH / "results"
KEPT_LOG_DIR = BENCH / "results" / "tmp"
DOC = ROOT / "docs" / "performance.md"

HOST = "127.0.0.1"
PG_URL = "postgres://postgres@127.0.0.1:5432"
PG_VERSION = "15"
REDIS_DB = 13  # flushed at the start of every run; nothing else in the project uses it

# The scenario (bench/README.md explains each number).
PARTICIPANTS = 300
RAMP_SECONDS = 20.0
CARDS = 3
CARD_THINK = (2.0, 6.0)
DOTS = 4
DOT_THINK = (1.0, 3.0)
POLL_SECONDS = 3.0
REQUEST_TIMEOUT = 15.0  # as participant.js
MAX_RETRIES = 5  # per request, after the first attempt
RETRY_SECONDS = 2.0  # without a Retry-After header
WRITING_BOUND = 100.0  # seconds after the first participant starts: switch to voting anyway
FACILITATORS = 3  # signed in, each watching the session's live board
BOARD_POLL_SECONDS = 1.0  # the board's feed: data-hx-trigger="every 1s"
VOTING_BOUND = 60.0  # seconds after the switch: stop waiting for dots
REFERENCE_CONNECTIONS = 32
REFERENCE_SECONDS = 10.0
QUIET_SHARE = 0.15  # other processes' share of the machine below which the burst starts
DISTURBED_SHARE = 0.10  # other processes' share during the burst above which the run is flagged
QUIET_WAIT = 45.0  # seconds to wait for that before starting anyway (noted in the results)
RUN_BOUND = 280  # seconds for the whole run, set-up and clean-up included

# Gunicorn, as measured in bench/README.md.
WORKERS = 3
THREADS = 1

# The outage run (--outage): PostgreSQL stopped in immediate mode in the middle of the burst.
OUTAGE_AT = 20.0  # seconds after the start: every participant has arrived, cards are flowing
OUTAGE_SECONDS = 10.0  # from the stop command's return to the start command
OUTAGE_MAX_RETRIES = 12  # the real page retries without end; 12 retries at Retry-After 5 s: 60 s
WATCHDOG_SECONDS = 90  # a detached guard starts PostgreSQL if this process dies meanwhile
PG_CTL = ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main"]

# Targets (docs/performance.md). Those marked in verdicts() set the exit status.
P95_TARGET_MS = 300.0
OUTAGE_FAILURE_TARGET_S = 5.0  # every failure during the outage answers within this
RECOVERY_TARGET_S = 5.0  # the first 2xx after PostgreSQL is back comes within this

PHASE_IN_PAGE = re.compile(r"status/\?phase=(\w+)&amp;revealed=([01])&amp;k=(\w+)")
# In both of DatabaseUnavailableMiddleware's answers: templates/503.html and the card's JSON.
UNAVAILABLE_TEXT = "cannot reach its database"
BOARD_FEED = re.compile(r'id="board-feed"\s+data-hx-get="([^"]+)"')
WORDS = [
    "citizens", "agencies", "trust", "records", "outreach", "policy", "staff", "budget",
    "training", "public", "feedback", "transparency", "emergency", "alerts", "youth",
    "services", "accessibility", "privacy", "archive", "approval",
]  # fmt: skip


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- The server side: database, static files, gunicorn --------------------------------------


def run(cmd: list[str], *, env: dict | None = None, timeout: float = 120) -> str:
    result = subprocess.run(
        cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def postgres_ready() -> bool:
    probe = ["pg_isready", "-h", HOST, "-p", "5432", "-q"]
    return subprocess.run(probe, check=False, timeout=10).returncode == 0


def ensure_postgres() -> None:
    if postgres_ready():
        return
    log("PostgreSQL is down: starting it")
    start_postgres()


def start_postgres() -> float:
    """Start the cluster (harmless if it runs); return the moment it accepted connections.

    `pg_isready` is polled while the start command runs (which waits on its own schedule, up to
    seconds after the server is ready), so the moment is the server's, to about 50 ms.
    """
    starting = subprocess.Popen(
        [*PG_CTL, "start"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if postgres_ready():
                return time.monotonic()
            time.sleep(0.05)
        raise RuntimeError("PostgreSQL did not become ready on 127.0.0.1:5432")
    finally:
        try:
            starting.wait(timeout=60)
        except subprocess.TimeoutExpired:
            starting.kill()
            starting.wait()


def stop_postgres_immediately() -> None:
    run([*PG_CTL, "stop", "-m", "immediate"], timeout=30)


def postgres_watchdog() -> subprocess.Popen:
    """A detached shell that starts PostgreSQL after WATCHDOG_SECONDS unless it is up by then.

    It outlives this process if this process is killed (SIGKILL skips every `finally`); the run
    stops it by its id once PostgreSQL is back.
    """
    start = " ".join(PG_CTL)
    script = f"sleep {WATCHDOG_SECONDS}; pg_isready -h {HOST} -p 5432 -q || {start} start"
    return subprocess.Popen(
        ["sh", "-c", script],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def redis_flush() -> None:
    """FLUSHDB on the benchmark's Redis database, spoken in RESP so no client is needed."""
    db = str(REDIS_DB)
    try:
        conn = socket.create_connection((HOST, 6379), timeout=5)
    except OSError as error:
        raise RuntimeError(f"Redis is not answering on {HOST}:6379 ({error})") from error
    with conn:
        conn.sendall(
            f"*2\r\n$6\r\nSELECT\r\n${len(db)}\r\n{db}\r\n*1\r\n$7\r\nFLUSHDB\r\n".encode()
        )
        reply = b""
        while reply.count(b"\r\n") < 2:
            chunk = conn.recv(64)
            if not chunk:
                break
            reply += chunk
    if reply != b"+OK\r\n+OK\r\n":
        raise RuntimeError(f"Redis on {HOST}:6379 did not flush database {REDIS_DB}: {reply!r}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(database: str, static_root: str) -> dict:
    """Production settings: DEBUG unset, a fresh secret, the shared cache on Redis."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ") if k in os.environ}
    alphabet = string.ascii_letters + string.digits
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ctg_workshops.settings",
            "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(64)),
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": f"{PG_URL}/{database}",
            "CACHE_URL": f"redis://{HOST}:6379/{REDIS_DB}",
            "STATIC_ROOT": static_root,
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def scenario(env: dict, *args: str) -> dict:
    out = run([str(PROJECT_BIN / "python"), str(BENCH / "scenario.py"), *args], env=env)
    return json.loads(out.strip().splitlines()[-1])


def http_status(url: str) -> int:
    """A GET without any proxy from the environment: traffic stays on 127.0.0.1."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


@dataclass
class Gunicorn:
    workers: int
    threads: int
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    extra_args: list[str] = field(default_factory=list)  # e.g. a -c configuration file

    @property
    def settings(self) -> str:
        if self.threads > 1:
            return f"--workers {self.workers} --worker-class gthread --threads {self.threads}"
        return f"--workers {self.workers}"

    def start(self, env: dict, log_path: Path) -> str:
        self.port = free_port()
        self.log_path = log_path
        cmd = [str(PROJECT_BIN / "gunicorn"), "ctg_workshops.wsgi"]
        cmd += ["--bind", f"{HOST}:{self.port}", "--workers", str(self.workers)]
        if self.threads > 1:
            cmd += ["--worker-class", "gthread", "--threads", str(self.threads)]
        cmd += ["--timeout", "30", "--graceful-timeout", "5", "--log-level", "warning"]
        cmd += self.extra_args
        with open(log_path, "wb") as out:
            self.process = subprocess.Popen(
                cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        base = f"http://{HOST}:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{log_path.read_text()[-3000:]}")
            if http_status(f"{base}/healthz") == 200:
                return base
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer GET /healthz with 200 within 30 s")

    def pids(self) -> list[int]:
        if self.process is None:
            return []
        return [self.process.pid, *processes(lambda pid, _: parent(pid) == self.process.pid)]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


# --- CPU accounting (Linux /proc): who used the two cores -----------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()  # from "state" on: [1] parent, [11:13] CPU


def parent(pid: int) -> int:
    try:
        return int(_stat(pid)[1])
    except (OSError, IndexError, ValueError):
        return -1


def processes(match) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if match(int(entry.name), entry):
                    found.append(int(entry.name))
    return found


def postgres_backends(database: str) -> list[int]:
    needle = f" {database} ".encode()

    def match(_pid: int, entry: Path) -> bool:
        cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        return cmdline.startswith(b"postgres: ") and needle in cmdline

    return processes(match)


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat(pid)
            out[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return out


def machine_busy() -> tuple[float, float, float]:
    """(busy, total, interrupts) CPU seconds of the whole machine since boot, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:8]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS, (values[5] + values[6]) / TICKS


class CpuMeter(threading.Thread):
    """CPU seconds used by each party, sampled twice a second from /proc.

    Sampling keeps the CPU of processes that exit during the run (a database connection closed
    after CONN_MAX_AGE) up to their last sample. `mark()` notes the totals at a moment;
    `between()` turns two marks into CPU seconds per party: gunicorn (master and workers), the
    benchmark database's PostgreSQL backends, this load generator, every other process on the
    machine (other people's work shares these cores), the kernel's interrupt handling (the
    loopback network), and what is left (processes that came and went between two samples).
    """

    def __init__(self, gunicorn: Gunicorn, database: str) -> None:
        super().__init__(daemon=True)
        self.gunicorn = gunicorn
        self.database = database
        self.seen: dict[str, dict[int, float]] = {"gunicorn": {}, "postgres": {}, "others": {}}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.own_cpu = 0.0  # this thread's, taken out of the load generator's

    def _sample(self) -> None:
        gunicorn = cpu_by_pid(self.gunicorn.pids())
        postgres = cpu_by_pid(postgres_backends(self.database))
        ours = {os.getpid(), *gunicorn, *postgres}
        others = cpu_by_pid([pid for pid in processes(lambda *_: True) if pid not in ours])
        with self.lock:
            self.seen["gunicorn"].update(gunicorn)
            self.seen["postgres"].update(postgres)
            self.seen["others"].update(others)

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            self._sample()
            self.own_cpu = time.thread_time()

    def stop(self) -> None:
        self.stopping.set()

    def mark(self) -> dict:
        self._sample()
        busy, total, interrupts = machine_busy()
        with self.lock:
            return {
                "wall": time.monotonic(),
                "gunicorn": sum(self.seen["gunicorn"].values()),
                "postgres": sum(self.seen["postgres"].values()),
                "others": sum(self.seen["others"].values()),
                "load": time.process_time() - self.own_cpu,
                "busy": busy,
                "total": total,
                "interrupts": interrupts,
            }

    def wait_for_quiet(self) -> dict:
        """Wait (bounded) until other processes use little of the machine; say how it went."""
        deadline = time.monotonic() + QUIET_WAIT
        while True:
            before = self.mark()
            time.sleep(2.0)
            after = self.mark()
            share = (after["others"] - before["others"]) / (after["total"] - before["total"])
            if share < QUIET_SHARE or time.monotonic() >= deadline:
                waited = QUIET_WAIT - max(0.0, deadline - time.monotonic())
                return {"other_processes_share": round(share, 2), "waited_s": round(waited, 1)}
            log(f"other processes use {100 * share:.0f} % of the machine: waiting for quiet")

    @staticmethod
    def between(start: dict, end: dict) -> dict:
        busy = end["busy"] - start["busy"]
        cores = end["total"] - start["total"]
        used = {
            f"{party}_cpu_s": end[key] - start[key]
            for party, key in (
                ("gunicorn", "gunicorn"),
                ("postgres", "postgres"),
                ("load_generator", "load"),
                ("other_processes", "others"),
            )
        }
        used["kernel_interrupts_cpu_s"] = end["interrupts"] - start["interrupts"]
        used["unaccounted_cpu_s"] = max(0.0, busy - sum(used.values()))
        out = {"seconds": end["wall"] - start["wall"], **used}
        out = {k: round(v, 1) for k, v in out.items()}
        out["machine_busy_pct"] = round(100 * busy / cores, 1) if cores else 0.0
        return out


# --- The load -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict
    text: str

    def json(self) -> dict:
        try:
            value = json.loads(self.text)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Event:
    """One request on the run's clock: when it was sent, when it ended, how (None: no answer)."""

    kind: str
    start: float
    end: float
    status: int | None
    retry_after: str | None
    friendly: bool = False  # a 503 that explains itself (the 503 page, or the card's JSON)


class Recorder:
    """Every request's latency and status, by kind (and by phase for the polls and pages)."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter] = defaultdict(Counter)
        self.network_errors: Counter = Counter()
        self.events: list[Event] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self.loop_lag: list[float] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    async def request(
        self, session: aiohttp.ClientSession, kind: str, method: str, url: str, **kwargs
    ) -> Answer | None:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        sent = self.now()
        started = time.perf_counter()
        try:
            async with session.request(method, url, allow_redirects=False, **kwargs) as response:
                body = await response.read()
                answer = Answer(
                    response.status, dict(response.headers), body.decode("utf-8", "replace")
                )
        except (aiohttp.ClientError, TimeoutError):
            self.network_errors[kind] += 1
            self.events.append(Event(kind, sent, self.now(), None, None))
            return None
        finally:
            self.in_flight -= 1
        self.latency[kind].append(time.perf_counter() - started)
        self.status[kind][answer.status] += 1
        retry_after = answer.headers.get("Retry-After")
        friendly = answer.status == 503 and UNAVAILABLE_TEXT in answer.text
        self.events.append(Event(kind, sent, self.now(), answer.status, retry_after, friendly))
        return answer

    async def watch_loop_lag(self) -> None:
        """How late the load generator's own event loop runs: its latencies include this."""
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.1)
            self.loop_lag.append(time.perf_counter() - before - 0.1)


@dataclass
class Burst:
    base: str
    code: str
    categories: list[int]
    seed: int
    participants: int
    board_path: str = ""  # /workshops/<workshop>/sessions/<session>/board/
    facilitator_cookies: list[dict] = field(default_factory=list)  # one jar per signed-in one
    max_retries: int = MAX_RETRIES
    rec: Recorder = field(default_factory=Recorder)
    voting_switched: bool = False
    writing_done: int = 0  # participants past their card stage (or who failed to join)
    writing_all_done: asyncio.Event = field(default_factory=asyncio.Event)
    joined: int = 0
    saw_voting: int = 0
    acked_cards: dict[str, str] = field(default_factory=dict)  # key -> text
    sent_card_keys: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # text, use, who
    sent_cards: int = 0
    refused_cards: Counter = field(default_factory=Counter)
    card_ack_times: list[float] = field(default_factory=list)
    first_card_sent: float | None = None
    acked_dots: set[tuple[str, int]] = field(default_factory=set)
    sent_dots: int = 0
    refused_dots: Counter = field(default_factory=Counter)
    boards_watched: int = 0  # facilitators whose board page loaded

    @property
    def page(self) -> str:
        return f"/s/{self.code}/"

    @property
    def stage(self) -> str:
        return "voting" if self.voting_switched else "writing"

    def card_stage_over(self) -> None:
        self.writing_done += 1
        if self.writing_done >= self.participants:
            self.writing_all_done.set()


def _retry_wait(answer: Answer | None) -> float:
    if answer is not None:
        with contextlib.suppress(ValueError):
            seconds = float(answer.headers.get("Retry-After", ""))
            if seconds > 0:
                return seconds
    return RETRY_SECONDS


def _retryable(answer: Answer | None) -> bool:
    return answer is None or answer.status == 429 or answer.status >= 500


def _why(answer: Answer | None) -> str:
    if answer is None:
        return "network error"
    detail = str(answer.json().get("error", ""))
    if not detail:
        found = re.search(r'role="alert"[^>]*>([^<]*)<', answer.text)
        detail = found.group(1).strip() if found else ""
    return f"{answer.status} {detail}".strip()[:120]


class Participant:
    """One phone: its own cookie jar and connections, think times from its own seeded RNG."""

    def __init__(self, burst: Burst, number: int) -> None:
        self.burst = burst
        self.number = number
        self.rng = random.Random(burst.seed * 100_000 + number)
        self.origin = URL(burst.base)
        self.session = aiohttp.ClientSession(
            base_url=burst.base,
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # unsafe: accept cookies for an IP
            connector=aiohttp.TCPConnector(limit=6),  # a browser's connections per host
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        )
        self.phase = ""
        self.status_key = ""  # the page's key for its status polls
        self.voting = asyncio.Event()

    def cookie(self, name: str) -> str:
        morsel = self.session.cookie_jar.filter_cookies(self.origin).get(name)
        return morsel.value if morsel else ""

    async def _with_retries(self, kind: str, method: str, url: str, ok, **kwargs):
        """One request, sent again like the real page after a network error, 429 or 5xx."""
        answer = None
        for attempt in range(self.burst.max_retries + 1):
            if attempt:
                await asyncio.sleep(_retry_wait(answer))
            answer = await self.burst.rec.request(self.session, kind, method, url, **kwargs)
            if not _retryable(answer):
                return answer, ok(answer)
        return answer, False

    async def load_page(self) -> bool:
        kind = f"page ({self.burst.stage})"
        answer, ok = await self._with_retries(
            kind, "GET", self.burst.page, lambda a: a.status == 200
        )
        if ok:
            found = PHASE_IN_PAGE.search(answer.text)
            self.phase = found.group(1) if found else ""
            self.status_key = found.group(3) if found else ""
            if self.phase == "voting" and not self.voting.is_set():
                self.burst.saw_voting += 1
                self.voting.set()
        return ok

    async def join(self) -> bool:
        page = self.burst.page
        _, ok = await self._with_retries(
            "join_form", "GET", page, lambda a: a.status == 200 and bool(self.cookie("csrftoken"))
        )
        if not ok:
            return False
        _, ok = await self._with_retries(
            "join",
            "POST",
            page,
            lambda a: a.status == 302 and bool(self.cookie("ctg_participant")),
            data={"anonymous": "1", "csrfmiddlewaretoken": self.cookie("csrftoken")},
        )
        return ok and await self.load_page()

    async def poll(self) -> None:
        """GET status every 3 s, as htmx does; on HX-Refresh the page reloads."""
        url = f"{self.burst.page}status/"
        next_at = time.monotonic() + POLL_SECONDS
        while True:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += POLL_SECONDS
            answer = await self.burst.rec.request(
                self.session,
                f"status ({self.burst.stage})",
                "GET",
                url,
                params={"phase": self.phase, "revealed": "0", "k": self.status_key},
            )
            if answer is not None and answer.headers.get("HX-Refresh") == "true":
                await self.load_page()

    async def send_card(self, number: int) -> None:
        burst = self.burst
        key = str(uuid.uuid4())
        words = " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(6, 18)))
        text = f"Card {self.number:03d}.{number} of the bench: {words}."
        use = self.rng.choice(["", "E", "I"])
        if burst.first_card_sent is None:
            burst.first_card_sent = burst.rec.now()
        burst.sent_cards += 1
        burst.sent_card_keys[key] = (text, use, self.cookie("ctg_participant"))
        csrf = self.cookie("csrftoken")
        answer, ok = await self._with_retries(
            "statement",
            "POST",
            f"{burst.page}statements/",
            lambda a: a.status in (200, 201) and a.json().get("status") == "received",
            data={"text": text, "use": use, "idempotency_key": key, "csrfmiddlewaretoken": csrf},
            headers={"Accept": "application/json", "X-CSRFToken": csrf},
        )
        if ok:
            burst.acked_cards[key] = text
            burst.card_ack_times.append(burst.rec.now())
        else:
            burst.refused_cards[_why(answer)] += 1

    async def place_dot(self, category: int) -> None:
        burst = self.burst
        burst.sent_dots += 1
        csrf = self.cookie("csrftoken")
        answer, ok = await self._with_retries(
            "dot",
            "POST",
            f"{burst.page}dots/",
            lambda a: a.status == 200 and 'role="alert"' not in a.text,
            data={"category": str(category), "action": "place", "csrfmiddlewaretoken": csrf},
            headers={"HX-Request": "true", "X-CSRFToken": csrf},
        )
        if ok:
            burst.acked_dots.add((self.cookie("ctg_participant"), category))
        else:
            burst.refused_dots[_why(answer)] += 1

    async def run(self, start_at: float) -> None:
        burst = self.burst
        poller = None
        card_stage_over = False
        try:
            await asyncio.sleep(max(0.0, start_at - burst.rec.now()))
            if await self.join():
                burst.joined += 1
                poller = asyncio.create_task(self.poll())
                for number in range(1, CARDS + 1):
                    await asyncio.sleep(self.rng.uniform(*CARD_THINK))
                    if burst.voting_switched:
                        burst.refused_cards["not sent: writing time was over"] += 1
                        continue
                    await self.send_card(number)
            burst.card_stage_over()
            card_stage_over = True
            if poller is None:
                return
            await self.voting.wait()
            for category in self.rng.sample(burst.categories, DOTS):
                await asyncio.sleep(self.rng.uniform(*DOT_THINK))
                await self.place_dot(category)
        finally:
            if not card_stage_over:
                burst.card_stage_over()
            if poller is not None:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller
            await self.session.close()


async def facilitators_sign_in(base: str, accounts: list[dict], rec: Recorder) -> list[dict]:
    """Before the burst: each facilitator signs in as a browser does; returns their cookies.

    GET the sign-in page (it sets the CSRF cookie), then POST the credentials with the token: a
    302 that sets the session cookie. Done before the clock starts, because a sign-in hashes a
    password (PBKDF2, about half a CPU second) and the burst should not pay for three of them.
    """

    async def one(account: dict) -> dict:
        async with aiohttp.ClientSession(
            base_url=base,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        ) as session:

            def cookie(name: str) -> str:
                morsel = session.cookie_jar.filter_cookies(URL(base)).get(name)
                return morsel.value if morsel else ""

            form = await rec.request(session, "login form", "GET", "/accounts/login/")
            if form is None or form.status != 200 or not cookie("csrftoken"):
                raise RuntimeError(f"the sign-in page failed: {_why(form)}")
            data = {
                "username": account["username"],
                "password": account["password"],
                "csrfmiddlewaretoken": cookie("csrftoken"),
                "next": "",
            }
            answer = await rec.request(session, "login", "POST", "/accounts/login/", data=data)
            if answer is None or answer.status != 302 or not cookie("sessionid"):
                raise RuntimeError(f"{account['username']} could not sign in: {_why(answer)}")
            return {morsel.key: morsel.value for morsel in session.cookie_jar}

    return list(await asyncio.gather(*(one(account) for account in accounts)))


class Facilitator:
    """A signed-in facilitator's browser on the live board, as templates and htmx run it.

    The board page carries `#board-feed` with `data-hx-get=".../board/feed/?v=<version>"` and
    `data-hx-trigger="every 1s"`: a 204 leaves it as it is, a 200 replaces it (with the new
    version in its own `data-hx-get`), and the new element polls a second after it arrived. A
    poll that takes longer than a second delays the next one (htmx queues one request per
    element). Errors leave the element, and its version, in place.
    """

    def __init__(self, burst: Burst, cookies: dict) -> None:
        self.burst = burst
        self.session = aiohttp.ClientSession(
            base_url=burst.base,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(limit=6),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        )
        self.session.cookie_jar.update_cookies(cookies, URL(burst.base))

    async def open_board(self) -> str:
        answer = None
        for attempt in range(self.burst.max_retries + 1):
            if attempt:
                await asyncio.sleep(_retry_wait(answer))
            answer = await self.burst.rec.request(
                self.session, "board", "GET", self.burst.board_path
            )
            if answer is not None and answer.status == 200:
                found = BOARD_FEED.search(answer.text)
                if not found:
                    raise RuntimeError("the board page has no #board-feed with data-hx-get")
                return html.unescape(found.group(1))
            if not _retryable(answer):
                raise RuntimeError(f"the board did not open: {_why(answer)}")
        return ""

    async def run(self) -> None:
        burst = self.burst
        headers = {
            "HX-Request": "true",
            "HX-Target": "board-feed",
            "HX-Trigger": "board-feed",
            "HX-Current-URL": f"{burst.base}{burst.board_path}",
        }
        try:
            feed = await self.open_board()
            if not feed:
                return
            burst.boards_watched += 1
            next_at = time.monotonic() + BOARD_POLL_SECONDS
            while True:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                answer = await burst.rec.request(
                    self.session, f"board feed ({burst.stage})", "GET", feed, headers=headers
                )
                if answer is not None and answer.status == 200:
                    found = BOARD_FEED.search(answer.text)
                    if found:
                        feed = html.unescape(found.group(1))
                    next_at = time.monotonic() + BOARD_POLL_SECONDS
                else:
                    next_at = max(next_at + BOARD_POLL_SECONDS, time.monotonic())
        finally:
            await self.session.close()


async def postgres_outage(rec: Recorder, info: dict) -> None:
    """At OUTAGE_AT, stop PostgreSQL in immediate mode; OUTAGE_SECONDS later, start it again.

    The start is in a `finally`, so it happens even when the run is cancelled or times out
    meanwhile; a detached watchdog covers a process killed outright; and main() checks once more
    on the way out. `info` gets the moments on the run's clock.
    """
    await asyncio.sleep(max(0.0, OUTAGE_AT - rec.now()))
    watchdog = postgres_watchdog()
    log(f"outage: stopping PostgreSQL (immediate mode) for {OUTAGE_SECONDS:.0f} s")
    info["stop_issued_s"] = rec.now()
    try:
        await asyncio.to_thread(stop_postgres_immediately)
        info["stopped_s"] = rec.now()
        await asyncio.sleep(OUTAGE_SECONDS)
    finally:
        info["start_issued_s"] = rec.now()
        ready = await asyncio.to_thread(start_postgres)
        info["ready_s"] = ready - rec.t0
        info["start_returned_s"] = rec.now()
        log(f"outage: PostgreSQL accepts connections again at {info['ready_s']:.1f} s")
        with contextlib.suppress(OSError):
            os.killpg(watchdog.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            watchdog.wait(timeout=5)


async def burst_load(
    burst: Burst, switch_to_voting, marks: dict, meter: CpuMeter, outage: dict | None = None
) -> dict:
    rec = burst.rec
    rng = random.Random(burst.seed)
    starts = sorted(rng.uniform(0, RAMP_SECONDS) for _ in range(burst.participants))
    lag = asyncio.create_task(rec.watch_loop_lag())
    people = [Participant(burst, number) for number in range(burst.participants)]
    tasks = [asyncio.create_task(p.run(start)) for p, start in zip(people, starts, strict=True)]
    watchers = [
        asyncio.create_task(Facilitator(burst, cookies).run())
        for cookies in burst.facilitator_cookies
    ]
    helpers = [lag, *watchers]
    if outage is not None:
        outage_task = asyncio.create_task(postgres_outage(rec, outage))
        helpers.append(outage_task)
    timings: dict[str, float] = {}
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(burst.writing_all_done.wait(), WRITING_BOUND)
        if outage is not None:
            await outage_task  # PostgreSQL is back before the session moves on
        timings["writing_over_s"] = rec.now()
        log(
            f"writing over at {rec.now():.1f} s: {len(burst.acked_cards)} cards acknowledged; "
            "switching the session to voting"
        )
        marks["writing"] = meter.mark()
        await asyncio.to_thread(switch_to_voting)
        burst.voting_switched = True
        timings["voting_open_s"] = rec.now()
        done, pending = await asyncio.wait(tasks, timeout=VOTING_BOUND)
        timings["participants_unfinished"] = len(pending)
        timings["end_s"] = rec.now()
        marks["voting"] = meter.mark()
        for task in [*done, *watchers]:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()
    finally:
        for task in [*tasks, *helpers]:
            task.cancel()
        await asyncio.gather(*tasks, *helpers, return_exceptions=True)
    return timings


async def reference_load(base: str, connections: int, seconds: float) -> dict:
    """Closed loop on GET /healthz: each connection sends its next request on each answer."""
    rec = Recorder()
    async with aiohttp.ClientSession(
        base_url=base,
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
    ) as session:
        deadline = time.monotonic() + seconds
        ok = 0

        async def worker() -> None:
            nonlocal ok
            while time.monotonic() < deadline:
                answer = await rec.request(session, "healthz", "GET", "/healthz")
                ok += answer is not None and answer.status == 200

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - started
    return {
        "connections": connections,
        "seconds": round(elapsed, 1),
        "requests_ok": ok,
        "requests_per_second": round(ok / elapsed, 1),
        "latency": summarise(rec.latency["healthz"]),
        "status": dict(rec.status["healthz"]),
        "network_errors": rec.network_errors["healthz"],
    }


# --- Figures ------------------------------------------------------------------------------


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ordered list."""
    if not ordered:
        return 0.0
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def summarise(samples: list[float]) -> dict:
    ordered = sorted(samples)
    ms = [round(1000 * percentile(ordered, f), 1) for f in (0.5, 0.95, 0.99, 1.0)]
    names = ("p50_ms", "p95_ms", "p99_ms", "max_ms")
    return {"count": len(ordered), **dict(zip(names, ms, strict=True))}


def latency_by_kind(rec: Recorder) -> dict:
    """Per request kind; "page" and "status" also split by the phase they were sent in."""
    merged: dict[str, list[float]] = defaultdict(list)
    for kind, samples in rec.latency.items():
        merged[kind] += samples
        if " (" in kind:
            merged[kind.split(" (")[0]] += samples
    return {kind: summarise(samples) for kind, samples in sorted(merged.items())}


def card_integrity(acked: dict, sent: dict, rows: list[dict]) -> dict:
    """Acknowledged cards against the stored rows (bench/sqlite_writers.py uses it too).

    *Lost*: an acknowledged key with no row. *Duplicated*: rows beyond one per card text (every
    text sent is unique). *Half-stored*: a row whose key was never sent, or whose text, mark or
    participant differs from what was sent with that key.
    """
    stored_keys = {row["key"] for row in rows}
    stored_texts = Counter(row["text"] for row in rows)
    acked_keys = set(acked)
    half = sum(
        1
        for row in rows
        if sent.get(row["key"]) != (row["text"], row.get("use", ""), row.get("token", ""))
    )
    return {
        "cards_acknowledged": len(acked_keys),
        "cards_stored": len(rows),
        "cards_lost": len(acked_keys - stored_keys),
        "cards_duplicated": sum(n - 1 for n in stored_texts.values()),
        "cards_half_stored": half,
        "cards_stored_unacknowledged": len(stored_keys - acked_keys),
    }


def count_results(burst: Burst, stored: dict) -> dict:
    rows = stored["statements"]
    stored_dots = {(row["token"], row["category"]) for row in stored["dots"]}
    acked_in_db = len(burst.acked_dots & stored_dots)
    statuses = [
        (code, n) for counts in burst.rec.status.values() for code, n in counts.items()
    ]  # fmt: skip
    return {
        **card_integrity(burst.acked_cards, burst.sent_card_keys, rows),
        "participants": burst.participants,
        "participants_joined": burst.joined,
        "participants_stored": stored["participants"],
        "participants_saw_voting": burst.saw_voting,
        "cards_expected": burst.participants * CARDS,
        "cards_sent": burst.sent_cards,
        "cards_refused": dict(burst.refused_cards),
        "dots_expected": burst.participants * DOTS,
        "dots_sent": burst.sent_dots,
        "dots_acknowledged": len(burst.acked_dots),
        "dots_stored": stored["dot_total"],
        "dots_lost": len(burst.acked_dots) - acked_in_db,
        "dots_extra": stored["dot_total"] - acked_in_db,
        "dots_refused": dict(burst.refused_dots),
        "facilitators": len(burst.facilitator_cookies),
        "boards_watched": burst.boards_watched,
        "board_feed_status": dict(
            sorted(
                sum(
                    (c for k, c in burst.rec.status.items() if k.startswith("board feed")),
                    Counter(),
                ).items()
            )
        ),
        "responses_5xx": sum(n for code, n in statuses if code >= 500),
        "responses_429": sum(n for code, n in statuses if code == 429),
        "network_errors": sum(burst.rec.network_errors.values()),
    }


def outage_figures(rec: Recorder, info: dict) -> dict:
    """What the outage did to the requests, on the run's clock.

    *During the outage*: requests that ended after the stop command was issued and were sent
    before PostgreSQL accepted connections again. *Recovered*: the end of the first 2xx answer
    after that. *Failures* are answers of 400 or more and requests without an answer.
    """
    stop, back = info["stop_issued_s"], info["ready_s"]
    events = sorted(rec.events, key=lambda e: e.end)

    def label(e: Event) -> str:
        return "no answer" if e.status is None else str(e.status)

    def failed(e: Event) -> bool:
        return e.status is None or e.status >= 400

    def is_2xx(e: Event) -> bool:
        return e.status is not None and 200 <= e.status < 300

    during = [e for e in events if e.end >= stop and e.start < back]
    first_ok = next((e for e in events if e.end >= back and is_2xx(e)), None)
    first_card = next(
        (e for e in events if e.end >= back and e.kind == "statement" and is_2xx(e)), None
    )
    recovered = first_ok.end if first_ok else math.inf
    gap = [e for e in events if e.end >= back and e.start < recovered and e.start >= back]
    failures = [e for e in events if e.end >= stop and e.start < recovered and failed(e)]
    slowest = max(failures, key=lambda e: e.end - e.start, default=None)
    after = [e for e in events if e.start >= recovered]
    errors_after = [e for e in after if e.status is None or e.status >= 500]
    outside = [
        e
        for e in events
        if e.status is not None and e.status >= 500 and (e.end < stop or e.start >= recovered)
    ]
    unavailable = [e for e in events if e.status == 503]
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for e in during:
        by_kind[e.kind.split(" (")[0]][label(e)] += 1
    return {
        "stop_issued_s": round(stop, 2),
        "stopped_s": round(info.get("stopped_s", stop), 2),
        "start_issued_s": round(info["start_issued_s"], 2),
        "back_s": round(back, 2),
        "down_s": round(back - stop, 2),
        "requests_during_outage": len(during),
        "during_outage_by_status": dict(sorted(Counter(label(e) for e in during).items())),
        "during_outage_by_kind": {k: dict(sorted(v.items())) for k, v in sorted(by_kind.items())},
        "failures_during_outage": len(failures),
        "slowest_failure_s": round(slowest.end - slowest.start, 3) if slowest else 0.0,
        "slowest_failure": f"{slowest.kind}, {label(slowest)}" if slowest else "",
        "responses_503": len(unavailable),
        "responses_503_without_retry_after": sum(1 for e in unavailable if not e.retry_after),
        "responses_503_not_friendly": sum(1 for e in unavailable if not e.friendly),
        "retry_after_values": dict(Counter(e.retry_after or "none" for e in unavailable)),
        "first_2xx_after_back_s": round(first_ok.end - back, 3) if first_ok else None,
        "first_2xx": f"{first_ok.kind}, {first_ok.status}" if first_ok else "",
        "first_card_acknowledged_after_back_s": round(first_card.end - back, 3)
        if first_card
        else None,
        "between_back_and_first_2xx_by_status": dict(Counter(label(e) for e in gap)),
        "errors_after_first_2xx": len(errors_after),
        "errors_after_first_2xx_by_status": dict(Counter(label(e) for e in errors_after)),
        "client_errors_after_first_2xx": dict(
            Counter(
                f"{e.kind.split(' (')[0]} {e.status}"
                for e in after
                if failed(e) and e.status and e.status < 500
            )
        ),
        "responses_5xx_outside_outage": len(outside),
    }


def verdicts(counts: dict, latency: dict) -> dict:
    """Each target and whether it was met; `fails_run` marks those that set the exit status."""
    unacknowledged = (
        counts["cards_expected"]
        - counts["cards_acknowledged"]
        + counts["dots_expected"]
        - counts["dots_acknowledged"]
    )
    checks = {
        "cards_lost": (counts["cards_lost"], 0, True),
        "cards_duplicated": (counts["cards_duplicated"], 0, True),
        "cards_half_stored": (counts["cards_half_stored"], 0, True),
        "dots_lost": (counts["dots_lost"], 0, True),
        "dots_extra": (counts["dots_extra"], 0, True),
        "responses_5xx": (counts["responses_5xx"], 0, True),
        "unacknowledged_cards_and_dots": (unacknowledged, 0, True),
        "responses_429": (counts["responses_429"], 0, False),
        "statement_p95_ms": (latency.get("statement", {}).get("p95_ms", 0), P95_TARGET_MS, False),
        "dot_p95_ms": (latency.get("dot", {}).get("p95_ms", 0), P95_TARGET_MS, False),
    }
    return judge(checks)


def judge(checks: dict) -> dict:
    """{name: (value, target, fails_run)} -> verdicts; times (`_ms`, `_s`) must stay below."""
    out = {}
    for name, (value, target, fails_run) in checks.items():
        if value is None:  # never happened (no success after an outage): missed
            met = False
        elif name.endswith(("_ms", "_s")):
            met = value < target
        else:
            met = value <= target
        out[name] = {"value": value, "target": target, "met": met, "fails_run": fails_run}
    return out


def outage_verdicts(counts: dict, outage: dict) -> dict:
    """Integrity and 5xx outside the outage fail the run; the timings are reported."""
    unacknowledged = (
        counts["cards_expected"]
        - counts["cards_acknowledged"]
        + counts["dots_expected"]
        - counts["dots_acknowledged"]
    )
    return judge(
        {
            "cards_lost": (counts["cards_lost"], 0, True),
            "cards_duplicated": (counts["cards_duplicated"], 0, True),
            "cards_half_stored": (counts["cards_half_stored"], 0, True),
            "dots_lost": (counts["dots_lost"], 0, True),
            "dots_extra": (counts["dots_extra"], 0, True),
            "responses_5xx_outside_outage": (outage["responses_5xx_outside_outage"], 0, True),
            "unacknowledged_cards_and_dots": (unacknowledged, 0, True),
            "slowest_failure_s": (outage["slowest_failure_s"], OUTAGE_FAILURE_TARGET_S, False),
            "responses_503_without_retry_after": (
                outage["responses_503_without_retry_after"],
                0,
                False,
            ),
            "responses_503_not_friendly": (outage["responses_503_not_friendly"], 0, False),
            "first_2xx_after_back_s": (outage["first_2xx_after_back_s"], RECOVERY_TARGET_S, False),
            "errors_after_first_2xx": (outage["errors_after_first_2xx"], 0, False),
        }
    )


def machine() -> dict:
    kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": round(kib / 1024 / 1024, 1),
        "cpu": found.group(1).strip() if found else "",
        "python": platform.python_version(),
    }


def table(result: dict) -> str:
    c, v, ref, lat = result["counts"], result["targets"], result["reference"], result["latency"]

    def met(*names: str) -> str:
        return "met" if all(v[name]["met"] for name in names) else "**missed**"

    rows = [
        ("participants joined / saw voting",
         f"{c['participants_joined']} / {c['participants_saw_voting']} of {c['participants']}",
         ""),
        ("cards acknowledged / stored",
         f"{c['cards_acknowledged']} / {c['cards_stored']} of {c['cards_expected']}",
         f"all acknowledged: {met('unacknowledged_cards_and_dots')}"),
        ("cards lost (acknowledged, not stored)", c["cards_lost"], f"0: {met('cards_lost')}"),
        ("cards duplicated (rows beyond one per text)", c["cards_duplicated"],
         f"0: {met('cards_duplicated')}"),
        ("cards half-stored (key, text or mark not as sent)", c["cards_half_stored"],
         f"0: {met('cards_half_stored')}"),
        ("dots acknowledged / stored",
         f"{c['dots_acknowledged']} / {c['dots_stored']} of {c['dots_expected']}", ""),
        ("dots lost / extra", f"{c['dots_lost']} / {c['dots_extra']}",
         f"0 / 0: {met('dots_lost', 'dots_extra')}"),
        ("server errors (5xx)", c["responses_5xx"], f"0: {met('responses_5xx')}"),
        ("rate-limit refusals (429)", c["responses_429"], f"0: {met('responses_429')}"),
        ("network errors and timeouts (client side)", c["network_errors"], ""),
        ("facilitators watching the live board (feed polled every 1 s)",
         f"{c['boards_watched']} of {c['facilitators']}", ""),
        ("board feed answers: 200 (changed) / 204 (unchanged)",
         f"{c['board_feed_status'].get(200, 0)} / {c['board_feed_status'].get(204, 0)}", ""),
        ("statements per second, writing phase", result["statements_per_second"], ""),
        (f"bare `GET /healthz`, {ref['connections']} connections, closed loop",
         f"{ref['requests_per_second']} req/s", ""),
        ("statements/s ÷ bare view req/s", f"{result['ratio_pct']} %", ""),
    ]  # fmt: skip
    lines = []
    if result["disturbed"]:
        lines += [
            f"**Disturbed run:** other processes used "
            f"{100 * result['other_processes_share_during_burst']:.0f} % of the machine during "
            "the burst, so the latencies and rates below understate what the server can do "
            "(see the CPU lines at the end).",
            "",
        ]
    lines += ["| figure | value | target |", "|---|---:|---|"]
    lines += [f"| {a} | {b} | {t} |" for a, b, t in rows]
    lines += [
        "",
        "| request | count | p50 ms | p95 ms | p99 ms | max ms | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    order = [
        "join_form", "join", "page", "page (writing)", "page (voting)", "statement", "dot",
        "status", "status (writing)", "status (voting)", "board", "board feed",
        "board feed (writing)", "board feed (voting)",
    ]  # fmt: skip
    for kind in [*order, "healthz"]:
        s = ref["latency"] if kind == "healthz" else lat.get(kind)
        if not s:
            continue
        goal = ""
        if kind in ("statement", "dot"):
            goal = f"p95 < {P95_TARGET_MS:.0f}: {met(kind + '_p95_ms')}"
        name = kind.replace(" (", " — in ").rstrip(")")
        if kind == "healthz":
            name = "healthz (reference)"
        lines.append(
            f"| {name} | {s['count']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} "
            f"| {s['max_ms']} | {goal} |"
        )
    m, cpu = result["machine"], result["cpu"]

    def cpu_line(w: dict) -> str:
        return (
            f"machine {w['machine_busy_pct']} % busy; CPU seconds: gunicorn "
            f"{w['gunicorn_cpu_s']}, PostgreSQL {w['postgres_cpu_s']}, load generator "
            f"{w['load_generator_cpu_s']}, other processes {w['other_processes_cpu_s']}, "
            f"kernel interrupts {w['kernel_interrupts_cpu_s']}, unaccounted "
            f"{w['unaccounted_cpu_s']}"
        )

    t = result["timings_s"]
    lines += [
        "",
        f"- Run {result['date']}, {result['duration_s']} s in all; command: `make bench`.",
        f"- Machine: {m['nproc']} cores ({m['cpu'] or 'unknown CPU'}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, PostgreSQL {result['postgres']}, Redis (cache db {REDIS_DB}).",
        f"- Server: `gunicorn ctg_workshops.wsgi {result['gunicorn']}`, DEBUG off, "
        "`CONN_MAX_AGE` 60, on the same two cores as the load generator (aiohttp, one process).",
        f"- Timeline: writing from {result['first_card_s']} s to {t['writing_over_s']} s "
        f"({result['writing_phase_s']} s of cards), voting open at {t['voting_open_s']} s, "
        f"last dot at {t['end_s']} s; peak requests in flight {result['peak_in_flight']}; "
        f"the load generator's event-loop lag p99 {result['loop_lag_p99_ms']} ms.",
        f"- Other processes used {100 * result['before_start']['other_processes_share']:.0f} % "
        f"of the machine just before the start (after waiting {result['before_start']['waited_s']}"
        f" s for less than {100 * QUIET_SHARE:.0f} %).",
        f"- CPU, start to voting ({cpu['writing']['seconds']} s): {cpu_line(cpu['writing'])}.",
        f"- CPU, voting ({cpu['voting']['seconds']} s): {cpu_line(cpu['voting'])}.",
        f"- CPU, reference ({cpu['reference']['seconds']} s): {cpu_line(cpu['reference'])}.",
    ]
    refused = {**c["cards_refused"], **{f"dot: {k}": n for k, n in c["dots_refused"].items()}}
    if refused:
        lines.append(f"- Refused or given up: {json.dumps(refused, ensure_ascii=False)}.")
    return "\n".join(lines)


def outage_table(result: dict) -> str:
    c, o, v = result["counts"], result["outage"], result["targets"]

    def met(*names: str) -> str:
        return "met" if all(v[name]["met"] for name in names) else "**missed**"

    def seconds(value: float | None) -> str:
        return "never" if value is None else f"{value:.2f} s"

    def listing(counts: dict) -> str:
        return ", ".join(f"{k}: {n}" for k, n in counts.items()) or "none"

    statement = result["status"].get("statement", {})
    resent = sum(n for code, n in statement.items() if int(code) >= 500) + (
        result["network_errors_by_kind"].get("statement", 0)
    )
    rows = [
        ("PostgreSQL stopped (immediate) / accepting connections again",
         f"at {o['stop_issued_s']:.1f} s / at {o['back_s']:.1f} s ({o['down_s']:.1f} s down)",
         ""),
        ("requests during the outage, by answer",
         f"{o['requests_during_outage']} ({listing(o['during_outage_by_status'])})", ""),
        ("slowest failure during the outage",
         f"{o['slowest_failure_s']:.2f} s ({o['slowest_failure'] or 'no failure'})",
         f"< {OUTAGE_FAILURE_TARGET_S:.0f} s: {met('slowest_failure_s')}"),
        ("503 answers that explain themselves (the 503 page, or JSON for a card)",
         f"{o['responses_503'] - o['responses_503_not_friendly']} of {o['responses_503']}",
         f"all: {met('responses_503_not_friendly')}"),
        ("503 answers carrying Retry-After",
         f"{o['responses_503'] - o['responses_503_without_retry_after']} of {o['responses_503']}"
         f" (values: {listing(o['retry_after_values'])})",
         f"all: {met('responses_503_without_retry_after')}"),
        ("first 2xx after PostgreSQL was back",
         f"{seconds(o['first_2xx_after_back_s'])} ({o['first_2xx'] or 'none'})",
         f"< {RECOVERY_TARGET_S:.0f} s: {met('first_2xx_after_back_s')}"),
        ("answers between PostgreSQL back and that first 2xx",
         listing(o["between_back_and_first_2xx_by_status"]), ""),
        ("first card acknowledged after PostgreSQL was back",
         seconds(o["first_card_acknowledged_after_back_s"]), ""),
        ("errors after the first 2xx (5xx or no answer)",
         f"{o['errors_after_first_2xx']} ({listing(o['errors_after_first_2xx_by_status'])})",
         f"0: {met('errors_after_first_2xx')}"),
        ("4xx after the first 2xx", listing(o["client_errors_after_first_2xx"]), ""),
        ("server errors (5xx) outside the outage", o["responses_5xx_outside_outage"],
         f"0: {met('responses_5xx_outside_outage')}"),
        ("card requests sent again after a 5xx or no answer (same key)", resent, ""),
        ("cards answered 200 \"received\" for a key already stored", statement.get(200, 0),
         ""),
        ("cards acknowledged / stored",
         f"{c['cards_acknowledged']} / {c['cards_stored']} of {c['cards_expected']}",
         f"all acknowledged: {met('unacknowledged_cards_and_dots')}"),
        ("cards lost / duplicated / half-stored",
         f"{c['cards_lost']} / {c['cards_duplicated']} / {c['cards_half_stored']}",
         f"0 / 0 / 0: {met('cards_lost', 'cards_duplicated', 'cards_half_stored')}"),
        ("dots acknowledged / stored",
         f"{c['dots_acknowledged']} / {c['dots_stored']} of {c['dots_expected']}", ""),
        ("dots lost / extra", f"{c['dots_lost']} / {c['dots_extra']}",
         f"0 / 0: {met('dots_lost', 'dots_extra')}"),
    ]  # fmt: skip
    lines = []
    if result["disturbed"]:
        lines += [
            f"**Disturbed run:** other processes used "
            f"{100 * result['other_processes_share_during_burst']:.0f} % of the machine during "
            "the burst.",
            "",
        ]
    lines += ["| figure | value | target |", "|---|---:|---|"]
    lines += [f"| {a} | {b} | {t} |" for a, b, t in rows]
    lines += [
        "",
        "| request, during the outage | answers |",
        "|---|---|",
    ]
    lines += [
        f"| {kind} | {listing(codes)} |" for kind, codes in o["during_outage_by_kind"].items()
    ]
    log_counts = result.get("server_log", {})
    t = result["timings_s"]
    lines += [
        "",
        f"- Run {result['date']}, {result['duration_s']} s in all; command: `make bench` "
        "(`bench/burst.py --outage`).",
        f"- The burst as above ({c['participants']} participants, {c['facilitators']} "
        f"facilitators on the board), server `gunicorn ctg_workshops.wsgi {result['gunicorn']}`"
        f", PostgreSQL {result['postgres']}. At {OUTAGE_AT:.0f} s `pg_ctlcluster "
        f"--skip-systemctl-redirect {PG_VERSION} main stop -m immediate` (it returned at "
        f"{o['stopped_s']:.1f} s); {OUTAGE_SECONDS:.0f} s later `… start` (issued at "
        f"{o['start_issued_s']:.1f} s); back means `pg_isready` answers.",
        f"- Participants send a failed card again with the same idempotency key after "
        f"Retry-After, up to {OUTAGE_MAX_RETRIES} times (the page never gives up).",
        f"- Timeline: writing over at {t['writing_over_s']} s, voting open at "
        f"{t['voting_open_s']} s, last dot at {t['end_s']} s.",
        f'- Server log: {log_counts.get("database_unavailable", 0)} "database unavailable" '
        f"warnings, {log_counts.get('tracebacks', 0)} tracebacks.",
    ]
    return "\n".join(lines)


def write_doc(text: str, name: str) -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{text}\n{end}"
    current = DOC.read_text() if DOC.exists() else "# Performance\n"
    if start in current and end in current:
        head, rest = current.split(start, 1)
        DOC.write_text(head + block + rest.split(end, 1)[1])
    else:
        DOC.write_text(current.rstrip("\n") + "\n\n" + block + "\n")


# --- The run ------------------------------------------------------------------------------


def measure(args: argparse.Namespace, gunicorn: Gunicorn, database: str, tmp: Path) -> dict:
    ensure_postgres()
    redis_flush()
    env = server_env(database, str(tmp / "static"))
    log(f"database {database}: migrate, scenario, collectstatic")
    run([str(PROJECT_BIN / "python"), "manage.py", "migrate", "--noinput"], env=env)
    setup = scenario(env, "setup", str(args.facilitators))
    run([str(PROJECT_BIN / "python"), "manage.py", "collectstatic", "--noinput"], env=env)
    pg_version = run(
        ["psql", "-h", HOST, "-U", "postgres", "-At", "-c", "show server_version", database]
    ).split(" ")[0]
    base = gunicorn.start(env, tmp / "gunicorn.log")
    log(f"gunicorn {gunicorn.settings} on {base}; session {setup['code']}")
    sign_in = Recorder()
    cookies = asyncio.run(facilitators_sign_in(base, setup["facilitators"], sign_in))

    burst = Burst(
        base=base,
        code=setup["code"],
        categories=setup["categories"],
        seed=args.seed,
        participants=args.participants,
        board_path=f"/workshops/{setup['workshop']}/sessions/{setup['session']}/board/",
        facilitator_cookies=cookies,
        max_retries=OUTAGE_MAX_RETRIES if args.outage else MAX_RETRIES,
    )
    meter = CpuMeter(gunicorn, database)
    meter.start()
    quiet = meter.wait_for_quiet()
    log(
        f"burst: {args.participants} participants arriving over {RAMP_SECONDS:.0f} s, "
        f"{len(cookies)} facilitators on the board"
        + (f"; PostgreSQL stopped at {OUTAGE_AT:.0f} s" if args.outage else "")
    )
    burst.rec = Recorder()  # the clock starts now
    marks = {"start": meter.mark()}
    outage = {} if args.outage else None
    timings = asyncio.run(
        burst_load(burst, lambda: scenario(env, "phase", "voting"), marks, meter, outage)
    )

    reference = None
    if not args.outage:
        log(f"reference: GET /healthz, {args.connections} connections, {REFERENCE_SECONDS:.0f} s")
        marks["reference start"] = meter.mark()
        reference = asyncio.run(reference_load(base, args.connections, REFERENCE_SECONDS))
        marks["reference"] = meter.mark()
    meter.stop()
    stored = scenario(env, "collect")

    counts = count_results(burst, stored)
    latency = latency_by_kind(burst.rec)
    acks = sorted(burst.card_ack_times)
    first = burst.first_card_sent or 0.0
    writing = (acks[-1] - first) if acks else 0.0
    per_second = round(len(acks) / writing, 1) if writing > 0 else 0.0
    result = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "make bench",
        "machine": machine(),
        "postgres": pg_version,
        "gunicorn": gunicorn.settings,
        "scenario": {
            "participants": args.participants,
            "facilitators": args.facilitators,
            "ramp_s": RAMP_SECONDS,
            "cards": CARDS,
            "card_think_s": list(CARD_THINK),
            "dots": DOTS,
            "dot_think_s": list(DOT_THINK),
            "poll_s": POLL_SECONDS,
            "board_poll_s": BOARD_POLL_SECONDS,
            "max_retries": burst.max_retries,
            "seed": args.seed,
        },
        "counts": counts,
        "latency": latency,
        "sign_in_latency": latency_by_kind(sign_in),
        "status": {kind: dict(sorted(codes.items())) for kind, codes in burst.rec.status.items()},
        "network_errors_by_kind": dict(burst.rec.network_errors),
        "statements_per_second": per_second,
        "first_card_s": round(first, 1),
        "writing_phase_s": round(writing, 1),
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
        "peak_in_flight": burst.rec.peak_in_flight,
        "before_start": quiet,
        "loop_lag_p99_ms": summarise(burst.rec.loop_lag)["p99_ms"],
        "cpu": {
            "writing": CpuMeter.between(marks["start"], marks["writing"]),
            "voting": CpuMeter.between(marks["writing"], marks["voting"]),
        },
    }
    burst_cpu = CpuMeter.between(marks["start"], marks["voting"])
    share = burst_cpu["other_processes_cpu_s"] / (burst_cpu["seconds"] * machine()["nproc"])
    result["other_processes_share_during_burst"] = round(share, 2)
    result["disturbed"] = share > DISTURBED_SHARE
    if args.outage:
        result["outage"] = outage_figures(burst.rec, outage)
        result["targets"] = outage_verdicts(counts, result["outage"])
    else:
        result["reference"] = reference
        result["ratio_pct"] = (
            round(100 * per_second / reference["requests_per_second"], 1)
            if reference["requests_per_second"]
            else 0.0
        )
        result["cpu"]["reference"] = CpuMeter.between(marks["reference start"], marks["reference"])
        result["targets"] = verdicts(counts, latency)
    result["passed"] = not any(t["fails_run"] and not t["met"] for t in result["targets"].values())
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=PARTICIPANTS)
    parser.add_argument(
        "--facilitators", type=int, default=FACILITATORS, help="signed in, on the live board"
    )
    parser.add_argument(
        "--outage",
        action="store_true",
        help=f"stop PostgreSQL (immediate) for {OUTAGE_SECONDS:.0f} s in the middle of the burst",
    )
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=THREADS, help="threads per worker (>1: gthread)"
    )
    parser.add_argument("--connections", type=int, default=REFERENCE_CONNECTIONS)
    parser.add_argument("--seed", type=int, default=2009)
    parser.add_argument(
        "--no-write", action="store_true", help="print only: leave results and docs alone"
    )
    parser.add_argument(
        "--keep-log", action="store_true", help=f"keep gunicorn's log in {KEPT_LOG_DIR}"
    )
    args = parser.parse_args()
    name = "outage" if args.outage else "burst"
    results_path = RESULTS_DIR / f"{name}.json"
    kept_log = KEPT_LOG_DIR / ("gunicorn-outage.log" if args.outage else "gunicorn.log")

    def out_of_time(signum, frame):
        raise TimeoutError(f"the benchmark ran past its bound of {RUN_BOUND} s")

    def terminated(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")  # through every `finally` below

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, terminated)
    signal.alarm(RUN_BOUND)
    started = time.monotonic()
    database = f"ctg_bench_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="ctg-bench-"))
    gunicorn = Gunicorn(workers=args.workers, threads=args.threads)
    created = False
    result = None
    log_text = ""
    try:
        ensure_postgres()
        run(["createdb", "-h", HOST, "-U", "postgres", database])
        created = True
        result = measure(args, gunicorn, database, tmp)
    finally:
        signal.alarm(0)
        try:
            ensure_postgres()  # after an outage run, whatever happened: PostgreSQL is up
        except Exception as error:  # said loudly, then the clean-up goes on
            log(f"WARNING: PostgreSQL is not up and could not be started: {error}")
        gunicorn.stop()
        if created:
            with contextlib.suppress(Exception):
                run(["dropdb", "-h", HOST, "-U", "postgres", "--force", "--if-exists", database])
        if gunicorn.log_path and gunicorn.log_path.exists():
            log_text = gunicorn.log_path.read_text(errors="replace")
            if args.keep_log or result is None or not result["passed"]:
                kept_log.parent.mkdir(parents=True, exist_ok=True)
                kept_log.write_text(log_text)
                log(f"gunicorn's log: {kept_log.relative_to(ROOT)}")
        shutil.rmtree(tmp, ignore_errors=True)

    result["duration_s"] = round(time.monotonic() - started, 1)
    result["server_log"] = {
        "database_unavailable": log_text.count("database unavailable"),
        "tracebacks": log_text.count("Traceback (most recent call last)"),
    }
    text = outage_table(result) if args.outage else table(result)
    print("\n" + text + "\n", flush=True)
    if not args.no_write:
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        write_doc(text, name)
        log(f"wrote {results_path.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")
    missed = [name for name, t in result["targets"].items() if not t["met"]]
    if not result["passed"]:
        failing = [name for name in missed if result["targets"][name]["fails_run"]]
        log(f"FAILED: {', '.join(failing)}")
        return 1
    log(f"passed; targets missed: {', '.join(missed)}" if missed else "passed: every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
