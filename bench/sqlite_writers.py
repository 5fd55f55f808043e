"""`make bench`, part three: the SQLite default with 30 participants writing at once.

With no DATABASE_URL the site runs on a SQLite file (ctg_workshops/settings.py: WAL, IMMEDIATE
transactions, a 20 s busy timeout), which is what `make run` serves. The claim to check: 30
participants sending cards continuously for 20 seconds get no "database is locked" error, and
every card acknowledged is stored once, as sent.

The server is gunicorn with the SQLite default settings (DEBUG off, no DATABASE_URL, SQLITE_PATH
a migrated temporary file, the default local-memory cache), run twice against the same file:
with the production setting (3 sync workers: at most 3 requests in the database at once) and with
3 workers of 10 threads each, so that all 30 writers can be in the database at once, across
processes, as many as `make run`'s threaded runserver would let in. Each run: 30 participants
join (as in bench/burst.py), then for 20 s each sends a card as soon as the previous one is
acknowledged, while its page polls the status every 3 s. The per-participant and per-session
rate limits are raised through their settings for this run only, so that every card reaches the
database; with the defaults a participant is held to 30 cards a minute and the run would
measure the limiter.

The workers load bench/sqlite_probe.py, which logs the message of every database error turned
into a 503 (the product logs only its class); "database is locked" is counted in that log.

Run with the load generator's virtualenv: `bench/.venv/bin/python bench/sqlite_writers.py`
(`make bench` does). It writes bench/results/sqlite.json and the part of docs/performance.md
between `<!-- sqlite:start -->` and `<!-- sqlite:end -->`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import secrets
import shutil
import signal
import string
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import burst as b
from servers import HOST

NAME = "sqlite"
RESULTS = b.RESULTS_DIR / "sqlite.json"
PROBE = b.BENCH / "sqlite_probe.py"
SUBMITTERS = 30
SECONDS = 20.0
DRAIN_BOUND = 30.0  # after the 20 s: wait at most this long for the cards still in flight
WRITES_PER_MINUTE = 1_000_000  # the rate limits, out of the way for this run only
SERVERS = [  # (label, workers, threads per worker)
    ("3 sync workers", 3, 1),
    ("3 workers × 10 threads", 3, 10),
]
RUN_BOUND = 240  # seconds for the whole run, set-up and clean-up included
LOCKED = "database is locked"


def sqlite_env(db_path: Path, static_root: Path) -> dict:
    """The SQLite default as `make run` has it, but with DEBUG off and a fresh secret."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ") if k in os.environ}
    alphabet = string.ascii_letters + string.digits
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ctg_workshops.settings",
            "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(64)),
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": "",  # set and empty: the SQLite default even if a .env names one
            "SQLITE_PATH": str(db_path),
            "STATIC_ROOT": str(static_root),
            "LOG_LEVEL": "WARNING",
            "PARTICIPANT_WRITES_PER_MINUTE": str(WRITES_PER_MINUTE),
            "SESSION_WRITES_PER_MINUTE": str(WRITES_PER_MINUTE),
            # One address sends it all: its ceilings too (docs/security.md).
            "ADDRESS_WRITES_PER_MINUTE": str(WRITES_PER_MINUTE),
            "ADDRESS_CARDS_PER_MINUTE": str(WRITES_PER_MINUTE),
            # and the cap on one participant's cards (20): each sends hundreds here.
            "STATEMENTS_PER_PARTICIPANT": str(WRITES_PER_MINUTE),
        }
    )
    return env


