"""`make bench`: a room of phones against a production-like server on this machine.

Each simulated phone does what the participant's page does (templates/responses/*.html,
static/js/participant.js, htmx): it opens `/join/`, types the code, joins anonymously, loads the
page and its static files (once: a browser caches them), polls the session's status every 3 s,
writes three cards, and when its poll sees the move to voting it places four dots. Three
signed-in facilitators watch the session's live board (polled every second); the run measures
how long each acknowledged card takes to appear on each board. Afterwards it counts what was
acknowledged against what the database holds.

The server is as in production: gunicorn behind nginx (a private nginx started here, with
`BEHIND_PROXY=true` in the application's environment), PostgreSQL and Redis. Modes:

- the burst (default 300 participants; `--participants 600`, `1000`);
- `--outage`: the same burst with PostgreSQL stopped for 10 s in the middle of it (a private
  cluster of the benchmark's own, never the machine's);
- `--balanced`: two gunicorns behind one nginx, round robin, sharing PostgreSQL and Redis;
  some cards are sent again with the same key to the other server, and one participant is
  pushed over its per-minute limit with writes alternating between the servers;
- `--summary`: the room at a glance, from the results the other modes wrote.

bench/README.md explains the scenario and the choices; docs/performance.md holds the figures.
`bench/.venv/bin/python bench/burst.py --help` lists the knobs.
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
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from servers import (
    BENCH,
    PROJECT_BIN,
    ROOT,
    CpuMeter,
    Gunicorn,
    Nginx,
    PrivateCluster,
    Reaper,
    SharedPostgres,
    log,
    nginx_binary,
    redis_flush,
    redis_pids,
    run,
    server_env,
)
from yarl import URL

RESULTS_DIR = BENCH / "results"
KEPT_LOG_DIR = BENCH / "results" / "tmp"
DOC = ROOT / "docs" / "performance.md"

# The scenario (bench/README.md explains each number).
PARTICIPANTS = 300
ROOM_SIZE = 300  # participants behind one network address (a room behind one NAT)
RAMP_SECONDS = 20.0
JOIN_THINK = (1.0, 3.0)  # typing the code; pressing "Join anonymously"
CARDS = 3
CARD_THINK = (1.0, 5.0)
DOTS = 4
DOT_THINK = (1.0, 3.0)
POLL_SECONDS = 3.0
REQUEST_TIMEOUT = 15.0  # as participant.js
MAX_RETRIES = 5  # per request, after the first attempt (the bench's bound; see README)
RETRY_SECONDS = 4.0  # without a Retry-After header: participant.js's RETRY_MS
WRITING_BOUND = 100.0  # seconds after the first participant starts: switch to voting anyway
BOARD_SETTLE_BOUND = 10.0  # after the last card: wait at most this for the boards to show it
FACILITATORS = 3  # signed in, each watching the session's live board
BOARD_POLL_SECONDS = 1.0  # the board's feed: data-hx-trigger="every 1s"
VOTING_BOUND = 60.0  # seconds after the switch: stop waiting for dots
REPEAT_EVERY = 10  # --balanced: every 10th card is sent again, to the other server
RUN_BOUND = 330  # seconds for a whole run, set-up and clean-up included
DISTURBED_SHARE = 0.10  # other processes' share during the burst above which it is flagged

# Gunicorn, one flag apart (bench/README.md: "Worker model").
WORKER_MODELS = {"sync": (3, 1), "gthread": (2, 4)}  # workers, threads per worker

# The outage run (--outage): the private PostgreSQL stopped in immediate mode mid-burst.
OUTAGE_AT = 20.0  # seconds after the start: every participant has arrived, cards are flowing
OUTAGE_SECONDS = 10.0  # from the stop command's return to the start command
OUTAGE_MAX_RETRIES = 12  # the real page retries without end; 12 retries at Retry-After 5 s: 60 s

# Targets (docs/performance.md). Those marked in verdicts() set the exit status.
P95_TARGET_MS = 300.0
BOARD_LAG_TARGET_S = 2.0
OUTAGE_FAILURE_TARGET_S = 5.0  # every failure during the outage answers within this
RECOVERY_TARGET_S = 5.0  # the first 2xx after PostgreSQL is back comes within this

PHASE_IN_PAGE = re.compile(r"status/\?phase=(\w+)&amp;revealed=([01])&amp;k=(\w+)")
DOT_URL = re.compile(r'data-hx-post="([^"]*/dots/)"')
CATEGORY_INPUT = re.compile(r'name="category" value="(\d+)"')
LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
SCRIPT_SRC = re.compile(r"<script\b[^>]*?\bsrc=\"([^\"]+)\"", re.IGNORECASE)
BOARD_FEED = re.compile(r'id="board-feed"\s+data-hx-get="([^"]+)"')
CARD_ID = re.compile(r"Card (\d+\.\d+) of the bench")
# In both of DatabaseUnavailableMiddleware's answers: templates/503.html and the card's JSON.
UNAVAILABLE_TEXT = "cannot reach its database"
WORDS = [
    "citizens", "agencies", "trust", "records", "outreach", "policy", "staff", "budget",
    "training", "public", "feedback", "transparency", "emergency", "alerts", "youth",
    "services", "accessibility", "privacy", "archive", "approval",
]  # fmt: skip
# The request kinds, in the order of the tables.
KINDS = [
    "join page", "join code", "join form", "join post", "page", "static", "status", "card",
    "card repeat", "dot", "board", "board feed",
]  # fmt: skip
PAGE_KINDS = ["join page", "join code", "join form", "join post", "page"]


# --- The load -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict
    text: str
    size: int = 0

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
    """Every request's latency and status, by kind (and by stage for pages and polls)."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter] = defaultdict(Counter)
        self.network_errors: Counter = Counter()
        self.refusals_without_retry_after: Counter = Counter()  # 429 and 503 by kind
        self.upstreams: Counter = Counter()  # --balanced: which server answered (X-Upstream)
        self.events: list[Event] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self.loop_lag: list[float] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    async def request(
        self,
        session: aiohttp.ClientSession,
        kind: str,
        method: str,
        url: str,
        *,
        body: str = "text",
        **kwargs,
    ) -> Answer | None:
        """One HTTP request, recorded; `body="bytes"` keeps only the size (static files)."""
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        sent = self.now()
        started = time.perf_counter()
        try:
            async with session.request(method, url, allow_redirects=False, **kwargs) as response:
                raw = await response.read()
                text = raw.decode("utf-8", "replace") if body == "text" else ""
                answer = Answer(response.status, dict(response.headers), text, len(raw))
        except (aiohttp.ClientError, TimeoutError):
            self.network_errors[kind] += 1
            self.events.append(Event(kind, sent, self.now(), None, None))
            return None
        finally:
            self.in_flight -= 1
        self.latency[kind].append(time.perf_counter() - started)
        self.status[kind][answer.status] += 1
        retry_after = answer.headers.get("Retry-After")
        if answer.status in (429, 503) and not retry_after:
            self.refusals_without_retry_after[kind] += 1
        if upstream := answer.headers.get("X-Upstream"):
            self.upstreams[upstream] += 1
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
    room_size: int = ROOM_SIZE
    join_think: tuple[float, float] = JOIN_THINK
    board_path: str = ""  # /workshops/<workshop>/sessions/<session>/board/
    facilitator_cookies: list[dict] = field(default_factory=list)  # one jar per signed-in one
    max_retries: int = MAX_RETRIES
    pins: list[str] = field(default_factory=list)  # --balanced: one base URL per server
    upstream_ports: list[int] = field(default_factory=list)  # --balanced: the servers' ports
    repeat_every: int = 0  # --balanced: every n-th card is sent again to the other server
    rec: Recorder = field(default_factory=Recorder)
    voting_switched: bool = False
    voting_open_at: float | None = None  # run clock: the switch was issued
    writing_done: int = 0  # participants past their card stage (or who failed to join)
    writing_all_done: asyncio.Event = field(default_factory=asyncio.Event)
    joined: int = 0
    join_failures: Counter = field(default_factory=Counter)
    saw_voting: int = 0
    status_reloads: int = 0  # a status answer with HX-Refresh: the page reloads
    status_fragments: int = 0  # a status answer carrying the new page content (no reload)
    status_unexpected: int = 0  # a 200 with neither: the phone reloads to be safe
    acked_cards: dict[str, str] = field(default_factory=dict)  # key -> text
    card_ack_at: dict[str, float] = field(default_factory=dict)  # key -> run clock
    card_ids: dict[str, str] = field(default_factory=dict)  # key -> "007.2"
    sent_card_keys: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # text, use, who
    sent_cards: int = 0
    refused_cards: Counter = field(default_factory=Counter)
    first_card_sent: float | None = None
    repeats: list[dict] = field(default_factory=list)
    acked_dots: set[tuple[str, int]] = field(default_factory=set)
    sent_dots: int = 0
    unconfirmed_dots: set[tuple[str, int]] = field(default_factory=set)  # see place_dot()
    refused_dots: Counter = field(default_factory=Counter)
    static_bytes: int = 0
    static_cache_control: dict[str, str] = field(default_factory=dict)  # url -> header
    boards_watched: int = 0  # facilitators whose board page loaded
    board_opened: dict[int, float] = field(default_factory=dict)
    board_seen: dict[int, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))

    @property
    def page(self) -> str:
        return f"/s/{self.code}/"

    @property
    def stage(self) -> str:
        return "voting" if self.voting_switched else "writing"

    def address_for(self, number: int) -> str:
        """Rooms of `room_size` phones, each behind its own loopback address (its NAT)."""
        return f"127.0.0.{1 + min(253, number // max(1, self.room_size))}"

    def card_stage_over(self) -> None:
        self.writing_done += 1
        if self.writing_done >= self.participants:
            self.writing_all_done.set()

    def upstream_index(self, upstream: str | None) -> int | None:
        with contextlib.suppress(AttributeError, ValueError, IndexError):
            return self.upstream_ports.index(int(upstream.rsplit(":", 1)[1]))
        return None

    def boards_missing(self) -> int:
        """Card-on-board pairs not seen yet (cards acknowledged, boards open)."""
        ids = {self.card_ids[key] for key in self.card_ack_at}
        return sum(len(ids - self.board_seen[i].keys()) for i in self.board_opened)


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


