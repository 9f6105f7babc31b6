"""Start the services under test (each one's real ``keel-<svc> web``, gunicorn) in a scratch
directory, on the embedded default or on PostgreSQL + Redis + RabbitMQ, and seed them."""

from __future__ import annotations

import itertools
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
ADMIN_URL = os.environ.get(
    "POSTGRES_BENCH_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("REDIS_BENCH_URL", "redis://127.0.0.1:6379/14")
SERVICES = ("auth", "core", "search")
# A second search web process on the same index and database with the result cache off
# (SEARCH_CACHE_ENTRIES=0): its rows are the engine's cost, the cached rows the cache's.
UNCACHED_SEARCH = "search_uncached"
# Base URL -> pid of the gunicorn master serving it (``worker_cpu``).
MASTERS: dict[str, int] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(base: str, process: subprocess.Popen[bytes], path: str = "/readyz") -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{base} exited with {process.returncode}")
        try:
            if requests.get(base + path, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{base} was not ready in 180 s")


@contextmanager
def postgres_databases(names: list[str]) -> Iterator[dict[str, str]]:
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    created = {name: f"bench_http_{name}_{secrets.token_hex(3)}" for name in names}
    with admin.connect() as conn:
        for db in created.values():
            conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
    try:
        yield {n: sa.make_url(ADMIN_URL).set(database=db).render_as_string(False)
               for n, db in created.items()}  # fmt: skip
    finally:
        with admin.connect() as conn:
            for db in created.values():
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


ORDER_QUOTA = 10**7


def database_urls(shape: str, stack: ExitStack) -> dict[str, str]:
    if shape == "embedded":
        return {s: f"sqlite:///var/{s}.db" for s in SERVICES}
    return stack.enter_context(postgres_databases(list(SERVICES)))


def environment(shape: str, workdir: Path, auth_port: int, web: dict[str, str]) -> dict[str, str]:
    env = os.environ | web | {
        "ENVIRONMENT": "development", "BIND_HOST": "127.0.0.1", "DISCOVERY": "static",
        "JWKS_URL": f"http://127.0.0.1:{auth_port}/.well-known/jwks.json",
        "SEARCH_INDEX_DIR": str(workdir / "var" / "search-index"),
        # The write row measures placing orders, not the per-account daily quota: one buyer
        # places tens of thousands in a run, and past the quota each would be a 409.
        "ORDERS_PER_BUYER_PER_DAY": str(ORDER_QUOTA),
    }  # fmt: skip
    # No web process publishes (the worker relays the outbox), so the broker is not on the path
    # of any call measured; the embedded one keeps `migrate` from declaring queues on a
    # RabbitMQ other people share.
    env |= {"BROKER_URL": f"sqla+sqlite:///{workdir / 'var' / 'broker.db'}"}
    if shape == "production":
        env |= {"REDIS_URL": REDIS_URL}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def web_settings() -> dict[str, str]:
    """The web processes' settings under test: gunicorn's workers and threads and the log
    level, from the environment, else the production defaults (an access line a request)."""
    from keel_common.http import gunicorn_conf  # reads the same environment

    return {"WEB_CONCURRENCY": str(gunicorn_conf.workers),
            "GUNICORN_THREADS": str(gunicorn_conf.threads),
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO")}  # fmt: skip


def web_command(service: str) -> list[str]:
    """What starts a service's web process (``keel-<svc> web``; ``hello``: hello-world)."""
    if service == "hello":
        return [sys.executable, str(HERE / "hello.py")]
    return [str(BIN / f"keel-{service}"), "web"]


def stop_on_sigterm() -> None:
    """Make SIGTERM (``kill``, ``pkill``) end the run as Ctrl-C does, through ``started``'s
    cleanup: by default it kills the script at once and leaves its services running, which
    then take CPU from whatever is measured next."""

    def _exit(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


@contextmanager
def started(
    shape: str,
    workdir: Path,
    web: dict[str, str],
    command: Callable[[str], list[str]] = web_command,
) -> Iterator[dict[str, str]]:
    """The base URL of each service's web process (started by ``command``), migrated and
    ready (plus ``UNCACHED_SEARCH``'s)."""
    ports = {s: free_port() for s in SERVICES}
    processes: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stack:
        urls = database_urls(shape, stack)
        env = environment(shape, workdir, ports["auth"], web)
        try:
            bases = {}
            for service in SERVICES:
                service_env = env | {
                    "DATABASE_URL": urls[service],
                    "HTTP_PORT": str(ports[service]),
                }
                migrate = subprocess.run([BIN / f"keel-{service}", "migrate"], env=service_env,
                                         cwd=workdir, capture_output=True, text=True)  # fmt: skip
                if migrate.returncode:
                    raise RuntimeError(f"keel-{service} migrate: {migrate.stderr[-2000:]}")
                log = (workdir / f"{shape}-{service}.log").open("wb")
                processes.append(subprocess.Popen(command(service), env=service_env,
                                                  cwd=workdir, stdout=log, stderr=log))  # fmt: skip
                bases[service] = f"http://127.0.0.1:{ports[service]}"
            port = free_port()
            uncached_env = env | {"DATABASE_URL": urls["search"], "HTTP_PORT": str(port),
                                  "SEARCH_CACHE_ENTRIES": "0"}  # fmt: skip
            log = (workdir / f"{shape}-{UNCACHED_SEARCH}.log").open("wb")
            processes.append(subprocess.Popen(command("search"), env=uncached_env,
                                              cwd=workdir, stdout=log, stderr=log))  # fmt: skip
            bases[UNCACHED_SEARCH] = f"http://127.0.0.1:{port}"
            for base, process in zip(bases.values(), processes, strict=True):
                wait_ready(base, process)
                MASTERS[base] = process.pid
            auth_db = urls["auth"].replace("sqlite:///", f"sqlite:///{workdir}/")
            try:
                yield bases | {"auth_db": auth_db}
            except Exception:
                show_logs(workdir, shape)  # the temporary folder goes with the run
                raise
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(60)


def worker_cpu(base: str) -> dict[int, float]:
    """CPU seconds used so far by each gunicorn worker behind ``base``, by pid (the master's
    children, from /proc; empty when unknown)."""
    master, ticks, found = MASTERS.get(base), os.sysconf("SC_CLK_TCK"), {}
    for entry in os.scandir("/proc"):
        if master is None or not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        if int(fields[1]) == master:
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def show_logs(workdir: Path, shape: str, lines: int = 20) -> None:
    """The last requests and errors of each web process, on standard error."""
    for log in sorted(workdir.glob(f"{shape}-*.log")):
        tail = [x for x in log.read_text(errors="replace").splitlines() if "/readyz" not in x]
        print(f"== {log.name}", *tail[-lines:], sep="\n", file=sys.stderr)


@contextmanager
def hello_world(
    workdir: Path, web: dict[str, str], command: Callable[[str], list[str]] = web_command
) -> Iterator[str]:
    port = free_port()
    env = os.environ | web | {"HTTP_PORT": str(port), "BIND_HOST": "127.0.0.1"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (workdir / "hello.log").open("wb")
    process = subprocess.Popen(command("hello"), env=env, cwd=HERE, stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, process, "/hello")
        MASTERS[base] = process.pid
        yield base
    finally:
        process.terminate()
        process.wait(60)


def build_search_index(workdir: Path, size: int) -> float:
    """The 100k-product index the search web process opens (seconds it took)."""
    sys.path.insert(0, str(HERE.parent / "search"))
    import catalogue  # bench/search's deterministic catalogue

    from keel_search.adapters.embedded.index import EmbeddedSearchIndex

    started_at = time.perf_counter()
    index = EmbeddedSearchIndex(workdir / "var" / "search-index")
    builder = index.start_rebuild()
    products = catalogue.products(size)
    while batch := list(itertools.islice(products, 5000)):
        builder.add(batch)
    builder.finish()
    index.close()
    return time.perf_counter() - started_at


def user(auth: str, auth_db: str) -> dict[str, str]:
    """Sign a new user up with auth and log in: headers with auth's own access token."""
    email = f"bench-{secrets.token_hex(4)}@example.com"
    credentials = {"email": email, "password": secrets.token_urlsafe(16)}
    requests.post(f"{auth}/v1/auth/signup", json=credentials, timeout=30).raise_for_status()
    engine = sa.create_engine(auth_db)  # as if the emailed verification link was followed
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE users SET email_verified = true WHERE email = :e"), {"e": email}
        )
    engine.dispose()
    login = requests.post(f"{auth}/v1/auth/login", json=credentials, timeout=30)
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def seed(bases: dict[str, str]) -> dict[str, Any]:
    """A seller's products (a full first page, ample stock) and a buyer with a token."""
    seller = user(bases["auth"], bases["auth_db"])
    body = {"title": "Walnut desk", "description": "Solid walnut", "price_cents": 45_000,
            "currency": "EUR", "category": "furniture", "stock": 10**9}  # fmt: skip
    ids = []
    for n in range(25):
        made = requests.post(f"{bases['core']}/v1/products", json=body | {"title": f"Desk {n}"},
                             headers=seller, timeout=30)  # fmt: skip
        made.raise_for_status()
        ids.append(made.json()["id"])
    return {
        "headers": user(bases["auth"], bases["auth_db"]),
        "product_id": ids[-1],
        "product_ids": ids,
    }