async def writers(burst: b.Burst, first_number: int) -> dict:
    """Everyone joins, then for SECONDS each sends a card as soon as the last one is answered."""
    people = [b.Participant(burst, first_number + n) for n in range(burst.participants)]
    timings = {}
    try:
        joined = await asyncio.gather(*(p.join() for p in people))
        burst.joined = sum(joined)
        timings["joined_s"] = burst.rec.now()
        deadline = time.monotonic() + SECONDS

        async def write(p: b.Participant) -> None:
            poller = asyncio.create_task(p.poll())
            try:
                number = 0
                while time.monotonic() < deadline:
                    number += 1
                    await p.send_card(number)
            finally:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller

        lag = asyncio.create_task(burst.rec.watch_loop_lag())
        tasks = [asyncio.create_task(write(p)) for p, ok in zip(people, joined, strict=True) if ok]
        done, pending = await asyncio.wait(tasks, timeout=SECONDS + DRAIN_BOUND)
        timings["end_s"] = burst.rec.now()
        timings["writers_unfinished"] = len(pending)
        for task in [*pending, lag]:
            task.cancel()
        await asyncio.gather(*pending, lag, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                raise task.exception()
    finally:
        for p in people:
            await p.session.close()
    return timings


def one_server(label: str, workers: int, threads: int, env: dict, code: str, index: int, tmp):
    gunicorn = b.Gunicorn(workers=workers, threads=threads, extra_args=["-c", str(PROBE)])
    log_path = tmp / f"gunicorn-{index}.log"
    try:
        base = gunicorn.start(env, log_path)
        b.log(f"sqlite, {label}: gunicorn {gunicorn.settings} on {base}")
        meter = b.CpuMeter({"gunicorn": gunicorn.pids})
        meter.start()
        quiet = meter.wait_for_quiet()
        burst = b.Burst(
            base=base,
            code=code,
            categories=[],
            seed=2009,
            participants=SUBMITTERS,
            join_think=(0.0, 0.0),
        )
        burst.rec = b.Recorder()
        start = meter.mark()
        timings = asyncio.run(writers(burst, first_number=100 * (index + 1)))
        cpu = b.CpuMeter.between(start, meter.mark())
        meter.stop()
    finally:
        gunicorn.stop()
    log_text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return burst, gunicorn.settings, quiet, timings, cpu, log_text


def figures(burst: b.Burst, rows: list[dict], log_text: str) -> dict:
    mine = [row for row in rows if row["key"] in burst.sent_card_keys]
    integrity = b.card_integrity(burst.acked_cards, burst.sent_card_keys, mine)
    by_class: Counter = Counter()
    for counts in burst.rec.status.values():
        for code, n in counts.items():
            by_class[f"{code // 100}xx"] += n
    latency = b.latency_by_kind(burst.rec)
    acked = integrity["cards_acknowledged"]
    return {
        "participants_joined": burst.joined,
        "cards_sent": burst.sent_cards,
        **integrity,
        "cards_refused": dict(burst.refused_cards),
        "cards_per_second": round(acked / SECONDS, 1),
        "responses_by_class": dict(sorted(by_class.items())),
        "responses_5xx": by_class.get("5xx", 0),
        "network_errors": sum(burst.rec.network_errors.values()),
        "status": {k: dict(sorted(v.items())) for k, v in burst.rec.status.items()},
        "database_is_locked": log_text.count(LOCKED),
        "database_unavailable_warnings": log_text.count("database unavailable"),
        "tracebacks": log_text.count("Traceback (most recent call last)"),
        "latency": latency,
        "loop_lag_p99_ms": b.summarise(burst.rec.loop_lag)["p99_ms"],
        "peak_in_flight": burst.rec.peak_in_flight,
    }


def verdicts(runs: list[dict], unmatched_rows: int) -> dict:
    checks = {}
    for run in runs:
        f, tag = run["figures"], run["label"]
        checks[f"{tag}: database_is_locked"] = (f["database_is_locked"], 0, True)
        checks[f"{tag}: responses_5xx"] = (f["responses_5xx"], 0, True)
        checks[f"{tag}: cards_lost"] = (f["cards_lost"], 0, True)
        checks[f"{tag}: cards_duplicated"] = (f["cards_duplicated"], 0, True)
        checks[f"{tag}: cards_half_stored"] = (f["cards_half_stored"], 0, True)
    checks["rows_from_no_run"] = (unmatched_rows, 0, True)
    return b.judge(checks)


def table(result: dict) -> str:
    runs, v = result["runs"], result["targets"]

    def met(*names: str) -> str:
        chosen = [t["met"] for k, t in v.items() if k.endswith(names)]
        return "met" if all(chosen) else "**missed**"

    def each(fn) -> str:
        return " | ".join(str(fn(run["figures"])) for run in runs)

    def lat(kind: str):
        def cell(f: dict) -> str:
            s = f["latency"].get(kind)
            return f"{s['p50_ms']} / {s['p95_ms']} / {s['p99_ms']} / {s['max_ms']}" if s else ""

        return cell

    rows = [
        ("participants writing at once", lambda f: f"{f['participants_joined']} of {SUBMITTERS}",
         ""),
        ("cards acknowledged / stored", lambda f: f"{f['cards_acknowledged']} / "
         f"{f['cards_stored']}", ""),
        ("cards acknowledged per second", lambda f: f["cards_per_second"], ""),
        ("answers 2xx / 3xx / 4xx / 5xx",
         lambda f: " / ".join(str(f["responses_by_class"].get(f"{n}xx", 0)) for n in (2, 3, 4, 5)),
         f"5xx 0: {met('responses_5xx')}"),
        ("\"database is locked\" in the server log", lambda f: f["database_is_locked"],
         f"0: {met('database_is_locked')}"),
        ("cards lost / duplicated / half-stored",
         lambda f: f"{f['cards_lost']} / {f['cards_duplicated']} / {f['cards_half_stored']}",
         f"0 / 0 / 0: {met('cards_lost', 'cards_duplicated', 'cards_half_stored')}"),
        ("network errors and timeouts (client side)", lambda f: f["network_errors"], ""),
        ("card p50 / p95 / p99 / max ms", lat("card"), ""),
        ("status poll p50 / p95 / p99 / max ms", lat("status"), ""),
        ("join (POST) p50 / p95 / p99 / max ms", lat("join post"), ""),
    ]  # fmt: skip
    labels = " | ".join(f"{run['label']} (`{run['gunicorn']}`)" for run in runs)
    lines = []
    disturbed = [run["label"] for run in runs if run["disturbed"]]
    if disturbed:
        lines += [
            f"**Disturbed run** ({', '.join(disturbed)}): other processes used more than "
            f"{100 * b.DISTURBED_SHARE:.0f} % of the machine meanwhile.",
            "",
        ]
    lines += [
        f"| figure | {labels} | target |",
        "|---|" + "---:|" * len(runs) + "---|",
    ]
    lines += [f"| {name} | {each(fn)} | {goal} |" for name, fn, goal in rows]

    def cpu(run: dict) -> str:
        c = run["cpu"]
        return (
            f"{run['label']}: {c['seconds']} s, gunicorn {c['gunicorn_cpu_s']} CPU s, load "
            f"generator {c['load_generator_cpu_s']}, other processes {c['other_processes_cpu_s']}"
        )

    lines += [
        "",
        f"- Run {result['date']}, {result['duration_s']} s in all; command: `make bench` "
        "(`bench/sqlite_writers.py`).",
        f"- {SUBMITTERS} participants join, then each sends cards back to back for "
        f"{SECONDS:.0f} s (the next as soon as the last is answered; failed ones again with the "
        f"same key after Retry-After, up to {b.MAX_RETRIES} times), while its page polls the "
        f"status every {b.POLL_SECONDS:.0f} s. Rate limits raised to {WRITES_PER_MINUTE:,} a "
        "minute for this run, so every card reaches the database.",
        "- Server: gunicorn, DEBUG off, no DATABASE_URL: SQLite in WAL mode, IMMEDIATE "
        "transactions, busy timeout 20 s, local-memory cache; the same migrated file for both "
        f"runs ({result['stored_rows']} card rows at the end); SQLite {result['sqlite']}.",
        f"- CPU: {'; '.join(cpu(run) for run in runs)}.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--keep-log", action="store_true", help="keep gunicorn's logs")
    args = parser.parse_args()

    def out_of_time(signum, frame):
        raise TimeoutError(f"the SQLite run ran past its bound of {RUN_BOUND} s")

    def terminated(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, terminated)
    signal.alarm(RUN_BOUND)
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="ctg-bench-sqlite-"))
    result = None
    logs: dict[str, str] = {}
    try:
        env = sqlite_env(tmp / "db.sqlite3", tmp / "static")
        b.log(f"SQLite file {tmp / 'db.sqlite3'}: migrate, scenario, collectstatic")
        b.run([str(b.PROJECT_BIN / "python"), "manage.py", "migrate", "--noinput"], env=env)
        setup = b.scenario(env, "setup")
        b.run([str(b.PROJECT_BIN / "python"), "manage.py", "collectstatic", "--noinput"], env=env)
        runs, bursts = [], []
        for index, (label, workers, threads) in enumerate(SERVERS):
            burst, settings, quiet, timings, cpu, log_text = one_server(
                label, workers, threads, env, setup["code"], index, tmp
            )
            logs[label] = log_text
            bursts.append(burst)
            share = cpu["other_processes_cpu_s"] / (cpu["seconds"] * b.machine()["nproc"])
            runs.append(
                {
                    "label": label,
                    "gunicorn": settings,
                    "before_start": quiet,
                    "timings_s": {k: round(v, 1) for k, v in timings.items()},
                    "cpu": cpu,
                    "other_processes_share": round(share, 2),
                    "disturbed": share > b.DISTURBED_SHARE,
                    "log_text": log_text,
                }
            )
        stored = b.scenario(env, "collect")
        rows = stored["statements"]
        sent = set().union(*(burst.sent_card_keys for burst in bursts))
        for run, burst in zip(runs, bursts, strict=True):
            run["figures"] = figures(burst, rows, run.pop("log_text"))
        sqlite_version = b.run(
            [
                str(b.PROJECT_BIN / "python"),
                "-c",
                "import sqlite3; print(sqlite3.sqlite_version)",
            ]
        ).strip()
        unmatched = sum(1 for row in rows if row["key"] not in sent)
        result = {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": "make bench",
            "machine": b.machine(),
            "sqlite": sqlite_version,
            "scenario": {
                "submitters": SUBMITTERS,
                "seconds": SECONDS,
                "think_s": 0,
                "poll_s": b.POLL_SECONDS,
                "writes_per_minute_limits": WRITES_PER_MINUTE,
                "max_retries": b.MAX_RETRIES,
            },
            "runs": runs,
            "stored_rows": len(rows),
            "rows_from_no_run": unmatched,
        }
        result["targets"] = verdicts(runs, unmatched)
        result["passed"] = not any(
            t["fails_run"] and not t["met"] for t in result["targets"].values()
        )
    finally:
        signal.alarm(0)
        if args.keep_log or result is None or not result["passed"]:
            for index, text in enumerate(logs.values()):
                kept = b.KEPT_LOG_DIR / f"gunicorn-sqlite-{index}.log"
                kept.parent.mkdir(parents=True, exist_ok=True)
                kept.write_text(text)
                b.log(f"gunicorn's log: {kept.relative_to(b.ROOT)}")
        shutil.rmtree(tmp, ignore_errors=True)

    result["duration_s"] = round(time.monotonic() - started, 1)
    text = table(result)
    print("\n" + text + "\n", flush=True)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        b.write_doc(text, NAME)
        b.log(f"wrote {RESULTS.relative_to(b.ROOT)} and {b.DOC.relative_to(b.ROOT)}")
    missed = [name for name, t in result["targets"].items() if not t["met"]]
    if not result["passed"]:
        b.log(f"FAILED: {', '.join(missed)}")
        return 1
    b.log("passed: every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