def static_refs(page: str) -> list[str]:
    """The page's stylesheets (`<link rel="stylesheet" href>`) and scripts (`<script src>`)."""
    refs = []
    for tag in LINK_TAG.findall(page):
        rel = re.search(r'\brel="([^"]*)"', tag)
        href = re.search(r'\bhref="([^"]+)"', tag)
        if rel and href and "stylesheet" in rel.group(1).lower().split():
            refs.append(href.group(1))
    refs += SCRIPT_SRC.findall(page)
    same_origin = (html.unescape(r) for r in refs if r.startswith("/") and not r.startswith("//"))
    return list(dict.fromkeys(same_origin))


class Participant:
    """One phone: its own cookie jar, cache and connections; think times from its own RNG."""

    def __init__(self, burst: Burst, number: int) -> None:
        self.burst = burst
        self.number = number
        self.rng = random.Random(burst.seed * 100_000 + number)
        self.origin = URL(burst.base)
        self.address = burst.address_for(number)
        self.session = aiohttp.ClientSession(
            base_url=burst.base,
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # unsafe: accept cookies for an IP
            connector=aiohttp.TCPConnector(limit=6, local_addr=(self.address, 0)),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        )
        self.cache: set[str] = set()  # static files this phone holds
        self.phase = ""
        self.revealed = "0"
        self.status_key = ""  # the page's key for its status polls
        self.dot_url = ""
        self.categories: list[int] = []
        self.voting = asyncio.Event()

    def cookie(self, name: str) -> str:
        morsel = self.session.cookie_jar.filter_cookies(self.origin).get(name)
        return morsel.value if morsel else ""

    async def think(self, bounds: tuple[float, float]) -> None:
        if bounds[1] > 0:
            await asyncio.sleep(self.rng.uniform(*bounds))

    async def _with_retries(self, kind: str, method: str, url: str, ok, **kwargs):
        """One request, sent again after a network error, 429 or 5xx, after Retry-After."""
        answer = None
        for attempt in range(self.burst.max_retries + 1):
            if attempt:
                await asyncio.sleep(_retry_wait(answer))
            answer = await self.burst.rec.request(self.session, kind, method, url, **kwargs)
            if not _retryable(answer):
                return answer, ok(answer)
        return answer, False

    async def static_files(self, page: str) -> None:
        """Fetch what the page references and this phone has not cached, in parallel."""
        wanted = [url for url in static_refs(page) if url not in self.cache]
        self.cache.update(wanted)
        await asyncio.gather(*(self._static(url) for url in wanted))

    async def _static(self, url: str) -> None:
        burst = self.burst
        answer = await burst.rec.request(
            self.session,
            "static",
            "GET",
            url,
            body="bytes",
            headers={"Accept-Encoding": "gzip, deflate, br"},
            auto_decompress=False,
        )
        if answer is None or answer.status != 200:
            self.cache.discard(url)  # not cached: the next page asks again
            return
        burst.static_bytes += answer.size
        burst.static_cache_control.setdefault(url, answer.headers.get("Cache-Control", ""))

    def read_page(self, text: str) -> bool:
        """What the page (or a status fragment) says: phase, poll key, dot form, categories."""
        found = PHASE_IN_PAGE.search(text)
        if found:
            self.phase, self.revealed, self.status_key = found.groups()
        if dots := DOT_URL.search(text):
            self.dot_url = html.unescape(dots.group(1))
        if categories := CATEGORY_INPUT.findall(text):
            self.categories = list(dict.fromkeys(int(c) for c in categories))
        if self.phase == "voting" and not self.voting.is_set():
            self.burst.saw_voting += 1
            self.voting.set()
        return found is not None

    async def load_page(self, url: str | None = None) -> bool:
        answer, ok = await self._with_retries(
            f"page ({self.burst.stage})", "GET", url or self.burst.page, lambda a: a.status == 200
        )
        if ok:
            self.read_page(answer.text)
            await self.static_files(answer.text)
        return ok

    def _failed(self, step: str, answer: Answer | None) -> bool:
        self.burst.join_failures[f"{step}: {_why(answer)}"] += 1
        return False

    async def join(self) -> bool:
        """/join/, the code, the join form, "Join anonymously", the page: as a person does."""
        burst = self.burst
        answer, ok = await self._with_retries(
            "join page", "GET", "/join/", lambda a: a.status == 200
        )
        if not ok:
            return self._failed("join page", answer)
        await self.static_files(answer.text)
        await self.think(burst.join_think)
        answer, ok = await self._with_retries(
            "join code", "GET", "/join/", lambda a: a.status == 302, params={"code": burst.code}
        )
        if not ok:
            return self._failed("join code", answer)
        answer, ok = await self._with_retries(
            "join form",
            "GET",
            answer.headers.get("Location", burst.page),
            lambda a: a.status == 200 and bool(self.cookie("csrftoken")),
        )
        if not ok:
            return self._failed("join form", answer)
        await self.static_files(answer.text)
        await self.think(burst.join_think)
        answer, ok = await self._with_retries(
            "join post",
            "POST",
            burst.page,
            lambda a: a.status == 302 and bool(self.cookie("ctg_participant")),
            data={"anonymous": "1", "csrfmiddlewaretoken": self.cookie("csrftoken")},
        )
        if not ok:
            return self._failed("join post", answer)
        if not await self.load_page(answer.headers.get("Location", burst.page)):
            return self._failed("page", None)
        return True

    async def poll(self) -> None:
        """GET status every 3 s, as htmx does (no retry: the next poll comes anyway).

        204: unchanged. A 200 with `HX-Refresh: true` reloads the page. A 200 without it
        carries the page's new content, with the next poll URL in it: read it, reload nothing.
        """
        burst = self.burst
        url = f"{burst.page}status/"
        next_at = time.monotonic() + POLL_SECONDS
        while True:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += POLL_SECONDS
            answer = await burst.rec.request(
                self.session,
                f"status ({burst.stage})",
                "GET",
                url,
                params={"phase": self.phase, "revealed": self.revealed, "k": self.status_key},
                headers={"HX-Request": "true"},
            )
            if answer is None or answer.status != 200:
                continue
            if answer.headers.get("HX-Refresh") == "true":
                burst.status_reloads += 1
                await self.load_page()
            elif self.read_page(answer.text):
                burst.status_fragments += 1
            else:
                burst.status_unexpected += 1
                await self.load_page()

    async def send_card(self, number: int) -> None:
        burst = self.burst
        key = str(uuid.uuid4())
        words = " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(6, 18)))
        card_id = f"{self.number:03d}.{number}"
        text = f"Card {card_id} of the bench: {words}."
        use = self.rng.choice(["", "E", "I"])
        if burst.first_card_sent is None:
            burst.first_card_sent = burst.rec.now()
        burst.sent_cards += 1
        burst.sent_card_keys[key] = (text, use, self.cookie("ctg_participant"))
        burst.card_ids[key] = card_id
        csrf = self.cookie("csrftoken")
        data = {"text": text, "use": use, "idempotency_key": key, "csrfmiddlewaretoken": csrf}
        headers = {"Accept": "application/json", "X-CSRFToken": csrf}
        answer, ok = await self._with_retries(
            "card",
            "POST",
            f"{burst.page}statements/",
            lambda a: a.status in (200, 201) and a.json().get("status") == "received",
            data=data,
            headers=headers,
        )
        if not ok:
            burst.refused_cards[_why(answer)] += 1
            return
        burst.acked_cards[key] = text
        burst.card_ack_at[key] = burst.rec.now()
        if burst.repeat_every and (self.number * CARDS + number) % burst.repeat_every == 0:
            await self.repeat_card(answer, data, headers)

    async def repeat_card(self, first: Answer, data: dict, headers: dict) -> None:
        """The same card, same key, again, to the server that did not answer the first time."""
        burst = self.burst
        served = burst.upstream_index(first.headers.get("X-Upstream"))
        other = 1 if served == 0 else 0
        answer, ok = await self._with_retries(
            "card repeat",
            "POST",
            f"{burst.pins[other]}{burst.page}statements/",
            lambda a: a.status in (200, 201) and a.json().get("status") == "received",
            data=data,
            headers=headers,
        )
        burst.repeats.append(
            {
                "first_server": served,
                "second_server": other,
                "status": answer.status if answer else None,
                "created": answer.json().get("created") if answer else None,
                "acknowledged": ok,
            }
        )

    async def place_dot(self, category: int) -> None:
        """A tap on "Place a dot". After an error the person taps again (same key) once the
        Retry-After has passed; htmx itself never resends.

        A tap that ends without a definitive answer (its retries used up on 503s or timeouts,
        or stopped at the voting bound while a request was on its way) is *unconfirmed*: the
        server may or may not hold the dot, and a person would still be tapping. A dot stored
        for such a tap is counted apart, not as an extra one.
        """
        burst = self.burst
        burst.sent_dots += 1
        csrf = self.cookie("csrftoken")
        pair = (self.cookie("ctg_participant"), category)
        try:
            answer, ok = await self._with_retries(
                "dot",
                "POST",
                self.dot_url or f"{burst.page}dots/",
                lambda a: a.status == 200 and 'role="alert"' not in a.text,
                data={
                    "category": str(category),
                    "action": "place",
                    "key": str(uuid.uuid4()),
                    "csrfmiddlewaretoken": csrf,
                },
                headers={"HX-Request": "true", "X-CSRFToken": csrf},
            )
        except asyncio.CancelledError:
            burst.unconfirmed_dots.add(pair)
            raise
        if ok:
            burst.acked_dots.add(pair)
            return
        burst.refused_dots[_why(answer)] += 1
        if _retryable(answer):
            burst.unconfirmed_dots.add(pair)

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
                    await self.think(CARD_THINK)
                    if burst.voting_switched:
                        burst.refused_cards["not sent: writing time was over"] += 1
                        continue
                    await self.send_card(number)
            burst.card_stage_over()
            card_stage_over = True
            if poller is None:
                return
            await self.voting.wait()
            categories = self.categories or burst.categories
            for category in self.rng.sample(categories, min(DOTS, len(categories))):
                await self.think(DOT_THINK)
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
    """A signed-in facilitator's browser on the live board, as the template and htmx run it.

    The board page carries `#board-feed` with `data-hx-get=".../board/feed/?v=<version>"` and
    `data-hx-trigger="every 1s"`: a 204 leaves it as it is, a 200 brings new content (with the
    next feed URL in its own `data-hx-get`), and the next poll comes a second after the answer.
    A poll slower than a second delays the next one (htmx queues one request per element).
    Errors leave the element, and its URL, in place. Every card text in every 200 (and in the
    page) is noted with the moment it was first seen: the board lag.
    """

    def __init__(self, burst: Burst, index: int, cookies: dict) -> None:
        self.burst = burst
        self.index = index
        self.session = aiohttp.ClientSession(
            base_url=burst.base,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(limit=6),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        )
        self.session.cookie_jar.update_cookies(cookies, URL(burst.base))

    def scan(self, text: str) -> None:
        now = self.burst.rec.now()
        seen = self.burst.board_seen[self.index]
        for card_id in CARD_ID.findall(text):
            seen.setdefault(card_id, now)

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
                self.scan(answer.text)
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
            burst.board_opened[self.index] = burst.rec.now()
            next_at = time.monotonic() + BOARD_POLL_SECONDS
            while True:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                answer = await burst.rec.request(
                    self.session, f"board feed ({burst.stage})", "GET", feed, headers=headers
                )
                if answer is not None and answer.status == 200:
                    self.scan(answer.text)
                    found = BOARD_FEED.search(answer.text)
                    if found:
                        feed = html.unescape(found.group(1))
                    next_at = time.monotonic() + BOARD_POLL_SECONDS
                else:
                    next_at = max(next_at + BOARD_POLL_SECONDS, time.monotonic())
        finally:
            await self.session.close()


