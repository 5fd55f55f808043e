"""`make bench`: the participant burst against a production-like server on this machine.

A room of participants behind one address joins a session, writes three cards each, then places
four dots each, while every open page polls the session's status, as static/js/participant.js
and htmx do. The run then counts what was acknowledged against what the database holds, and
measures the bare `GET /healthz` view under the same server as a reference ceiling.

Everything runs on 127.0.0.1: a throwaway PostgreSQL database, one Redis database (flushed), a
gunicorn started here and stopped here. See bench/README.md for the scenario and the choices,
docs/performance.md for the latest figures.

Run it with `make bench` (which prepares both virtualenvs); `bench/.venv/bin/python
bench/burst.py --help` lists the knobs used to compare server settings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import ssl
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PROJECT_BIN = ROOT / ".venv" / "bin"
RESULTS = BENCH / "results" / "burst.json"
DOC = ROOT / "docs" / "performance.md"
DOC_START, DOC_END = "<!-- burst:start -->", "<!-- burst:end -->"

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
MAX_RETRIES = 5  # per card or dot, after the first attempt
RETRY_SECONDS = 2.0  # without a Retry-After header
WRITING_BOUND = 100.0  # seconds after the first participant starts: switch to voting anyway
VOTING_BOUND = 60.0  # seconds after the switch: stop waiting for dots
REFERENCE_CONNECTIONS = 32
REFERENCE_SECONDS = 10.0
RUN_BOUND = 270  # seconds for the whole run, set-up and clean-up included

# Targets (docs/performance.md): the exit status fails on the first group only.
P95_TARGET_MS = 300.0

PHASE_IN_PAGE = re.compile(r"status/\?phase=(\w+)&amp;revealed=([01])")
WORDS = (
    "citizens agencies trust records outreach policy staff budget training public feedback "
    "transparency emergency alerts youth services accessibility privacy archive approval"
).split()


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- The server side: database, static files, gunicorn --------------------------------------


def run(cmd: list[str], *, env: dict | None = None, timeout: float = 120) -> str:
    result = subprocess.run(  # noqa: S603 - fixed argument lists, no shell
        cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def postgres_ready() -> bool:
    probe = ["pg_isready", "-h", HOST, "-p", "5432", "-q"]
    return subprocess.run(probe, check=False).returncode == 0  # noqa: S603, S607


def ensure_postgres() -> None:
    if postgres_ready():
        return
    log("PostgreSQL is down: starting it")
    run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", "start"])
    for _ in range(30):
        if postgres_ready():
            return
        time.sleep(1)
    raise RuntimeError("PostgreSQL did not become ready on 127.0.0.1:5432")


def redis_flush() -> None:
    """FLUSHDB on the benchmark's Redis database, spoken in RESP so no client is needed."""
    with socket.create_connection((HOST, 6379), timeout=5) as conn:
        conn.sendall(f"*2\r\n$6\r\nSELECT\r\n${len(str(REDIS_DB))}\r\n{REDIS_DB}\r\n".encode())
        conn.sendall(b"*1\r\n$7\r\nFLUSHDB\r\n")
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
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ctg_workshops.settings",
            "SECRET_KEY": "".join(
                secrets.choice(string.ascii_letters + string.digits) for _ in range(64)
            ),
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


