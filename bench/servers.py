"""The benchmark's server side: PostgreSQL, Redis, gunicorn, nginx, and who used the CPU.

Everything here runs on 127.0.0.1 and is started and stopped by the benchmark itself:

- `SharedPostgres`: the machine's PostgreSQL 15 on 127.0.0.1:5432 (a throwaway database in it);
- `PrivateCluster`: a PostgreSQL cluster of the benchmark's own (`initdb` into a temporary
  folder, on a free port), which the outage run may stop and start without touching anything
  else on the machine;
- `Gunicorn`: the application, as in production (sync or gthread workers);
- `Nginx`: a private nginx (`nginx -p <temporary folder> -c <its configuration>`, never the
  system service) proxying to one or two gunicorns, as docs/deployment.md describes;
- `CpuMeter`: CPU seconds per party, from /proc;
- `Reaper`: a detached shell that cleans up (servers, cluster, folders) if the benchmark is
  killed outright and cannot run its own `finally` blocks.

bench/burst.py, bench/throughput.py and bench/sqlite_writers.py use it; it needs nothing beyond
the standard library.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shlex
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PROJECT_BIN = ROOT / ".venv" / "bin"

HOST = "127.0.0.1"
PG_VERSION = "15"
PG_BIN = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
SHARED_PG_PORT = 5432
REDIS_PORT = 6379
REDIS_DB = 13  # flushed at the start of every run; nothing else in the project uses it
QUIET_SHARE = 0.15  # other processes' share of the machine below which a run starts
QUIET_WAIT = 45.0  # seconds to wait for that before starting anyway (noted in the results)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd: list[str], *, env: dict | None = None, timeout: float = 120) -> str:
    result = subprocess.run(
        cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


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


def wait_for(url: str, process: subprocess.Popen, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited at start:\n{log_path.read_text()[-3000:]}")
        if http_status(url) == 200:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer GET {url} with 200 within 30 s")


def stop_group(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    """Stop a process started with start_new_session (its whole group), by its own id."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def secret_key() -> str:
    import secrets

    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(64))


# --- Clean-up if the benchmark is killed -----------------------------------------------------