async def postgres_outage(rec: Recorder, info: dict, cluster: PrivateCluster) -> None:
    """At OUTAGE_AT, stop the run's own PostgreSQL (immediate); OUTAGE_SECONDS later, start it.

    The start is in a `finally`, so it happens even when the run is cancelled or times out
    meanwhile; if the process is killed outright, the reaper removes the whole cluster.
    """
    await asyncio.sleep(max(0.0, OUTAGE_AT - rec.now()))
    log(f"outage: stopping PostgreSQL (immediate mode) for {OUTAGE_SECONDS:.0f} s")
    info["stop_issued_s"] = rec.now()
    try:
        await asyncio.to_thread(cluster.stop_immediately)
        info["stopped_s"] = rec.now()
        await asyncio.sleep(OUTAGE_SECONDS)
    finally:
        info["start_issued_s"] = rec.now()
        ready = await asyncio.to_thread(cluster.start)
        info["ready_s"] = ready - rec.t0
        info["start_returned_s"] = rec.now()
        log(f"outage: PostgreSQL accepts connections again at {info['ready_s']:.1f} s")


async def board_settle(burst: Burst) -> float:
    """Wait (bounded) until every open board has shown every acknowledged card."""
    deadline = time.monotonic() + BOARD_SETTLE_BOUND
    started = burst.rec.now()
    while burst.board_opened and burst.boards_missing() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return burst.rec.now() - started


async def burst_load(
    burst: Burst,
    switch_to_voting,
    marks: dict,
    meter: CpuMeter,
    outage: dict | None = None,
    cluster: PrivateCluster | None = None,
) -> dict:
    rec = burst.rec
    rng = random.Random(burst.seed)
    starts = sorted(rng.uniform(0, RAMP_SECONDS) for _ in range(burst.participants))
    lag = asyncio.create_task(rec.watch_loop_lag())
    people = [Participant(burst, number) for number in range(burst.participants)]
    tasks = [asyncio.create_task(p.run(start)) for p, start in zip(people, starts, strict=True)]
    watchers = [
        asyncio.create_task(Facilitator(burst, index, cookies).run())
        for index, cookies in enumerate(burst.facilitator_cookies)
    ]
    helpers = [lag, *watchers]
    if outage is not None:
        outage_task = asyncio.create_task(postgres_outage(rec, outage, cluster))
        helpers.append(outage_task)
    timings: dict[str, float] = {}
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(burst.writing_all_done.wait(), WRITING_BOUND)
        if outage is not None:
            await outage_task  # PostgreSQL is back before the session moves on
        timings["writing_over_s"] = rec.now()
        timings["board_settle_s"] = await board_settle(burst)
        log(
            f"writing over at {timings['writing_over_s']:.1f} s: {len(burst.acked_cards)} cards "
            f"acknowledged; boards settled in {timings['board_settle_s']:.1f} s; switching the "
            "session to voting"
        )
        marks["writing"] = meter.mark()
        burst.voting_open_at = rec.now()
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


async def rate_limit_check(burst: Burst, limit: int) -> dict:
    """One participant over its per-minute write limit, its writes alternating A, B, A, B...

    The writes are `POST /s/<code>/profile/` (each one counts against the participant's limit
    and leaves the cards and dots alone). If the servers counted apart, each would have seen
    only half of them and none would refuse; counted together in Redis, write `limit + 1` is
    the first 429. The check starts at the beginning of a minute window if fewer than 15 s are
    left in the current one (the limit is a fixed window).
    """
    rec = Recorder()  # its own: the 429 it looks for is not one of the room's
    kind = "rate-limit check"
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
    ) as session:
        origin = URL(burst.pins[0])

        def cookie(name: str) -> str:
            morsel = session.cookie_jar.filter_cookies(origin).get(name)
            return morsel.value if morsel else ""

        page = f"{burst.pins[0]}{burst.page}"
        await rec.request(session, kind, "GET", page)
        csrf = cookie("csrftoken")
        await rec.request(
            session, kind, "POST", page, data={"anonymous": "1", "csrfmiddlewaretoken": csrf}
        )
        if not cookie("ctg_participant"):
            return {"limit": limit, "error": "the check's participant could not join"}
        left = 60 - time.time() % 60
        if left < 15:
            await asyncio.sleep(left + 0.5)
        answers = []
        for number in range(limit + 1):
            server = number % 2
            answer = await rec.request(
                session,
                kind,
                "POST",
                f"{burst.pins[server]}{burst.page}profile/",
                data={"csrfmiddlewaretoken": csrf},
                # JSON, as the page's script asks: a refusal is then a 429 (a plain form post
                # would get a redirect back to the page with the message).
                headers={"Accept": "application/json", "X-CSRFToken": csrf},
            )
            answers.append((server, answer.status if answer else None))
    first_429 = next((n + 1 for n, (_, status) in enumerate(answers) if status == 429), None)
    by_server = {
        "AB"[server]: dict(Counter(str(status) for s, status in answers if s == server))
        for server in (0, 1)
    }
    return {
        "latency": latency_by_kind(rec),
        "limit": limit,
        "writes": len(answers),
        "first_429_at_write": first_429,
        "answers_by_server": by_server,
        "counted_across_servers": first_429 == limit + 1,
    }


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