@dataclass
class Gunicorn:
    workers: int
    threads: int
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def settings(self) -> str:
        if self.threads > 1:
            return f"--workers {self.workers} --worker-class gthread --threads {self.threads}"
        return f"--workers {self.workers} (sync)"

    def start(self, env: dict, log_path: Path) -> str:
        self.port = free_port()
        self.log_path = log_path
        cmd = [
            str(PROJECT_BIN / "gunicorn"),
            "ctg_workshops.wsgi",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.workers),
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        if self.threads > 1:
            cmd += ["--worker-class", "gthread", "--threads", str(self.threads)]
        with open(log_path, "wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
                cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        base = f"http://{HOST}:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=2, trust_env=False).status_code == 200:
                    return base
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer GET /healthz with 200 within 30 s")

    def pids(self) -> list[int]:
        if self.process is None:
            return []
        return [self.process.pid, *children(self.process.pid)]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


# --- CPU accounting (Linux /proc), to see who used the two cores -----------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int(_stat(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
    return found


def _stat(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()  # fields from "state" on; [1] is the parent


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = _stat(pid)
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def postgres_backends(database: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                if cmdline.startswith(b"postgres: ") and f" {database} ".encode() in cmdline:
                    found.append(int(entry.name))
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / TICKS, total / TICKS


@dataclass
class CpuWindow:
    """CPU seconds used by each party over one stretch of the run."""

    gunicorn: Gunicorn
    database: str
    start: dict = field(default_factory=dict)
    used: dict = field(default_factory=dict)

    def _sample(self) -> dict:
        busy, total = machine_busy()
        return {
            "wall": time.monotonic(),
            "gunicorn": cpu_seconds(self.gunicorn.pids()),
            "postgres": cpu_seconds(postgres_backends(self.database)),
            "load generator": time.process_time(),
            "machine busy": busy,
            "machine total": total,
        }

    def begin(self) -> None:
        self.start = self._sample()

    def end(self) -> dict:
        now = self._sample()
        wall = now["wall"] - self.start["wall"]
        cores = now["machine total"] - self.start["machine total"]
        self.used = {
            "seconds": round(wall, 1),
            "gunicorn_cpu_s": round(now["gunicorn"] - self.start["gunicorn"], 1),
            "postgres_cpu_s": round(now["postgres"] - self.start["postgres"], 1),
            "load_generator_cpu_s": round(now["load generator"] - self.start["load generator"], 1),
            "machine_busy_pct": round(
                100 * (now["machine busy"] - self.start["machine busy"]) / cores, 1
            )
            if cores
            else 0.0,
        }
        return self.used


# --- The load -----------------------------------------------------------------------------


class Recorder:
    """Every request's latency and status, by kind."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter] = defaultdict(Counter)
        self.network_errors: Counter = Counter()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.loop_lag: list[float] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    async def request(
        self, client: httpx.AsyncClient, kind: str, method: str, url: str, **kwargs
    ) -> httpx.Response | None:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError:
            self.network_errors[kind] += 1
            return None
        finally:
            self.in_flight -= 1
        self.latency[kind].append(time.perf_counter() - started)
        self.status[kind][response.status_code] += 1
        return response

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
    rec: Recorder = field(default_factory=Recorder)
    voting_switched: asyncio.Event = field(default_factory=asyncio.Event)
    writing_done: int = 0  # participants past their card stage (or failed to join)
    writing_all_done: asyncio.Event = field(default_factory=asyncio.Event)
    joined: int = 0
    acked_cards: dict[str, str] = field(default_factory=dict)  # key -> text
    sent_cards: int = 0
    refused_cards: Counter = field(default_factory=Counter)
    card_ack_times: list[float] = field(default_factory=list)
    first_card_sent: float | None = None
    acked_dots: set[tuple[str, int]] = field(default_factory=set)
    sent_dots: int = 0
    refused_dots: Counter = field(default_factory=Counter)
    saw_voting: int = 0

    @property
    def page(self) -> str:
        return f"/s/{self.code}/"

    def card_stage_over(self) -> None:
        self.writing_done += 1
        if self.writing_done >= self.participants:
            self.writing_all_done.set()


def _retry_wait(response: httpx.Response | None) -> float:
    if response is not None:
        with contextlib.suppress(ValueError):
            seconds = float(response.headers.get("Retry-After", ""))
            if seconds > 0:
                return seconds
    return RETRY_SECONDS


def _retryable(response: httpx.Response | None) -> bool:
    return response is None or response.status_code == 429 or response.status_code >= 500


class Participant:
    def __init__(self, burst: Burst, number: int, tls: ssl.SSLContext) -> None:
        self.burst = burst
        self.number = number
        self.rng = random.Random(burst.seed * 100_000 + number)
        self.client = httpx.AsyncClient(
            base_url=burst.base,
            timeout=REQUEST_TIMEOUT,
            follow_redirects=False,
            trust_env=False,
            verify=tls,
        )
        self.phase = ""
        self.voting = asyncio.Event()

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    async def _with_retries(self, kind: str, method: str, url: str, ok, **kwargs):
        """One request, sent again like the real page after a network error, 429 or 5xx."""
        response = None
        for attempt in range(MAX_RETRIES + 1):
            if attempt:
                await asyncio.sleep(_retry_wait(response))
            response = await self.burst.rec.request(self.client, kind, method, url, **kwargs)
            if not _retryable(response):
                return response, ok(response)
        return response, False

    async def load_page(self) -> bool:
        response, ok = await self._with_retries(
            "page", "GET", self.burst.page, lambda r: r.status_code == 200
        )
        if ok:
            found = PHASE_IN_PAGE.search(response.text)
            self.phase = found.group(1) if found else ""
            if self.phase == "voting" and not self.voting.is_set():
                self.burst.saw_voting += 1
                self.voting.set()
        return ok

    async def join(self) -> bool:
        page = self.burst.page
        _, ok = await self._with_retries(
            "join_form", "GET", page, lambda r: r.status_code == 200 and bool(self.csrf())
        )
        if not ok:
            return False
        _, ok = await self._with_retries(
            "join",
            "POST",
            page,
            lambda r: r.status_code == 302 and "ctg_participant" in self.client.cookies,
            data={"anonymous": "1", "csrfmiddlewaretoken": self.csrf()},
        )
        return ok and await self.load_page()

    async def poll(self) -> None:
        """GET status every 3 s, as htmx does; on HX-Refresh the page reloads."""
        url = f"{self.burst.page}status/"
        next_at = time.monotonic() + POLL_SECONDS
        while True:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += POLL_SECONDS
            response = await self.burst.rec.request(
                self.client, "status", "GET", url, params={"phase": self.phase, "revealed": "0"}
            )
            if response is not None and response.headers.get("HX-Refresh") == "true":
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

        def acknowledged(response: httpx.Response) -> bool:
            if response.status_code not in (200, 201):
                return False
            with contextlib.suppress(ValueError):
                return response.json().get("status") == "received"
            return False

        csrf = self.csrf()
        response, ok = await self._with_retries(
            "statement",
            "POST",
            f"{burst.page}statements/",
            acknowledged,
            data={"text": text, "use": use, "idempotency_key": key, "csrfmiddlewaretoken": csrf},
            headers={"Accept": "application/json", "X-CSRFToken": csrf},
        )
        if ok:
            burst.acked_cards[key] = text
            burst.card_ack_times.append(burst.rec.now())
        else:
            burst.refused_cards[_why(response)] += 1

    async def place_dot(self, category: int) -> None:
        burst = self.burst
        burst.sent_dots += 1
        csrf = self.csrf()
        response, ok = await self._with_retries(
            "dot",
            "POST",
            f"{burst.page}dots/",
            lambda r: r.status_code == 200 and 'role="alert"' not in r.text,
            data={"category": str(category), "action": "place", "csrfmiddlewaretoken": csrf},
            headers={"HX-Request": "true", "X-CSRFToken": csrf},
        )
        if ok:
            burst.acked_dots.add((self.client.cookies.get("ctg_participant", ""), category))
        else:
            burst.refused_dots[_why(response)] += 1

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
                    if burst.voting_switched.is_set():
                        burst.refused_cards["writing time over before it was sent"] += 1
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
            await self.client.aclose()


def _why(response: httpx.Response | None) -> str:
    if response is None:
        return "network error"
    detail = ""
    if "application/json" in response.headers.get("Content-Type", ""):
        with contextlib.suppress(ValueError):
            detail = str(response.json().get("error", ""))
    else:
        found = re.search(r'role="alert"[^>]*>([^<]*)<', response.text)
        detail = found.group(1).strip() if found else ""
    return f"{response.status_code} {detail}".strip()[:120]


async def burst_load(burst: Burst, switch_to_voting) -> dict:
    rec = burst.rec
    rng = random.Random(burst.seed)
    starts = sorted(rng.uniform(0, RAMP_SECONDS) for _ in range(burst.participants))
    tls = ssl.create_default_context()  # one for all clients: none of them uses TLS
    lag = asyncio.create_task(rec.watch_loop_lag())
    people = [Participant(burst, number, tls) for number in range(burst.participants)]
    tasks = [asyncio.create_task(p.run(start)) for p, start in zip(people, starts, strict=True)]
    timings: dict[str, float] = {}
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(burst.writing_all_done.wait(), WRITING_BOUND)
        timings["voting_switch_requested_s"] = rec.now()
        log(
            f"writing over at {rec.now():.1f} s: {len(burst.acked_cards)} cards acknowledged; "
            "switching the session to voting"
        )
        await asyncio.to_thread(switch_to_voting)
        burst.voting_switched.set()
        timings["voting_open_s"] = rec.now()
        done, pending = await asyncio.wait(tasks, timeout=VOTING_BOUND)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                raise task.exception()
        timings["participants_unfinished"] = len(pending)
        timings["end_s"] = rec.now()
    finally:
        lag.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, lag, return_exceptions=True)
    return timings


async def reference_load(base: str, connections: int, seconds: float) -> dict:
    """Closed loop on GET /healthz: each connection sends its next request on each answer."""
    rec = Recorder()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(
        base_url=base, timeout=REQUEST_TIMEOUT, trust_env=False, limits=limits
    ) as client:
        deadline = time.monotonic() + seconds
        ok = 0

        async def worker() -> None:
            nonlocal ok
            while time.monotonic() < deadline:
                response = await rec.request(client, "healthz", "GET", "/healthz")
                if response is not None and response.status_code == 200:
                    ok += 1

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
    rank = max(1, round(fraction * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(samples: list[float]) -> dict:
    ordered = sorted(samples)
    ms = [round(1000 * percentile(ordered, f), 1) for f in (0.5, 0.95, 0.99, 1.0)]
    return dict(zip(("p50_ms", "p95_ms", "p99_ms", "max_ms"), ms, strict=True)) | {
        "count": len(ordered)
    }


def count_results(burst: Burst, stored: dict) -> dict:
    rows = [row for row in stored["statements"]]
    stored_keys = {row["key"] for row in rows}
    stored_texts = Counter(row["text"] for row in rows)
    acked_keys = set(burst.acked_cards)
    stored_pairs = {(row["token"], row["category"]): row["count"] for row in stored["dots"]}
    acked_in_db = sum(1 for pair in burst.acked_dots if pair in stored_pairs)
    status_5xx = sum(
        n for counts in burst.rec.status.values() for code, n in counts.items() if code >= 500
    )
    status_429 = sum(counts.get(429, 0) for counts in burst.rec.status.values())
    return {
        "participants": burst.participants,
        "participants_joined": burst.joined,
        "participants_saw_voting": burst.saw_voting,
        "cards_expected": burst.participants * CARDS,
        "cards_sent": burst.sent_cards,
        "cards_acknowledged": len(acked_keys),
        "cards_stored": len(rows),
        "cards_lost": len(acked_keys - stored_keys),
        "cards_duplicated": sum(n - 1 for n in stored_texts.values()),
        "cards_stored_unacknowledged": len(stored_keys - acked_keys),
        "cards_refused": dict(burst.refused_cards),
        "dots_expected": burst.participants * DOTS,
        "dots_sent": burst.sent_dots,
        "dots_acknowledged": len(burst.acked_dots),
        "dots_stored": stored["dot_total"],
        "dots_lost": len(burst.acked_dots) - acked_in_db,
        "dots_extra": stored["dot_total"] - acked_in_db,
        "dots_refused": dict(burst.refused_dots),
        "responses_5xx": status_5xx,
        "responses_429": status_429,
        "network_errors": sum(burst.rec.network_errors.values()),
    }


def verdicts(counts: dict, latency: dict) -> dict:
    """Each target and whether it was met; `fails_run` marks those that set the exit status."""
    incomplete = (
        counts["cards_expected"]
        - counts["cards_acknowledged"]
        + counts["dots_expected"]
        - counts["dots_acknowledged"]
    )
    checks = {
        "cards_lost": (counts["cards_lost"], 0, True),
        "cards_duplicated": (counts["cards_duplicated"], 0, True),
        "dots_lost": (counts["dots_lost"], 0, True),
        "dots_extra": (counts["dots_extra"], 0, True),
        "responses_5xx": (counts["responses_5xx"], 0, True),
        "unacknowledged_cards_and_dots": (incomplete, 0, True),
        "responses_429": (counts["responses_429"], 0, False),
        "statement_p95_ms": (latency.get("statement", {}).get("p95_ms", 0), P95_TARGET_MS, False),
        "dot_p95_ms": (latency.get("dot", {}).get("p95_ms", 0), P95_TARGET_MS, False),
    }
    out = {}
    for name, (value, target, fails_run) in checks.items():
        met = value < target if name.endswith("_ms") else value <= target
        out[name] = {"value": value, "target": target, "met": met, "fails_run": fails_run}
    return out


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text()
    kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
    model = ""
    with contextlib.suppress(OSError, AttributeError):
        model = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1)
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": round(kib / 1024 / 1024, 1),
        "cpu": model.strip(),
        "python": platform.python_version(),
    }


def table(result: dict) -> str:
    c, v, ref = result["counts"], result["targets"], result["reference"]
    mark = {True: "met", False: "**missed**"}

    def target(name: str, text: str = "0") -> str:
        return f"{text}: {mark[v[name]['met']]}"

    lat = result["latency"]
    sub_p95 = f"< {P95_TARGET_MS:.0f} ms"
    rows = [
        ("participants joined / saw voting", f"{c['participants_joined']} / "
         f"{c['participants_saw_voting']} of {c['participants']}", ""),
        ("cards acknowledged / stored", f"{c['cards_acknowledged']} / {c['cards_stored']} "
         f"of {c['cards_expected']}", target("unacknowledged_cards_and_dots", "all")),
        ("cards lost (acknowledged, not stored)", c["cards_lost"], target("cards_lost")),
        ("cards duplicated (rows beyond one per text)", c["cards_duplicated"],
         target("cards_duplicated")),
        ("dots acknowledged / stored", f"{c['dots_acknowledged']} / {c['dots_stored']} "
         f"of {c['dots_expected']}", ""),
        ("dots lost / extra", f"{c['dots_lost']} / {c['dots_extra']}",
         f"0 / 0: {mark[v['dots_lost']['met'] and v['dots_extra']['met']]}"),
        ("server errors (5xx)", c["responses_5xx"], target("responses_5xx")),
        ("rate-limit refusals (429)", c["responses_429"], target("responses_429")),
        ("network errors (client side)", c["network_errors"], ""),
        ("statements per second, writing phase", result["statements_per_second"], ""),
        (f"bare `GET /healthz`, {ref['connections']} connections, closed loop",
         f"{ref['requests_per_second']} req/s", ""),
        ("statements/s ÷ bare view req/s", f"{result['ratio_pct']} %", ""),
    ]  # fmt: skip
    lines = ["| figure | value | target |", "|---|---:|---|"]
    lines += [f"| {a} | {b} | {t} |" for a, b, t in rows]
    lines += [
        "",
        "| request | count | p50 ms | p95 ms | p99 ms | max ms | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for kind in ("join_form", "join", "page", "statement", "dot", "status", "healthz"):
        s = ref["latency"] if kind == "healthz" else lat.get(kind)
        if not s:
            continue
        goal = ""
        if kind in ("statement", "dot"):
            goal = f"p95 {sub_p95}: {mark[v[kind + '_p95_ms']['met']]}"
        name = "healthz (reference)" if kind == "healthz" else kind
        lines.append(
            f"| {name} | {s['count']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} "
            f"| {s['max_ms']} | {goal} |"
        )
    m, cpu, cpu_ref = result["machine"], result["cpu"]["burst"], result["cpu"]["reference"]
    lines += [
        "",
        f"- Run {result['date']}, {result['duration_s']} s in all; command: `make bench`.",
        f"- Machine: {m['nproc']} cores ({m['cpu'] or 'unknown CPU'}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, PostgreSQL {result['postgres']}, Redis cache (db {REDIS_DB}).",
        f"- Server: `gunicorn ctg_workshops.wsgi {result['gunicorn']}`, DEBUG off, "
        "`CONN_MAX_AGE` 60; the load generator (httpx, asyncio, one process) shares the cores.",
        f"- Writing phase {result['writing_phase_s']} s; peak requests in flight "
        f"{result['peak_in_flight']}; load generator's loop lag p99 "
        f"{result['loop_lag_p99_ms']} ms.",
        f"- CPU during the burst ({cpu['seconds']} s): machine {cpu['machine_busy_pct']} % busy; "
        f"gunicorn {cpu['gunicorn_cpu_s']} s, PostgreSQL {cpu['postgres_cpu_s']} s, "
        f"load generator {cpu['load_generator_cpu_s']} s. During the reference "
        f"({cpu_ref['seconds']} s): machine {cpu_ref['machine_busy_pct']} % busy; gunicorn "
        f"{cpu_ref['gunicorn_cpu_s']} s, PostgreSQL {cpu_ref['postgres_cpu_s']} s, load "
        f"generator {cpu_ref['load_generator_cpu_s']} s.",
    ]
    refused = {**c["cards_refused"], **{f"dot: {k}": n for k, n in c["dots_refused"].items()}}
    if refused:
        lines.append(f"- Refused or given up: {json.dumps(refused, ensure_ascii=False)}.")
    return "\n".join(lines)


def write_doc(text: str) -> None:
    block = f"{DOC_START}\n{text}\n{DOC_END}"
    current = DOC.read_text() if DOC.exists() else "# Performance\n"
    if DOC_START in current and DOC_END in current:
        head, rest = current.split(DOC_START, 1)
        tail = rest.split(DOC_END, 1)[1]
        DOC.write_text(head + block + tail)
    else:
        DOC.write_text(current.rstrip("\n") + "\n\n" + block + "\n")


# --- The run ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=PARTICIPANTS)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 4)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 1)))
    parser.add_argument("--seed", type=int, default=2009)
    parser.add_argument(
        "--no-write", action="store_true", help="print only: leave results and docs alone"
    )
    parser.add_argument(
        "--keep-log", action="store_true", help="copy gunicorn's log to bench/results/tmp/"
    )
    args = parser.parse_args()

    def out_of_time(signum, frame):
        raise TimeoutError(f"the benchmark ran past its bound of {RUN_BOUND} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(RUN_BOUND)
    started = time.monotonic()
    database = f"ctg_bench_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="ctg-bench-"))
    gunicorn = Gunicorn(workers=args.workers, threads=args.threads)
    created = False
    failed_run = False
    try:
        ensure_postgres()
        redis_flush()
        env = server_env(database, str(tmp / "static"))
        log(f"database {database}: create, migrate, scenario")
        run(["createdb", "-h", HOST, "-U", "postgres", database])
        created = True
        run([str(PROJECT_BIN / "python"), "manage.py", "migrate", "--noinput"], env=env)
        setup = scenario(env, "setup")
        run([str(PROJECT_BIN / "python"), "manage.py", "collectstatic", "--noinput"], env=env)
        pg_version = run(
            ["psql", "-h", HOST, "-U", "postgres", "-At", "-c", "show server_version", database]
        ).strip()
        base = gunicorn.start(env, tmp / "gunicorn.log")
        log(f"gunicorn {gunicorn.settings} on {base}; session {setup['code']}")

        burst = Burst(
            base=base,
            code=setup["code"],
            categories=setup["categories"],
            seed=args.seed,
            participants=args.participants,
        )
        log(f"burst: {args.participants} participants over {RAMP_SECONDS:.0f} s")
        cpu_burst = CpuWindow(gunicorn, database)
        cpu_burst.begin()
        timings = asyncio.run(burst_load(burst, lambda: scenario(env, "phase", "voting")))
        cpu_burst.end()

        connections = REFERENCE_CONNECTIONS
        log(f"reference: GET /healthz, {connections} connections, {REFERENCE_SECONDS:.0f} s")
        cpu_ref = CpuWindow(gunicorn, database)
        cpu_ref.begin()
        reference = asyncio.run(reference_load(base, connections, REFERENCE_SECONDS))
        cpu_ref.end()
        stored = scenario(env, "collect")

        counts = count_results(burst, stored)
        latency = {kind: summarise(samples) for kind, samples in burst.rec.latency.items()}
        acks = sorted(burst.card_ack_times)
        writing = (acks[-1] - burst.first_card_sent) if acks else 0.0
        per_second = round(len(acks) / writing, 1) if writing > 0 else 0.0
        result = {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": "make bench",
            "machine": machine(),
            "postgres": pg_version,
            "gunicorn": gunicorn.settings,
            "scenario": {
                "participants": args.participants,
                "ramp_s": RAMP_SECONDS,
                "cards": CARDS,
                "card_think_s": list(CARD_THINK),
                "dots": DOTS,
                "dot_think_s": list(DOT_THINK),
                "poll_s": POLL_SECONDS,
                "max_retries": MAX_RETRIES,
                "seed": args.seed,
            },
            "counts": counts,
            "latency": latency,
            "status": {kind: dict(codes) for kind, codes in burst.rec.status.items()},
            "statements_per_second": per_second,
            "writing_phase_s": round(writing, 1),
            "timings_s": {k: round(v, 1) for k, v in timings.items()},
            "peak_in_flight": burst.rec.peak_in_flight,
            "loop_lag_p99_ms": summarise(burst.rec.loop_lag)["p99_ms"],
            "reference": reference,
            "ratio_pct": round(100 * per_second / reference["requests_per_second"], 1)
            if reference["requests_per_second"]
            else 0.0,
            "cpu": {"burst": cpu_burst.used, "reference": cpu_ref.used},
        }
        result["targets"] = verdicts(counts, latency)
        result["duration_s"] = round(time.monotonic() - started, 1)
        failed_run = any(t["fails_run"] and not t["met"] for t in result["targets"].values())
        result["passed"] = not failed_run

        text = table(result)
        print("\n" + text + "\n")
        if not args.no_write:
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
            write_doc(text)
            log(f"wrote {RESULTS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")
        missed = [name for name, t in result["targets"].items() if not t["met"]]
        if failed_run:
            log(f"FAILED: {', '.join(n for n in missed if result['targets'][n]['fails_run'])}")
        elif missed:
            log(f"passed, but targets missed: {', '.join(missed)}")
        else:
            log("passed: every target met")
        if (failed_run or counts["responses_5xx"] or args.keep_log) and gunicorn.log_path:
            keep = BENCH / "results" / "tmp"
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(gunicorn.log_path, keep / "gunicorn.log")
            log("gunicorn's log is in bench/results/tmp/gunicorn.log")
    finally:
        signal.alarm(0)
        gunicorn.stop()
        if created:
            with contextlib.suppress(Exception):
                run(["dropdb", "-h", HOST, "-U", "postgres", "--force", "--if-exists", database])
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed_run else 0


if __name__ == "__main__":
    sys.exit(main())