class Reaper:
    """A detached shell that waits for this process to end, then runs the clean-up commands.

    The benchmark cleans up after itself in `finally` blocks; those do not run when it is killed
    outright (SIGKILL, or the machine's own bound on a command). Every resource is registered
    here as it is made (`add`), so the shell can stop the servers, stop and remove a private
    PostgreSQL cluster, drop the database and remove the temporary folders. After a normal
    clean-up the benchmark stops the shell by its id (`dismiss`).
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="ctg-bench-reaper-"))
        self.commands = self.folder / "cleanup.sh"
        self.commands.write_text("")
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
            f"sh {shlex.quote(str(self.commands))} >/dev/null 2>&1; "
            f"rm -rf {shlex.quote(str(self.folder))}"
        )
        self.process = subprocess.Popen(
            ["sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def add(self, *command: str) -> None:
        with self.commands.open("a") as out:
            out.write(" ".join(shlex.quote(part) for part in command) + "\n")

    def add_process(self, process: subprocess.Popen) -> None:
        # The group was made by start_new_session; its leader's id names it.
        self.add("kill", "-KILL", f"-{process.pid}")

    def dismiss(self) -> None:
        stop_group(self.process, signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)


# --- PostgreSQL ------------------------------------------------------------------------------


def pg_ready(port: int) -> bool:
    probe = ["pg_isready", "-h", HOST, "-p", str(port), "-q"]
    return subprocess.run(probe, check=False, timeout=10).returncode == 0


class SharedPostgres:
    """The machine's PostgreSQL on 127.0.0.1:5432 (trust authentication for `postgres`).

    Only a throwaway database of the benchmark's is used in it; the cluster itself is never
    stopped (it is started if it is down, as `pg_ctlcluster` does at boot).
    """

    port = SHARED_PG_PORT
    label = "the machine's PostgreSQL"

    def __init__(self) -> None:
        self.database = ""

    @property
    def url(self) -> str:
        return f"postgres://postgres@{HOST}:{self.port}"

    def ensure(self) -> None:
        if pg_ready(self.port):
            return
        log("PostgreSQL is down: starting it")
        starting = ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", "start"]
        subprocess.run(starting, check=False, timeout=60, capture_output=True)
        deadline = time.monotonic() + 60
        while not pg_ready(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not become ready on {HOST}:{self.port}")
            time.sleep(0.1)

    def client(self, name: str) -> list[str]:
        return [name, "-h", HOST, "-p", str(self.port), "-U", "postgres"]

    def createdb(self, database: str, reaper: Reaper | None = None) -> None:
        run([*self.client("createdb"), database])
        self.database = database
        if reaper is not None:
            reaper.add(*self.client("dropdb"), "--force", "--if-exists", database)

    def dropdb(self) -> None:
        if self.database:
            with contextlib.suppress(Exception):
                run([*self.client("dropdb"), "--force", "--if-exists", self.database])

    def version(self) -> str:
        out = run([*self.client("psql"), "-At", "-c", "show server_version", self.database])
        return out.split(" ")[0].strip()

    def psql(self, sql: str) -> str:
        return run([*self.client("psql"), "-At", "-c", sql, self.database])

    def pids(self) -> list[int]:
        """This database's backends: the cluster's other processes serve others too."""
        needle = f" {self.database} ".encode()

        def match(_pid: int, entry: Path) -> bool:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            return cmdline.startswith(b"postgres: ") and needle in cmdline

        return processes(match)


class PrivateCluster(SharedPostgres):
    """A PostgreSQL cluster of the benchmark's own, in a temporary folder, on a free port.

    `initdb` runs as the `postgres` user (PostgreSQL refuses to run as root); the server listens
    on 127.0.0.1 and on a socket in its folder only. `stop_immediately()` and `start()` are the
    outage; `remove()` stops it and deletes the folder, and the reaper does the same if the
    benchmark dies. Nothing else on the machine uses it, so every process of the cluster
    (background writers included) counts as the benchmark's.
    """

    label = "a private PostgreSQL cluster"

    def __init__(self, reaper: Reaper) -> None:
        super().__init__()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="ctg-bench-pg-"))
        self.data = self.folder / "data"
        self.reaper = reaper
        owner = pwd.getpwnam("postgres")
        os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        reaper.add(*self._as_postgres("pg_ctl", "-D", str(self.data), "stop", "-m", "immediate"))
        reaper.add("rm", "-rf", str(self.folder))

    def _as_postgres(self, tool: str, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args]

    def init(self) -> None:
        run(
            self._as_postgres(
                "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-sync",
            ),
            timeout=120,
        )  # fmt: skip
        self.start()

    def start(self) -> float:
        """Start the cluster; return the moment it first accepted connections.

        `pg_isready` is polled every 50 ms while `pg_ctl start` runs, so the moment is the
        server's, not the start command's.
        """
        options = f"-p {self.port} -k {self.folder} -c listen_addresses={HOST}"
        starting = subprocess.Popen(
            self._as_postgres(
                "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"),
                "-w", "-t", "60", "start",
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if pg_ready(self.port):
                    return time.monotonic()
                if starting.poll() not in (None, 0):
                    break
                time.sleep(0.05)
            log_text = (self.folder / "log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the private PostgreSQL did not start:\n{log_text}")
        finally:
            try:
                starting.wait(timeout=60)
            except subprocess.TimeoutExpired:
                starting.kill()
                starting.wait()

    def ensure(self) -> None:
        if not pg_ready(self.port):
            self.start()

    def stop_immediately(self) -> None:
        run(self._as_postgres("pg_ctl", "-D", str(self.data), "stop", "-m", "immediate", "-w"))

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                self._as_postgres("pg_ctl", "-D", str(self.data), "stop", "-m", "immediate"),
                check=False,
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.folder, ignore_errors=True)

    def pids(self) -> list[int]:
        try:
            postmaster = int((self.data / "postmaster.pid").read_text().split("\n")[0])
        except (OSError, ValueError):
            return []
        return [postmaster, *processes(lambda pid, _: parent(pid) == postmaster)]


# --- Redis -----------------------------------------------------------------------------------


def redis_command(*parts: str) -> bytes:
    """Send commands to the benchmark's Redis database, in RESP, so no client is needed."""
    db = str(REDIS_DB)
    message = f"*2\r\n$6\r\nSELECT\r\n${len(db)}\r\n{db}\r\n"
    message += f"*{len(parts)}\r\n" + "".join(f"${len(p)}\r\n{p}\r\n" for p in parts)
    try:
        conn = socket.create_connection((HOST, REDIS_PORT), timeout=5)
    except OSError as error:
        raise RuntimeError(f"Redis is not answering on {HOST}:{REDIS_PORT} ({error})") from error
    with conn:
        conn.sendall(message.encode())
        conn.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    return reply