def summarise(samples: list[float], unit: float = 1000.0, suffix: str = "ms") -> dict:
    ordered = sorted(samples)
    values = [round(unit * percentile(ordered, f), 1) for f in (0.5, 0.95, 0.99, 1.0)]
    names = (f"p50_{suffix}", f"p95_{suffix}", f"p99_{suffix}", f"max_{suffix}")
    return {"count": len(ordered), **dict(zip(names, values, strict=True))}


def latency_by_kind(rec: Recorder) -> dict:
    """Per request kind, with its refusals; pages, polls and the feed also split by stage."""
    latency: dict[str, list[float]] = defaultdict(list)
    status: dict[str, Counter] = defaultdict(Counter)
    errors: Counter = Counter()
    bare: Counter = Counter()
    kinds = set(rec.latency) | set(rec.status) | set(rec.network_errors)
    for kind in kinds:
        for name in {kind, kind.split(" (")[0]}:
            latency[name] += rec.latency.get(kind, [])
            status[name] += rec.status.get(kind, Counter())
            errors[name] += rec.network_errors.get(kind, 0)
            bare[name] += rec.refusals_without_retry_after.get(kind, 0)
    out = {}
    for name in sorted(latency):
        codes = status[name]
        out[name] = {
            **summarise(latency[name]),
            "responses_429": codes.get(429, 0),
            "responses_503": codes.get(503, 0),
            "responses_5xx_other": sum(n for c, n in codes.items() if c >= 500 and c != 503),
            "no_answer": errors[name],
            "refusals_without_retry_after": bare[name],
        }
    return out


def card_integrity(acked: dict, sent: dict, rows: list[dict]) -> dict:
    """Acknowledged cards against the stored rows (bench/sqlite_writers.py uses it too).

    *Lost*: an acknowledged key with no row. *Duplicated*: rows beyond one per card text (every
    text sent is unique) or per key. *Half-stored*: a row whose key was never sent, or whose
    text, mark or participant differs from what was sent with that key.
    """
    stored_keys = Counter(row["key"] for row in rows)
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
        "cards_lost": len(acked_keys - stored_keys.keys()),
        "cards_duplicated": max(
            sum(n - 1 for n in stored_texts.values()), sum(n - 1 for n in stored_keys.values())
        ),
        "cards_half_stored": half,
        "cards_stored_unacknowledged": len(stored_keys.keys() - acked_keys),
    }


def dot_integrity(acked: set, rows: list[dict], total: int, limit: int, unconfirmed: set) -> dict:
    """Acknowledged (participant, category) pairs against the stored Dot rows.

    *Lost*: acknowledged, not stored. *Extra*: stored, but neither acknowledged nor left
    unconfirmed (a tap whose outcome the phone never learnt: see `Participant.place_dot`); the
    unconfirmed ones that were stored are counted apart. No stacking in the scenario: a row's
    count above 1 is a dot placed twice; a participant whose rows add up to more than the
    session's dots is over its limit.
    """
    stored = {(row["token"], row["category"]) for row in rows}
    per_participant: Counter = Counter()
    for row in rows:
        per_participant[row["token"]] += row["count"]
    acked_in_db = len(acked & stored)
    unconfirmed_stored = len((stored & unconfirmed) - acked)
    return {
        "dots_acknowledged": len(acked),
        "dots_stored": total,
        "dots_lost": len(acked) - acked_in_db,
        "dots_extra": total - acked_in_db - unconfirmed_stored,
        "dots_stored_unconfirmed": unconfirmed_stored,
        "dots_duplicated": sum(row["count"] - 1 for row in rows if row["count"] > 1),
        "participants_over_dot_limit": sum(1 for n in per_participant.values() if n > limit),
    }


def board_lag(burst: Burst) -> dict:
    """For each acknowledged card and each open board: acknowledgement to first sight.

    A card the board showed before the phone had its answer counts as 0 s. Only cards
    acknowledged before the switch to voting count (in voting the board shows tallies).
    """
    lags = []
    never = 0
    switch = burst.voting_open_at if burst.voting_open_at is not None else math.inf
    before_switch = {k: t for k, t in burst.card_ack_at.items() if t < switch}
    for key, acked_at in before_switch.items():
        card_id = burst.card_ids[key]
        for index in burst.board_opened:
            seen = burst.board_seen[index].get(card_id)
            if seen is None:
                never += 1
            else:
                lags.append(max(0.0, seen - acked_at))
    return {
        "boards": len(burst.board_opened),
        "pairs": len(before_switch) * len(burst.board_opened),
        **summarise(lags, unit=1.0, suffix="s"),
        "never_seen": never,
    }


