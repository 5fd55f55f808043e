"""`make bench`, the capacity question: how fast can the server take cards, against its bare view?

The burst measures a room at human pace, so its cards per second are set by think time. This
run asks the server's ceiling instead, the way the issue's target is put ("submission throughput
at least half of the bare view's"): on one production-like server (nginx in front of gunicorn,
PostgreSQL, Redis; `--direct` leaves nginx out), a closed loop of 32 connections on the bare
`GET /healthz`, then a closed loop of 32 joined participants each sending its next card as soon
as the last is acknowledged, for the same time. The rate limits (and the cap of 20 cards per
participant) are raised for this run only, so every card reaches the database. Afterwards the
database must hold exactly the acknowledged cards.

Run with the load generator's virtualenv: `bench/.venv/bin/python bench/throughput.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from burst import (
    BENCH,
    PROJECT_BIN,
    REQUEST_TIMEOUT,
    WORKER_MODELS,
    Recorder,
    log,
    machine,
    reference_load,
    run,
    scenario,
    summarise,
    write_doc,
)
from servers import Gunicorn, Nginx, Reaper, SharedPostgres, redis_flush, server_env
from yarl import URL

RESULTS = BENCH / "results" / "throughput.json"
CONNECTIONS = 32
SECONDS = 10.0
TARGET_RATIO = 0.4  # issue 14: at least 40 % of the bare view
UNLIMITED = "1000000"  # the rate limits, out of the way for this run only
LIMITS = [
    "PARTICIPANT_WRITES_PER_MINUTE",
    "SESSION_WRITES_PER_MINUTE",
    "ADDRESS_WRITES_PER_MINUTE",
    "ADDRESS_CARDS_PER_MINUTE",
    "ADDRESS_JOINS_PER_10_MINUTES",
    "STATEMENTS_PER_PARTICIPANT",  # the cap on one participant's cards (20), not a rate
]


async def card_load(base: str, code: str, connections: int, seconds: float) -> dict:
    """Each connection is one joined participant sending cards back to back."""
    rec = Recorder()
    acknowledged: list[str] = []

    async def participant(number: int) -> None:
        async with aiohttp.ClientSession(
            base_url=base,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        ) as session:
            await session.get(f"/s/{code}/")
            token = session.cookie_jar.filter_cookies(URL(base)).get("csrftoken")
            csrf = token.value if token else ""
            await session.post(f"/s/{code}/", data={"anonymous": "1", "csrfmiddlewaretoken": csrf})
            await ready.wait()
            sent = 0
            while time.monotonic() < deadline:
                sent += 1
                key = str(uuid.uuid4())
                text = f"Card {sent} from participant {number}"
                answer = await rec.request(
                    session,
                    "statement",
                    "POST",
                    f"/s/{code}/statements/",
                    data={
                        "text": text,
                        "use": "",
                        "idempotency_key": key,
                        "csrfmiddlewaretoken": csrf,
                    },
                    headers={"Accept": "application/json", "X-CSRFToken": csrf},
                )
                if answer is not None and answer.status in (200, 201):
                    acknowledged.append(key)

    ready = asyncio.Event()
    deadline = float("inf")
    tasks = [asyncio.create_task(participant(n)) for n in range(connections)]
    await asyncio.sleep(3)  # everyone has joined
    started = time.monotonic()
    deadline = started + seconds
    ready.set()
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    return {
        "connections": connections,
        "seconds": round(elapsed, 1),
        "acknowledged": len(acknowledged),
        "acknowledged_keys": acknowledged,
        "cards_per_second": round(len(acknowledged) / elapsed, 1),
        "latency": summarise(rec.latency["statement"]),
        "status": dict(rec.status["statement"]),
        "network_errors": rec.network_errors["statement"],
    }


def stored_keys(postgres: SharedPostgres) -> list[str]:
    out = postgres.psql("SELECT idempotency_key FROM responses_statement")
    return [line.strip() for line in out.splitlines() if line.strip()]


def table(result: dict) -> str:
    cards, bare = result["cards"], result["bare"]
    lat = cards["latency"]
    box = result["machine"]
    verdict = "met" if result["ratio"] >= TARGET_RATIO else "**missed**"
    return "\n".join(
        [
            "| figure | value | target |",
            "|---|---:|---|",
            f"| bare `GET /healthz`, {bare['connections']} connections | "
            f"{bare['requests_per_second']:,} req/s | |",
            f"| cards, {cards['connections']} participants back to back | "
            f"{cards['cards_per_second']:,} cards/s | |",
            f"| cards ÷ bare view | {result['ratio']:.0%} | ≥ 40 %: {verdict} |",
            f"| card latency p50 / p95 / p99 | {lat['p50_ms']} / {lat['p95_ms']} / "
            f"{lat['p99_ms']} ms | |",
            f"| cards acknowledged / stored | {cards['acknowledged']:,} / {result['stored']:,} | "
            "equal: " + ("met" if result["integrity"] else "**missed**") + " |",
            f"| answers by status | {cards['status']} | |",
            "",
            f"- Run {result['measured_at']}, {SECONDS:.0f} s each, on {box['nproc']} cores "
            f"({box['cpu']}), Python {box['python']}; "
            f"command: `make bench`. Server: {result['topology']}, `gunicorn ctg_workshops.wsgi "
            f"{result['gunicorn']}`, DEBUG off, PostgreSQL, Redis cache; the rate limits and the "
            "cap of 20 cards per participant raised for this run.",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker-class", choices=sorted(WORKER_MODELS), default="gthread")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--direct", action="store_true", help="no nginx in front")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args, ignored = parser.parse_known_args()  # `make bench BENCH_ARGS=...` is for burst.py too
    if ignored:
        log(f"throughput: ignoring {' '.join(ignored)} (burst.py's)")
    workers, threads = WORKER_MODELS[args.worker_class]
    gunicorn = Gunicorn(args.workers or workers, args.threads or threads, args.worker_class)
    nginx = None
    postgres = SharedPostgres()
    postgres.ensure()
    redis_flush()
    reaper = Reaper()
    postgres.createdb(f"ctg_bench_tp_{int(time.time())}", reaper)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = server_env(f"{postgres.url}/{postgres.database}", str(Path(tmp) / "static"))
            env.update(dict.fromkeys(LIMITS, UNLIMITED))
            if not args.direct:
                env["BEHIND_PROXY"] = "true"
            run([str(PROJECT_BIN / "python"), "manage.py", "migrate", "--noinput"], env=env)
            setup = scenario(env, "setup", "0")
            run([str(PROJECT_BIN / "python"), "manage.py", "collectstatic", "--noinput"], env=env)
            base = gunicorn.start(env, Path(tmp) / "gunicorn.log", reaper)
            topology = "gunicorn directly"
            if not args.direct:
                nginx = Nginx([gunicorn.port])
                base = nginx.start(Path(tmp), reaper)
                topology = "nginx in front of gunicorn"
            log(f"throughput: {topology}, gunicorn {gunicorn.settings}, on {base}")
            bare = asyncio.run(reference_load(base, CONNECTIONS, SECONDS))
            cards = asyncio.run(card_load(base, setup["code"], CONNECTIONS, SECONDS))
            if nginx is not None:
                nginx.stop()
            gunicorn.stop()
            stored = stored_keys(postgres)
        keys = cards.pop("acknowledged_keys")
        result = {
            "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": machine(),
            "topology": topology,
            "gunicorn": gunicorn.settings,
            "bare": bare,
            "cards": cards,
            "stored": len(stored),
            # PostgreSQL prints a uuid with dashes, as the client made it.
            "integrity": sorted(stored) == sorted(keys),
            "ratio": round(cards["cards_per_second"] / max(bare["requests_per_second"], 0.1), 3),
        }
        text = table(result)
        print(text)
        if not args.no_write:
            RESULTS.write_text(json.dumps(result, indent=2) + "\n")
            write_doc(text, "throughput")
        return 0 if result["integrity"] else 1
    finally:
        if nginx is not None:
            nginx.stop()
        gunicorn.stop()
        postgres.dropdb()
        reaper.dismiss()


if __name__ == "__main__":
    sys.exit(main())