def redis_flush() -> None:
    reply = redis_command("FLUSHDB")
    if reply != b"+OK\r\n+OK\r\n":
        raise RuntimeError(f"Redis on {HOST}:{REDIS_PORT} did not flush db {REDIS_DB}: {reply!r}")


def redis_pids() -> list[int]:
    def match(_pid: int, entry: Path) -> bool:
        return (entry / "comm").read_text().strip() == "redis-server"

    return processes(match)


# --- The application and the proxy -----------------------------------------------------------


def server_env(database_url: str, static_root: str) -> dict:
    """Production settings: DEBUG unset, a fresh secret, the shared cache on Redis."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ") if k in os.environ}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ctg_workshops.settings",
            "SECRET_KEY": secret_key(),
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": database_url,
            "CACHE_URL": f"redis://{HOST}:{REDIS_PORT}/{REDIS_DB}",
            "STATIC_ROOT": static_root,
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


@dataclass
class Gunicorn:
    workers: int
    threads: int
    worker_class: str = ""  # "" : gthread when threads > 1, else sync
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    extra_args: list[str] = field(default_factory=list)  # e.g. a -c configuration file

    @property
    def kind(self) -> str:
        return self.worker_class or ("gthread" if self.threads > 1 else "sync")

    @property
    def settings(self) -> str:
        if self.kind == "gthread":
            # Idle connections from nginx are kept longer than nginx keeps them (its upstream
            # keepalive_timeout, 60 s): otherwise gunicorn (2 s by default) can close one just as
            # nginx sends a request on it, which nginx answers 502 (one card in a run of 900).
            return (
                f"--workers {self.workers} --worker-class gthread --threads {self.threads}"
                " --keep-alive 75"
            )
        return f"--workers {self.workers}"

    def start(self, env: dict, log_path: Path, reaper: Reaper | None = None) -> str:
        self.port = free_port()
        self.log_path = log_path
        cmd = [str(PROJECT_BIN / "gunicorn"), "ctg_workshops.wsgi"]
        cmd += ["--bind", f"{HOST}:{self.port}", *self.settings.split()]
        cmd += ["--timeout", "30", "--graceful-timeout", "5", "--log-level", "warning"]
        cmd += self.extra_args
        with open(log_path, "wb") as out:
            self.process = subprocess.Popen(
                cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        if reaper is not None:
            reaper.add_process(self.process)
        base = f"http://{HOST}:{self.port}"
        wait_for(f"{base}/healthz", self.process, "gunicorn", log_path)
        return base

    def pids(self) -> list[int]:
        if self.process is None:
            return []
        return [self.process.pid, *processes(lambda pid, _: parent(pid) == self.process.pid)]

    def stop(self) -> None:
        stop_group(self.process)


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        raise RuntimeError(
            "nginx is not installed: run `sh bench/install_nginx.sh` (Debian's nginx-light; "
            "`make bench` does) or pass --direct to send the load to gunicorn itself"
        )
    return found


def nginx_conf(
    prefix: Path, port: int, upstreams: list[int], pins: list[int], *, report_upstream: bool
) -> str:
    """The configuration measured (docs/deployment.md shows it without the bench's paths).

    One upstream group of every gunicorn, round robin, no sticky sessions, keep-alive
    connections to the upstreams; the proxy stamps each request with the moment it arrived
    (`X-Request-Start: t=<seconds.milliseconds>`), so the application can tell how long it
    waited in the queue, and appends the client's address to X-Forwarded-For. A request is
    passed to the next server only after a connection error or timeout *and* only if it is not
    a POST: nginx leaves out non-idempotent methods unless `non_idempotent` is named, so a card
    or a dot is never sent twice by the proxy. `pins` are the benchmark's own extra ports, one per
    gunicorn, to send a request to one chosen server; `report_upstream` adds a response header
    naming the server that answered (the benchmark's, not production's).
    """
    servers = "\n".join(f"        server {HOST}:{p} max_fails=0;" for p in upstreams)
    pinned = "\n".join(
        f"    upstream app_{i} {{\n        server {HOST}:{p};\n        keepalive 8;\n"
        f"        keepalive_timeout 60s;\n    }}"
        for i, p in enumerate(upstreams)
    )
    common = """
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-Start "t=${msec}";
            proxy_connect_timeout 5s;
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout;"""
    upstream_header = (
        "\n            add_header X-Upstream $upstream_addr always;" if report_upstream else ""
    )
    pin_servers = "\n".join(
        f"""
    server {{
        listen {HOST}:{pin} backlog=4096;
        location / {{
            proxy_pass http://app_{i};{common}
        }}
    }}"""
        for i, pin in enumerate(pins)
    )
    return f"""# Written by bench/servers.py for one run; removed with its folder.
worker_processes auto;
worker_rlimit_nofile 65536;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;

events {{
    worker_connections 16384;
}}

http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_timeout 75s;
    keepalive_requests 10000;
    client_max_body_size 25m;

    upstream app {{
{servers}
        keepalive 32;
        keepalive_timeout 60s;
    }}
{pinned if pins else ""}
    server {{
        listen {HOST}:{port} backlog=4096;
        location / {{
            proxy_pass http://app;{common}{upstream_header}
        }}
    }}
{pin_servers}
}}
"""


@dataclass
class Nginx:
    """A private nginx in front of one or more gunicorns; `pins` adds one port per gunicorn."""

    upstreams: list[int]
    pins: bool = False
    port: int = 0
    pin_ports: list[int] = field(default_factory=list)
    process: subprocess.Popen | None = None
    prefix: Path | None = None

    def start(self, folder: Path, reaper: Reaper | None = None) -> str:
        binary = nginx_binary()
        self.prefix = folder / "nginx"
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.pin_ports = [free_port() for _ in self.upstreams] if self.pins else []
        conf = self.prefix / "nginx.conf"
        conf.write_text(
            nginx_conf(
                self.prefix, self.port, self.upstreams, self.pin_ports, report_upstream=self.pins
            )
        )
        log_path = self.prefix / "error.log"
        with open(self.prefix / "stdout.log", "wb") as out:
            self.process = subprocess.Popen(
                [binary, "-p", str(self.prefix), "-c", str(conf), "-e", str(log_path)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if reaper is not None:
            reaper.add_process(self.process)
        base = f"http://{HOST}:{self.port}"
        wait_for(f"{base}/healthz", self.process, "nginx", log_path)
        return base

    def pin_base(self, index: int) -> str:
        return f"http://{HOST}:{self.pin_ports[index]}"

    def pids(self) -> list[int]:
        if self.process is None:
            return []
        return [self.process.pid, *processes(lambda pid, _: parent(pid) == self.process.pid)]

    def error_log(self) -> str:
        path = self.prefix / "error.log" if self.prefix else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def stop(self) -> None:
        stop_group(self.process, signal.SIGQUIT)


# --- CPU accounting (Linux /proc): who used the two cores ------------------------------------

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

    `parties` maps a name ("gunicorn", "postgres", "redis", "nginx") to a function returning
    its process ids. Sampling keeps the CPU of processes that exit during the run (a database
    connection closed after CONN_MAX_AGE) up to their last sample. `mark()` notes the totals at
    a moment; `between()` turns two marks into CPU seconds per party, plus this load generator,
    every other process on the machine (other people's work shares these cores), the kernel's
    interrupt handling (the loopback network), and what is left (processes that came and went
    between two samples).
    """

    def __init__(self, parties: dict) -> None:
        super().__init__(daemon=True)
        self.parties = parties
        self.seen: dict[str, dict[int, float]] = {name: {} for name in [*parties, "others"]}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.own_cpu = 0.0  # this thread's, taken out of the load generator's

    def _sample(self) -> None:
        found = {name: cpu_by_pid(pids()) for name, pids in self.parties.items()}
        ours = {os.getpid(), *(pid for cpu in found.values() for pid in cpu)}
        found["others"] = cpu_by_pid([pid for pid in processes(lambda *_: True) if pid not in ours])
        with self.lock:
            for name, cpu in found.items():
                self.seen[name].update(cpu)

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
            out = {name: sum(cpu.values()) for name, cpu in self.seen.items()}
        return {
            **out,
            "wall": time.monotonic(),
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
        skip = {"wall", "load", "busy", "total", "interrupts", "others"}
        parties = [name for name in start if name not in skip]
        used = {f"{name}_cpu_s": end[name] - start[name] for name in parties}
        used["load_generator_cpu_s"] = end["load"] - start["load"]
        used["other_processes_cpu_s"] = end["others"] - start["others"]
        used["kernel_interrupts_cpu_s"] = end["interrupts"] - start["interrupts"]
        used["unaccounted_cpu_s"] = max(0.0, busy - sum(used.values()))
        out = {"seconds": end["wall"] - start["wall"], **used}
        out = {k: round(v, 2) for k, v in out.items()}
        out["machine_busy_pct"] = round(100 * busy / cores, 1) if cores else 0.0
        return out