def count_results(burst: Burst, stored: dict) -> dict:
    statuses = [(code, n) for counts in burst.rec.status.values() for code, n in counts.items()]
    repeats = burst.repeats
    return {
        **card_integrity(burst.acked_cards, burst.sent_card_keys, stored["statements"]),
        **dot_integrity(
            burst.acked_dots, stored["dots"], stored["dot_total"], DOTS, burst.unconfirmed_dots
        ),
        "participants": burst.participants,
        "participants_joined": burst.joined,
        "participants_stored": stored["participants"],
        "participants_saw_voting": burst.saw_voting,
        "join_failures": dict(burst.join_failures),
        "cards_expected": burst.participants * CARDS,
        "cards_sent": burst.sent_cards,
        "cards_refused": dict(burst.refused_cards),
        "card_repeats": len(repeats),
        "card_repeats_acknowledged": sum(1 for r in repeats if r["acknowledged"]),
        "card_repeats_answered_existing": sum(
            1 for r in repeats if r["acknowledged"] and r["created"] is False
        ),
        "card_repeats_created": sum(1 for r in repeats if r["created"] is True),
        "card_repeats_by_server": dict(
            Counter(f"{'AB'[r['first_server'] or 0]}->{'AB'[r['second_server']]}" for r in repeats)
        ),
        "dots_expected": burst.participants * DOTS,
        "dots_sent": burst.sent_dots,
        "dots_refused": dict(burst.refused_dots),
        "status_reloads": burst.status_reloads,
        "status_fragments": burst.status_fragments,
        "status_unexpected": burst.status_unexpected,
        "static_files": len(burst.static_cache_control),
        "static_bytes_per_phone": round(burst.static_bytes / max(1, burst.joined)),
        "static_cache_control": sorted(set(burst.static_cache_control.values())),
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
        "responses_503": sum(n for code, n in statuses if code == 503),
        "responses_5xx_not_503": sum(n for code, n in statuses if code >= 500 and code != 503),
        "responses_429": sum(n for code, n in statuses if code == 429),
        "refusals_without_retry_after": sum(burst.rec.refusals_without_retry_after.values()),
        "retry_after_values": dict(
            sorted(
                Counter(
                    f"{e.status} with Retry-After {e.retry_after or 'none'}"
                    for e in burst.rec.events
                    if e.status in (429, 503)
                ).items()
            )
        ),
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
    first_card = next((e for e in events if e.end >= back and e.kind == "card" and is_2xx(e)), None)
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


def _integrity_checks(counts: dict) -> dict:
    """Properties of the code: they fail the run at every size and in every mode."""
    return {
        "cards_lost": (counts["cards_lost"], 0, True),
        "cards_duplicated": (counts["cards_duplicated"], 0, True),
        "cards_half_stored": (counts["cards_half_stored"], 0, True),
        "dots_lost": (counts["dots_lost"], 0, True),
        "dots_extra": (counts["dots_extra"], 0, True),
        "dots_duplicated": (counts["dots_duplicated"], 0, True),
        "participants_over_dot_limit": (counts["participants_over_dot_limit"], 0, True),
    }


def _unacknowledged(counts: dict) -> int:
    return (
        counts["cards_expected"]
        - counts["cards_acknowledged"]
        + counts["dots_expected"]
        - counts["dots_acknowledged"]
    )


def verdicts(counts: dict, latency: dict, lag: dict, *, room: bool, balanced: dict | None) -> dict:
    """Each target and whether it was met; `fails_run` marks those that set the exit status.

    `room`: the run is the 300-participant room the targets are set for; above it only the
    integrity of acknowledged writes fails a run, and the rest is reported.
    """
    checks = _integrity_checks(counts)
    checks.update(
        {
            "responses_5xx": (counts["responses_5xx"], 0, room),
            "unacknowledged_cards_and_dots": (_unacknowledged(counts), 0, room),
            "board_cards_never_seen": (lag["never_seen"], 0, room),
            "responses_429": (counts["responses_429"], 0, False),
            "refusals_without_retry_after": (counts["refusals_without_retry_after"], 0, False),
            "board_lag_p95_s": (lag["p95_s"], BOARD_LAG_TARGET_S, False),
        }
    )
    if not room:
        checks["responses_5xx_not_503"] = (counts["responses_5xx_not_503"], 0, False)
    for kind in ["card", "dot", *PAGE_KINDS]:
        if kind in latency:
            checks[f"{kind.replace(' ', '_')}_p95_ms"] = (
                latency[kind]["p95_ms"],
                P95_TARGET_MS,
                False,
            )
    if balanced is not None:
        checks["card_repeats_created"] = (counts["card_repeats_created"], 0, True)
        check = balanced.get("rate_limit", {})
        checks["rate_limit_counted_across_servers"] = (
            0 if check.get("counted_across_servers") else 1,
            0,
            True,
        )
    return judge(checks)


def judge(checks: dict) -> dict:
    """{name: (value, target, fails_run)} -> verdicts.

    Latencies (`_ms`) must stay below their target; the board lag (`_s`) and every count at
    or below it.
    """
    out = {}
    for name, (value, target, fails_run) in checks.items():
        if value is None:  # never happened (no success after an outage): missed
            met = False
        elif name.endswith("_ms") or (name.endswith("_s") and not name.startswith("board_lag")):
            met = value < target
        else:
            met = value <= target
        out[name] = {"value": value, "target": target, "met": met, "fails_run": fails_run}
    return out


def outage_verdicts(counts: dict, outage: dict) -> dict:
    """Integrity and 5xx outside the outage fail the run; the timings are reported."""
    checks = _integrity_checks(counts)
    checks.update(
        {
            "responses_5xx_outside_outage": (outage["responses_5xx_outside_outage"], 0, True),
            "unacknowledged_cards_and_dots": (_unacknowledged(counts), 0, True),
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
    return judge(checks)


def machine() -> dict:
    kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": round(kib / 1024 / 1024, 1),
        "cpu": found.group(1).strip() if found else "",
        "python": platform.python_version(),
    }


def server_cpu(cpu: dict, participants: int) -> dict:
    """gunicorn + PostgreSQL + Redis CPU of one stage, in all and per participant."""
    server = sum(cpu.get(f"{p}_cpu_s", 0.0) for p in ("gunicorn", "postgres", "redis"))
    return {
        "server_cpu_s": round(server, 2),
        "server_cpu_ms_per_participant": round(1000 * server / max(1, participants), 1),
        "nginx_cpu_s": cpu.get("nginx_cpu_s", 0.0),
    }


# --- Tables -------------------------------------------------------------------------------


def _met(targets: dict, *names: str) -> str:
    chosen = [targets[n]["met"] for n in names if n in targets]
    return "met" if all(chosen) else "**missed**"


def _listing(counts: dict) -> str:
    return ", ".join(f"{k}: {n}" for k, n in counts.items()) or "none"


def request_table(result: dict) -> list[str]:
    lat, targets = result["latency"], result["targets"]
    lines = [
        "| request | count | p50 ms | p95 ms | p99 ms | max ms | 429 | 503 | other 5xx "
        "| no answer | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    names = []
    for kind in KINDS:
        names.append(kind)
        names += sorted(k for k in lat if k.startswith(f"{kind} ("))
    for name in names:
        s = lat.get(name)
        if not s:
            continue
        check = targets.get(f"{name.replace(' ', '_')}_p95_ms")
        target = ""
        if check and result.get("room"):
            target = f"p95 < {P95_TARGET_MS:.0f}: " + ("met" if check["met"] else "**missed**")
        label = name.replace(" (", " — in ").rstrip(")") if " (" in name else name
        lines.append(
            f"| {label} | {s['count']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | "
            f"{s['max_ms']} | {s['responses_429']} | {s['responses_503']} | "
            f"{s['responses_5xx_other']} | {s['no_answer']} | {target} |"
        )
    return lines


def cpu_lines(result: dict) -> list[str]:
    lines = []
    for stage, cpu in result["cpu"].items():
        parties = ", ".join(
            f"{k.removesuffix('_cpu_s').replace('_', ' ')} {v:.1f}"
            for k, v in cpu.items()
            if k.endswith("_cpu_s")
        )
        lines.append(
            f"- CPU, {stage} ({cpu['seconds']:.1f} s): machine {cpu['machine_busy_pct']} % busy;"
            f" CPU seconds: {parties}."
        )
    return lines


def table(result: dict) -> str:
    c, v, lag = result["counts"], result["targets"], result["board_lag"]
    per = result["server_cpu"]
    rows = [
        ("participants joined / saw voting",
         f"{c['participants_joined']} / {c['participants_saw_voting']} of {c['participants']}",
         ""),
        ("cards acknowledged / stored (of which never acknowledged)",
         f"{c['cards_acknowledged']} / {c['cards_stored']} ({c['cards_stored_unacknowledged']}) "
         f"of {c['cards_expected']}",
         f"all acknowledged: {_met(v, 'unacknowledged_cards_and_dots')}"),
        ("cards lost / duplicated / half-stored",
         f"{c['cards_lost']} / {c['cards_duplicated']} / {c['cards_half_stored']}",
         f"0 / 0 / 0: {_met(v, 'cards_lost', 'cards_duplicated', 'cards_half_stored')}"),
        ("dots acknowledged / stored (of which for taps left without an answer)",
         f"{c['dots_acknowledged']} / {c['dots_stored']} ({c['dots_stored_unconfirmed']}) "
         f"of {c['dots_expected']}", ""),
        ("dots lost / extra / placed twice / participants over their 4",
         f"{c['dots_lost']} / {c['dots_extra']} / {c['dots_duplicated']} / "
         f"{c['participants_over_dot_limit']}",
         "0 / 0 / 0 / 0: " + _met(v, "dots_lost", "dots_extra", "dots_duplicated",
                                  "participants_over_dot_limit")),
        ("server errors (5xx), of which 503", f"{c['responses_5xx']}, {c['responses_503']}",
         f"0: {_met(v, 'responses_5xx')}" if result.get("room")
         else f"only 503: {_met(v, 'responses_5xx_not_503')}"),
        ("429 and 503 without Retry-After", c["refusals_without_retry_after"],
         f"0: {_met(v, 'refusals_without_retry_after')}"),
        ("rate-limit refusals (429)", c["responses_429"], f"0: {_met(v, 'responses_429')}"),
        ("network errors and timeouts (client side)", c["network_errors"], ""),
        ("board lag p50 / p95 / max (card acknowledged → on each board)",
         f"{lag['p50_s']} / {lag['p95_s']} / {lag['max_s']} s",
         f"p95 ≤ {BOARD_LAG_TARGET_S:.0f} s: {_met(v, 'board_lag_p95_s')}"),
        ("card-on-board pairs never seen",
         f"{lag['never_seen']} of {lag['pairs']} ({lag['boards']} boards)",
         f"0: {_met(v, 'board_cards_never_seen')}"),
        ("server CPU per participant (gunicorn + PostgreSQL + Redis): writing / voting / all",
         f"{per['writing']['server_cpu_ms_per_participant']} / "
         f"{per['voting']['server_cpu_ms_per_participant']} / "
         f"{per['all']['server_cpu_ms_per_participant']} ms", ""),
        ("status answers: reloads (HX-Refresh) / new content / neither",
         f"{c['status_reloads']} / {c['status_fragments']} / {c['status_unexpected']}", ""),
        ("board feed answers: 200 (changed) / 204 (unchanged)",
         f"{c['board_feed_status'].get(200, 0)} / {c['board_feed_status'].get(204, 0)}", ""),
    ]  # fmt: skip
    if result.get("balanced"):
        bal = result["balanced"]
        check = bal.get("rate_limit", {})
        rows += [
            ("cards sent again to the other server (same key): acknowledged / answered as "
             "already stored / stored again",
             f"{c['card_repeats_acknowledged']} / {c['card_repeats_answered_existing']} / "
             f"{c['card_repeats_created']} of {c['card_repeats']}",
             f"0 stored again: {_met(v, 'card_repeats_created')}"),
            ("requests answered by server A / B (round robin)",
             " / ".join(str(n) for n in bal["requests_by_server"].values()), ""),
            (f"one participant's writes alternating A, B (limit {check.get('limit')} a minute):"
             " first 429 at write",
             f"{check.get('first_429_at_write') or 'none'} (answers: "
             + "; ".join(
                 f"{server}: " + ", ".join(f"{n} × {code}" for code, n in codes.items())
                 for server, codes in check.get("answers_by_server", {}).items()
             )
             + ")",
             f"{(check.get('limit') or 0) + 1}: "
             f"{_met(v, 'rate_limit_counted_across_servers')}"),
        ]  # fmt: skip
    lines = []
    if result["disturbed"]:
        lines += [
            f"**Disturbed run:** other processes used "
            f"{100 * result['other_processes_share_during_burst']:.0f} % of the machine during "
            "the burst; the latencies measure the neighbours as much as the product.",
            "",
        ]
    lines += ["| figure | value | target |", "|---|---:|---|"]
    lines += [f"| {a} | {b} | {t} |" for a, b, t in rows]
    lines += ["", *request_table(result), ""]
    lines += notes(result)
    return "\n".join(lines)


def notes(result: dict) -> list[str]:
    c, s, t = result["counts"], result["scenario"], result["timings_s"]
    box = result["machine"]
    limits = result.get("server_settings", {})
    shed = limits.get("shed_queue_ms")
    lines = [
        f"- Run {result['date']}, {result['duration_s']} s in all; command: `make bench` "
        f"(`{result['command']}`).",
        f"- Machine: {box['nproc']} cores ({box['cpu']}), {box['memory_gib']} GiB, Python "
        f"{box['python']}, PostgreSQL {result['postgres']} ({result['postgres_cluster']}), "
        "Redis (cache db 13).",
        f"- Server: {result['topology']}; `gunicorn ctg_workshops.wsgi {result['gunicorn']}`, "
        "DEBUG off, `CONN_MAX_AGE` 60"
        + (f", `SHED_QUEUE_MS` {shed}" if shed is not None else ", no `SHED_QUEUE_MS` setting")
        + ("" if limits.get("behind_proxy") else " (no proxy: nothing stamps X-Request-Start)")
        + "; on the same two cores as the load generator (aiohttp, one process).",
        f"- {s['participants']} phones in rooms of {s['room_size']} (one network address per "
        f"room), arriving over {s['ramp_s']:.0f} s; {c['static_files']} static files fetched "
        f"once per phone ({c['static_bytes_per_phone']:,} bytes as sent; Cache-Control: "
        f"{'; '.join(c['static_cache_control']) or 'none'}).",
        f"- Timeline: writing from {result['first_card_s']} s to {t['writing_over_s']} s, "
        f"boards settled {t['board_settle_s']} s later, voting open at {t['voting_open_s']} s, "
        f"last dot at {t['end_s']} s ({t['participants_unfinished']} unfinished); peak requests "
        f"in flight {result['peak_in_flight']}; the load generator's event-loop lag p99 "
        f"{result['loop_lag_p99_ms']} ms.",
        f"- Other processes used {100 * result['before_start']['other_processes_share']:.0f} % of "
        f"the machine just before the start (after waiting {result['before_start']['waited_s']} s"
        " for less than 15 %).",
        *cpu_lines(result),
    ]
    refused = {
        k: v
        for k, v in (
            ("cards", c["cards_refused"]),
            ("dots", c["dots_refused"]),
            ("joins", c["join_failures"]),
        )
        if v
    }
    if refused:
        lines.append(f"- Refused or given up: {json.dumps(refused, ensure_ascii=False)}.")
    if c.get("retry_after_values"):
        lines.append(
            "- Refusals: "
            + ", ".join(f"{k}: {n}" for k, n in c["retry_after_values"].items())
            + "."
        )
    log_counts = result.get("server_log", {})
    if any(log_counts.values()):
        lines.append(f"- Server logs: {_listing(log_counts)}.")
    return lines


def outage_table(result: dict) -> str:
    c, o, v = result["counts"], result["outage"], result["targets"]

    def seconds(value: float | None) -> str:
        return "never" if value is None else f"{value:.2f} s"

    card = result["status"].get("card", {})
    resent = sum(n for code, n in card.items() if int(code) >= 500) + (
        result["network_errors_by_kind"].get("card", 0)
    )
    rows = [
        ("PostgreSQL stopped (immediate) / accepting connections again",
         f"at {o['stop_issued_s']:.1f} s / at {o['back_s']:.1f} s ({o['down_s']:.1f} s down)",
         ""),
        ("requests during the outage, by answer",
         f"{o['requests_during_outage']} ({_listing(o['during_outage_by_status'])})", ""),
        ("slowest failure during the outage",
         f"{o['slowest_failure_s']:.2f} s ({o['slowest_failure'] or 'no failure'})",
         f"< {OUTAGE_FAILURE_TARGET_S:.0f} s: {_met(v, 'slowest_failure_s')}"),
        ("503 answers that explain themselves (the 503 page, or JSON for a card)",
         f"{o['responses_503'] - o['responses_503_not_friendly']} of {o['responses_503']}",
         f"all: {_met(v, 'responses_503_not_friendly')}"),
        ("503 answers carrying Retry-After",
         f"{o['responses_503'] - o['responses_503_without_retry_after']} of {o['responses_503']}"
         f" (values: {_listing(o['retry_after_values'])})",
         f"all: {_met(v, 'responses_503_without_retry_after')}"),
        ("first 2xx after PostgreSQL was back",
         f"{seconds(o['first_2xx_after_back_s'])} ({o['first_2xx'] or 'none'})",
         f"< {RECOVERY_TARGET_S:.0f} s: {_met(v, 'first_2xx_after_back_s')}"),
        ("answers between PostgreSQL back and that first 2xx",
         _listing(o["between_back_and_first_2xx_by_status"]), ""),
        ("first card acknowledged after PostgreSQL was back",
         seconds(o["first_card_acknowledged_after_back_s"]), ""),
        ("errors after the first 2xx (5xx or no answer)",
         f"{o['errors_after_first_2xx']} ({_listing(o['errors_after_first_2xx_by_status'])})",
         f"0: {_met(v, 'errors_after_first_2xx')}"),
        ("4xx after the first 2xx", _listing(o["client_errors_after_first_2xx"]), ""),
        ("server errors (5xx) outside the outage", o["responses_5xx_outside_outage"],
         f"0: {_met(v, 'responses_5xx_outside_outage')}"),
        ("card requests sent again after a 5xx or no answer (same key)", resent, ""),
        ("cards answered 200 \"received\" for a key already stored", card.get("200", 0), ""),
        ("cards acknowledged / stored (of which never acknowledged)",
         f"{c['cards_acknowledged']} / {c['cards_stored']} ({c['cards_stored_unacknowledged']}) "
         f"of {c['cards_expected']}",
         f"all acknowledged: {_met(v, 'unacknowledged_cards_and_dots')}"),
        ("cards lost / duplicated / half-stored",
         f"{c['cards_lost']} / {c['cards_duplicated']} / {c['cards_half_stored']}",
         f"0 / 0 / 0: {_met(v, 'cards_lost', 'cards_duplicated', 'cards_half_stored')}"),
        ("dots acknowledged / stored (of which for taps left without an answer)",
         f"{c['dots_acknowledged']} / {c['dots_stored']} ({c['dots_stored_unconfirmed']}) "
         f"of {c['dots_expected']}", ""),
        ("dots lost / extra / placed twice", f"{c['dots_lost']} / {c['dots_extra']} / "
         f"{c['dots_duplicated']}",
         f"0 / 0 / 0: {_met(v, 'dots_lost', 'dots_extra', 'dots_duplicated')}"),
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
    lines += ["", "| request, during the outage | answers |", "|---|---|"]
    lines += [
        f"| {kind} | {_listing(codes)} |" for kind, codes in o["during_outage_by_kind"].items()
    ]
    log_counts = result.get("server_log", {})
    t = result["timings_s"]
    lines += [
        "",
        f"- Run {result['date']}, {result['duration_s']} s in all; command: `make bench` "
        f"(`{result['command']}`).",
        f"- The burst as above ({c['participants']} participants, {c['facilitators']} "
        f"facilitators on the board), {result['topology']}, `gunicorn ctg_workshops.wsgi "
        f"{result['gunicorn']}`, PostgreSQL {result['postgres']} in a cluster of the run's own "
        f"(`initdb` into a temporary folder, on a free port; the machine's PostgreSQL is not "
        f"touched). At {OUTAGE_AT:.0f} s `pg_ctl stop -m immediate` (it returned at "
        f"{o['stopped_s']:.1f} s); {OUTAGE_SECONDS:.0f} s later `pg_ctl start` (issued at "
        f"{o['start_issued_s']:.1f} s); back means `pg_isready` answers.",
        f"- Participants send a failed card again with the same idempotency key after "
        f"Retry-After, up to {OUTAGE_MAX_RETRIES} times (the page never gives up).",
        f"- Timeline: writing over at {t['writing_over_s']} s, voting open at "
        f"{t['voting_open_s']} s, last dot at {t['end_s']} s.",
        f'- Server log: {log_counts.get("database_unavailable", 0)} "database unavailable" '
        f"warnings, {log_counts.get('tracebacks', 0)} tracebacks.",
    ]
    return "\n".join(lines)


SUMMARY_RUNS = [  # (results file, column heading)
    ("burst", "300"),
    ("burst-600", "600"),
    ("burst-1000", "1,000"),
    ("balanced", "300, two servers"),
    ("outage", "300, PostgreSQL down 10 s"),
]


def summary_table(results: dict, throughput: dict | None) -> str:
    """The room at a glance: one column per run that left results."""
    runs = [(label, results[name]) for name, label in SUMMARY_RUNS if name in results]

    def cell(r: dict, kind: str) -> str:
        s = r["latency"].get(kind)
        return f"{s['p95_ms']:.0f}" if s else ""

    def lag(r: dict) -> str:
        b = r.get("board_lag")
        return f"{b['p95_s']} s ({b['never_seen']} never)" if b else ""

    def cpu(r: dict) -> str:
        p = r.get("server_cpu")
        if not p:
            return ""
        return (
            f"{p['writing']['server_cpu_ms_per_participant']:.0f} / "
            f"{p['voting']['server_cpu_ms_per_participant']:.0f}"
        )

    rows = [
        ("phones joined / saw voting",
         lambda r: f"{r['counts']['participants_joined']} / "
         f"{r['counts'].get('participants_saw_voting', '')}"),
        ("cards acknowledged / lost / duplicated",
         lambda r: f"{r['counts']['cards_acknowledged']} / {r['counts']['cards_lost']} / "
         f"{r['counts']['cards_duplicated']}"),
        ("dots acknowledged / lost / extra",
         lambda r: f"{r['counts']['dots_acknowledged']} / {r['counts']['dots_lost']} / "
         f"{r['counts']['dots_extra']}"),
        ("5xx (of which 503) / 429",
         lambda r: f"{r['counts']['responses_5xx']} ({r['counts'].get('responses_503', 0)}) / "
         f"{r['counts']['responses_429']}"),
        ("card p95 ms", lambda r: cell(r, "card")),
        ("dot p95 ms", lambda r: cell(r, "dot")),
        ("page p95 ms", lambda r: cell(r, "page")),
        ("join post p95 ms", lambda r: cell(r, "join post")),
        ("status p95 ms", lambda r: cell(r, "status")),
        ("board feed p95 ms", lambda r: cell(r, "board feed")),
        ("board lag p95", lag),
        ("server CPU ms per participant, writing / voting", cpu),
        ("429 and 503 without Retry-After",
         lambda r: r["counts"].get("refusals_without_retry_after", "")),
        ("gunicorn", lambda r: f"`{r['gunicorn']}`"),
        ("passed", lambda r: "yes" if r["passed"] else "**no**"),
        ("run", lambda r: r["date"]),
    ]  # fmt: skip
    lines = [
        "| participants | " + " | ".join(label for label, _ in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    for name, fn in rows:
        lines.append(f"| {name} | " + " | ".join(str(fn(r)) for _, r in runs) + " |")
    if throughput:
        lines += [
            "",
            f"Capacity on one server (`bench/throughput.py`, {throughput['measured_at']}): "
            f"{throughput['cards']['cards_per_second']:,} cards/s back to back against "
            f"{throughput['bare']['requests_per_second']:,} req/s for the bare `GET /healthz`, "
            f"a ratio of {throughput['ratio']:.0%}.",
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


def scenario(env: dict, *args: str) -> dict:
    out = run([str(PROJECT_BIN / "python"), str(BENCH / "scenario.py"), *args], env=env)
    return json.loads(out.strip().splitlines()[-1])


def raise_open_files() -> None:
    """A thousand phones with up to six connections each need more than 1,024 descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@dataclass
class Servers:
    """What one run started, stopped in reverse order by `stop()`."""

    cluster: SharedPostgres
    gunicorns: list[Gunicorn] = field(default_factory=list)
    nginx: Nginx | None = None
    logs: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        if self.nginx is not None:
            self.logs["nginx"] = self.nginx.error_log()
            with contextlib.suppress(Exception):
                self.nginx.stop()
        for index, gunicorn in enumerate(self.gunicorns):
            with contextlib.suppress(Exception):
                gunicorn.stop()
            if gunicorn.log_path and gunicorn.log_path.exists():
                self.logs[f"gunicorn-{index}"] = gunicorn.log_path.read_text(errors="replace")
        self.cluster.dropdb()
        if isinstance(self.cluster, PrivateCluster):
            self.cluster.remove()


def start_servers(args, tmp: Path, reaper: Reaper) -> tuple[Servers, dict, dict]:
    """Database, scenario, static files, gunicorn(s), nginx; returns the run's set-up."""
    if args.outage:
        cluster = PrivateCluster(reaper)
        log(f"a private PostgreSQL cluster in {cluster.folder}, port {cluster.port}: initdb")
        servers = Servers(cluster)
        cluster.init()
    else:
        cluster = SharedPostgres()
        servers = Servers(cluster)
        cluster.ensure()
    database = f"ctg_bench_{os.getpid()}"
    cluster.createdb(database, reaper)
    redis_flush()
    env = server_env(f"{cluster.url}/{database}", str(tmp / "static"))
    if not args.direct:
        env["BEHIND_PROXY"] = "true"
    if args.shed_queue_ms is not None:
        env["SHED_QUEUE_MS"] = str(args.shed_queue_ms)
    log(f"database {database}: migrate, scenario, collectstatic")
    run([str(PROJECT_BIN / "python"), "manage.py", "migrate", "--noinput"], env=env)
    setup = scenario(env, "setup", str(args.facilitators))
    setup["settings"] = scenario(env, "limits")
    setup["postgres"] = cluster.version()
    run([str(PROJECT_BIN / "python"), "manage.py", "collectstatic", "--noinput"], env=env)
    for index in range(2 if args.balanced else 1):
        gunicorn = Gunicorn(args.workers, args.threads, args.worker_class)
        servers.gunicorns.append(gunicorn)
        base = gunicorn.start(env, tmp / f"gunicorn-{index}.log", reaper)
    if not args.direct:
        servers.nginx = Nginx([g.port for g in servers.gunicorns], pins=args.balanced)
        base = servers.nginx.start(tmp, reaper)
    setup["base"] = base
    setup["env"] = env
    return servers, setup, env


def topology(args, servers: Servers) -> str:
    if args.direct:
        return "gunicorn directly (no proxy)"
    count = len(servers.gunicorns)
    behind = "two gunicorns, round robin, no sticky sessions" if count == 2 else "gunicorn"
    return f"nginx {nginx_version()} in front of {behind} (`BEHIND_PROXY=true`)"


def nginx_version() -> str:
    with contextlib.suppress(Exception):
        done = subprocess.run(
            [nginx_binary(), "-v"], capture_output=True, text=True, check=False, timeout=10
        )
        found = re.search(r"nginx/(\S+)", done.stdout + done.stderr)
        if found:
            return found.group(1)
    return ""


def measure(args, tmp: Path, reaper: Reaper, servers_out: list) -> dict:
    servers, setup, env = start_servers(args, tmp, reaper)
    servers_out.append(servers)
    base = setup["base"]
    gunicorn = servers.gunicorns[0]
    log(f"{topology(args, servers)}: {base}; gunicorn {gunicorn.settings}; session {setup['code']}")
    sign_in = Recorder()
    cookies = asyncio.run(facilitators_sign_in(base, setup["facilitators"], sign_in))
    burst = Burst(
        base=base,
        code=setup["code"],
        categories=setup["categories"],
        seed=args.seed,
        participants=args.participants,
        room_size=args.room_size,
        board_path=f"/workshops/{setup['workshop']}/sessions/{setup['session']}/board/",
        facilitator_cookies=cookies,
        max_retries=args.max_retries,
    )
    if args.balanced:
        burst.pins = [servers.nginx.pin_base(i) for i in range(len(servers.gunicorns))]
        burst.upstream_ports = [g.port for g in servers.gunicorns]
        burst.repeat_every = REPEAT_EVERY
    parties = {
        "gunicorn": lambda: [pid for g in servers.gunicorns for pid in g.pids()],
        "postgres": servers.cluster.pids,
        "redis": redis_pids,
    }
    if servers.nginx is not None:
        parties["nginx"] = servers.nginx.pids
    meter = CpuMeter(parties)
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
        burst_load(
            burst,
            lambda: scenario(env, "phase", "voting"),
            marks,
            meter,
            outage,
            servers.cluster if args.outage else None,
        )
    )
    balanced = None
    if args.balanced:
        limit = setup["settings"]["participant_writes_per_minute"]
        log(f"rate limit across the two servers: {limit + 1} writes, alternating A and B")
        balanced = {"rate_limit": asyncio.run(rate_limit_check(burst, limit))}
        balanced["requests_by_server"] = {
            f"{'AB'[burst.upstream_index(u) or 0]} ({u})": n
            for u, n in sorted(burst.rec.upstreams.items())
        }
    meter.stop()
    stored = scenario(env, "collect")

    counts = count_results(burst, stored)
    latency = latency_by_kind(burst.rec)
    lag = board_lag(burst)
    acks = sorted(burst.card_ack_at.values())
    first = burst.first_card_sent or 0.0
    writing = (acks[-1] - first) if acks else 0.0
    room = args.participants <= PARTICIPANTS and not args.outage
    cpu = {
        "writing": CpuMeter.between(marks["start"], marks["writing"]),
        "voting": CpuMeter.between(marks["writing"], marks["voting"]),
    }
    whole = CpuMeter.between(marks["start"], marks["voting"])
    share = whole["other_processes_cpu_s"] / (whole["seconds"] * machine()["nproc"])
    result = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["bench/burst.py", *sys.argv[1:]]),
        "machine": machine(),
        "postgres": setup["postgres"],
        "postgres_cluster": servers.cluster.label,
        "gunicorn": gunicorn.settings,
        "topology": topology(args, servers),
        "server_settings": setup["settings"],
        "room": room,
        "scenario": {
            "participants": args.participants,
            "room_size": args.room_size,
            "facilitators": args.facilitators,
            "ramp_s": RAMP_SECONDS,
            "join_think_s": list(JOIN_THINK),
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
        "board_lag": lag,
        "sign_in_latency": latency_by_kind(sign_in),
        "status": {
            kind: {str(k): n for k, n in sorted(codes.items())}
            for kind, codes in burst.rec.status.items()
        },
        "network_errors_by_kind": dict(burst.rec.network_errors),
        "cards_per_second_writing": round(len(acks) / writing, 1) if writing > 0 else 0.0,
        "first_card_s": round(first, 1),
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
        "peak_in_flight": burst.rec.peak_in_flight,
        "before_start": quiet,
        "loop_lag_p99_ms": summarise(burst.rec.loop_lag)["p99_ms"],
        "cpu": {**cpu, "all": whole},
        "server_cpu": {
            stage: server_cpu(c, args.participants) for stage, c in {**cpu, "all": whole}.items()
        },
        "other_processes_share_during_burst": round(share, 2),
        "disturbed": share > DISTURBED_SHARE,
    }
    if balanced is not None:
        result["balanced"] = balanced
    if args.outage:
        result["outage"] = outage_figures(burst.rec, outage)
        result["targets"] = outage_verdicts(counts, result["outage"])
    else:
        result["targets"] = verdicts(counts, latency, lag, room=room, balanced=balanced)
    result["passed"] = not any(t["fails_run"] and not t["met"] for t in result["targets"].values())
    return result


def run_name(args) -> str:
    if args.name:
        return args.name
    if args.outage:
        return "outage"
    if args.balanced:
        return "balanced"
    return "burst" if args.participants == PARTICIPANTS else f"burst-{args.participants}"


def summary(args) -> int:
    results = {}
    for name, _ in SUMMARY_RUNS:
        path = RESULTS_DIR / f"{name}.json"
        if path.exists():
            results[name] = json.loads(path.read_text())
    throughput_path = RESULTS_DIR / "throughput.json"
    throughput = json.loads(throughput_path.read_text()) if throughput_path.exists() else None
    text = summary_table(results, throughput)
    print("\n" + text + "\n", flush=True)
    if not args.no_write:
        write_doc(text, "room")
        log(f"wrote the summary into {DOC.relative_to(ROOT)}")
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=PARTICIPANTS)
    parser.add_argument(
        "--room-size",
        type=int,
        default=ROOM_SIZE,
        help="phones behind one network address (one loopback address per room)",
    )
    parser.add_argument(
        "--facilitators", type=int, default=FACILITATORS, help="signed in, on the live board"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--outage",
        action="store_true",
        help=f"stop the run's own PostgreSQL for {OUTAGE_SECONDS:.0f} s in the middle of it",
    )
    mode.add_argument(
        "--balanced", action="store_true", help="two gunicorns behind nginx, round robin"
    )
    mode.add_argument(
        "--summary", action="store_true", help="only the room at a glance, from the results"
    )
    parser.add_argument(
        "--worker-class",
        choices=sorted(WORKER_MODELS),
        default="gthread",
        help="sync: 3 workers; gthread: 2 workers x 4 threads (--workers/--threads override)",
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (per server)")
    parser.add_argument("--threads", type=int, help="threads per worker (gthread)")
    parser.add_argument(
        "--direct", action="store_true", help="no nginx: the phones talk to gunicorn itself"
    )
    parser.add_argument(
        "--shed-queue-ms",
        type=int,
        help="SHED_QUEUE_MS in the server's environment (default: the application's own)",
    )
    parser.add_argument("--max-retries", type=int, help="per request, after the first attempt")
    parser.add_argument("--seed", type=int, default=2009)
    parser.add_argument("--name", help="results/<name>.json and the docs section to write")
    parser.add_argument(
        "--no-write", action="store_true", help="print only: leave results and docs alone"
    )
    parser.add_argument(
        "--keep-log", action="store_true", help=f"keep the servers' logs in {KEPT_LOG_DIR}"
    )
    args = parser.parse_args()
    workers, threads = WORKER_MODELS[args.worker_class]
    args.workers = args.workers or workers
    args.threads = args.threads or threads
    if args.max_retries is None:
        args.max_retries = OUTAGE_MAX_RETRIES if args.outage else MAX_RETRIES
    if args.balanced and args.direct:
        parser.error("--balanced needs nginx in front of the two servers: drop --direct")
    return args


def main() -> int:
    args = parse_args()
    if args.summary:
        return summary(args)
    name = run_name(args)
    results_path = RESULTS_DIR / f"{name}.json"

    def out_of_time(signum, frame):
        raise TimeoutError(f"the benchmark ran past its bound of {RUN_BOUND} s")

    def terminated(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")  # through every `finally` below

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, terminated)
    signal.alarm(RUN_BOUND)
    raise_open_files()
    started = time.monotonic()
    reaper = Reaper()
    tmp = Path(tempfile.mkdtemp(prefix="ctg-bench-"))
    reaper.add("rm", "-rf", str(tmp))
    started_servers: list[Servers] = []
    result = None
    logs: dict[str, str] = {}
    try:
        result = measure(args, tmp, reaper, started_servers)
    finally:
        signal.alarm(0)
        for servers in started_servers:
            servers.stop()
            logs.update(servers.logs)
        if args.keep_log or result is None or not result["passed"]:
            for label, text in logs.items():
                kept = KEPT_LOG_DIR / f"{name}-{label}.log"
                kept.parent.mkdir(parents=True, exist_ok=True)
                kept.write_text(text)
                log(f"log kept: {kept.relative_to(ROOT)}")
        shutil.rmtree(tmp, ignore_errors=True)
        reaper.dismiss()

    gunicorn_log = "".join(text for label, text in logs.items() if label.startswith("gunicorn"))
    nginx_log = logs.get("nginx", "")
    result["duration_s"] = round(time.monotonic() - started, 1)
    result["server_log"] = {
        "database_unavailable": gunicorn_log.count("database unavailable"),
        "tracebacks": gunicorn_log.count("Traceback (most recent call last)"),
        "worker_timeouts": gunicorn_log.count("WORKER TIMEOUT"),
        "nginx_upstream_errors": sum(
            1 for line in nginx_log.splitlines() if "upstream" in line and "[error]" in line
        ),
    }
    text = outage_table(result) if args.outage else table(result)
    print("\n" + text + "\n", flush=True)
    if not args.no_write:
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        write_doc(text, name)
        log(f"wrote {results_path.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")
    missed = [n for n, t in result["targets"].items() if not t["met"]]
    if not result["passed"]:
        failing = [n for n in missed if result["targets"][n]["fails_run"]]
        log(f"FAILED: {', '.join(failing)}")
        return 1
    log(f"passed; targets missed: {', '.join(missed)}" if missed else "passed: every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
