"""`make bench`, the capacity question: how fast can the server take cards, against its bare view?

The burst measures a room at human pace, so its cards per second are set by think time. This
run asks the server's ceiling instead, the way the issue's target is put ("submission throughput
at least half of the bare view's"): on one production-like server (gunicorn, PostgreSQL, Redis),
a closed loop of 32 connections on the bare `GET /healthz`, then a closed loop of 32 joined
participants each sending its next card as soon as the last is acknowledged, for the same time.
The rate limits are raised for this run only, so every card reaches the database. Afterwards the
database must hold exactly the acknowledged cards.

Run with the load generator's virtualenv: `bench/.venv/bin/python bench/throughput.py`.
"""

from __future__ import annotations

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
    HOST,
    PROJECT_BIN,
    REQUEST_TIMEOUT,
    Gunicorn,
    Recorder,
    ensure_postgres,
    log,
    machine,
    redis_flush,
    reference_load,
    run,
    scenario,
    server_env,
    summarise,
    write_doc,
)
from yarl import URL

RESULTS = BENCH / "results" / "throughput.json"
CONNECTIONS = 32
SECONDS = 10.0
TARGET_RATIO = 0.5


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


def stored_keys(database: str) -> list[str]:
    out = run(
        [
            "psql", "-h", HOST, "-U", "postgres", "-At", "-c",
            "SELECT idempotency_key FROM responses_statement", database,
        ]
    )  # fmt: skip
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
            f"| cards ÷ bare view | {result['ratio']:.0%} | ≥ 50 %: {verdict} |",
            f"| card latency p50 / p95 / p99 | {lat['p50_ms']} / {lat['p95_ms']} / "
            f"{lat['p99_ms']} ms | |",
            f"| cards acknowledged / stored | {cards['acknowledged']:,} / {result['stored']:,} | "
            "equal: " + ("met" if result["integrity"] else "**missed**") + " |",
            f"| answers by status | {cards['status']} | |",
            "",
            f"- Run {result['measured_at']}, {SECONDS:.0f} s each, on {box['nproc']} cores "
            f"({box['cpu']}), Python {box['python']}; "
            "command: `make bench`. Server: `gunicorn ctg_workshops.wsgi --workers 3`, DEBUG off,"
            " PostgreSQL, Redis cache, rate limits raised for this run.",
        ]
    )


def main() -> int:
    ensure_postgres()
    redis_flush()
    database = f"ctg_bench_tp_{int(time.time())}"
    run(["createdb", "-h", HOST, "-U", "postgres", database])
    gunicorn = Gunicorn(workers=3, threads=1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = server_env(database, str(Path(tmp) / "static"))
            env["PARTICIPANT_WRITES_PER_MINUTE"] = "1000000"
            env["SESSION_WRITES_PER_MINUTE"] = "1000000"
            run([str(PROJECT_BIN / "python"), "manage.py", "migrate", "--noinput"], env=env)
            setup = scenario(env, "setup", "0")
            run([str(PROJECT_BIN / "python"), "manage.py", "collectstatic", "--noinput"], env=env)
            base = gunicorn.start(env, Path(tmp) / "gunicorn.log")
            log(f"throughput: gunicorn {gunicorn.settings} on {base}")
            bare = asyncio.run(reference_load(base, CONNECTIONS, SECONDS))
            cards = asyncio.run(card_load(base, setup["code"], CONNECTIONS, SECONDS))
            gunicorn.stop()
            stored = stored_keys(database)
        keys = cards.pop("acknowledged_keys")
        result = {
            "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": machine(),
            "bare": bare,
            "cards": cards,
            "stored": len(stored),
            # PostgreSQL prints a uuid with dashes, as the client made it.
            "integrity": sorted(stored) == sorted(keys),
            "ratio": round(cards["cards_per_second"] / max(bare["requests_per_second"], 0.1), 3),
        }
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        text = table(result)
        write_doc(text, "throughput")
        print(text)
        return 0 if result["integrity"] else 1
    finally:
        gunicorn.stop()
        run(["dropdb", "-h", HOST, "-U", "postgres", "--if-exists", database])


if __name__ == "__main__":
    sys.exit(main())
