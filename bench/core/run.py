"""Core HTTP benchmark: ``GET /v1/products/{id}`` and ``POST /v1/orders`` through gunicorn.

    uv run python bench/core/run.py                      # what `make bench` runs
    uv run python bench/core/run.py --requests 5000 --concurrency 16

Starts ``keel-core web`` (gunicorn, the production server and settings) on a fresh
PostgreSQL database of its own (POSTGRES_BENCH_URL, default the local server; dropped at
the end), verifies real EdDSA tokens against a loopback JWKS, seeds products through the
API, then drives each call from ``--concurrency`` client threads with keep-alive sessions.
Prints the machine, every setting, requests per second and p50/p99 latency. The client
runs on the same machine and takes CPU from the server: figures are a floor.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tokens import TokenMint

from keel_common.db.alembic import upgrade

ADMIN_URL = os.environ.get(
    "POSTGRES_BENCH_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "core" / "migrations"
PRODUCTS = 50
WARM_UP = 200  # requests per call before the measured ones
LOAD_BEFORE = os.getloadavg()[0]
Call = Callable[[requests.Session, int], requests.Response]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_database() -> Any:
    name = "bench_core_" + secrets.token_hex(4)
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        upgrade(url, MIGRATIONS)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _ready(base: str) -> bool:
    try:
        return requests.get(f"{base}/readyz", timeout=10).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def gunicorn(env: dict[str, str], workdir: Path) -> Any:
    log = (workdir / "web.log").open("wb")
    process = subprocess.Popen(
        ["keel-core", "web"], env=os.environ | env, cwd=workdir, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{env['HTTP_PORT']}"
    try:
        deadline = time.monotonic() + 120  # generous: the machine may be shared and busy
        while not _ready(base):
            if process.poll() is not None:
                raise RuntimeError(f"keel-core web exited; see {workdir / 'web.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError("keel-core web did not become ready in 120 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def drive(call: Call, total: int, concurrency: int) -> dict[str, Any]:
    """Run ``call`` ``total`` times from ``concurrency`` threads; latencies in ms."""
    counter = itertools.count()
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    failures: list[int] = []

    def worker(slot: int) -> None:
        with requests.Session() as session:
            while (n := next(counter)) < total:
                started = time.perf_counter()
                response = call(session, n)
                latencies[slot].append((time.perf_counter() - started) * 1000)
                if response.status_code >= 300:
                    failures.append(response.status_code)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    elapsed = time.perf_counter() - started
    samples = sorted(ms for slot in latencies for ms in slot)
    return {
        "requests": len(samples),
        "failures": len(failures),
        "rps": len(samples) / elapsed,
        "p50": samples[len(samples) // 2],
        "p99": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
    }


def seed(base: str, mint: TokenMint) -> list[str]:
    headers = {"Authorization": f"Bearer {mint.token(uuid.uuid4())}"}
    ids = []
    for n in range(PRODUCTS):
        body = {
            "title": f"Product {n}",
            "description": "benchmark",
            "price_cents": 1000 + n,
            "currency": "EUR",
            "category": "bench",
            "stock": 10**9,
        }
        response = requests.post(f"{base}/v1/products", json=body, headers=headers, timeout=10)
        response.raise_for_status()
        ids.append(response.json()["id"])
    return ids


def buyer_count(requests: int, concurrency: int) -> int:
    """Core lets an account place 200 orders a day: a buyer per 150 orders of the run."""
    return max(concurrency, (requests + WARM_UP) // 150 + 1)


def calls(base: str, ids: list[str], mint: TokenMint, buyers: int) -> dict[str, Call]:
    tokens = [f"Bearer {mint.token(uuid.uuid4())}" for _ in range(buyers)]
    run = secrets.token_hex(4)

    def get_product(session: requests.Session, n: int) -> requests.Response:
        return session.get(f"{base}/v1/products/{ids[n % len(ids)]}", timeout=30)

    def place_order(session: requests.Session, n: int) -> requests.Response:
        body = {"items": [{"product_id": ids[n % len(ids)], "quantity": 1}]}
        headers = {"Authorization": tokens[n % buyers], "Idempotency-Key": f"{run}-{n}"}
        return session.post(f"{base}/v1/orders", json=body, headers=headers, timeout=30)

    return {"GET /v1/products/{id}": get_product, "POST /v1/orders": place_order}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="per call (default 3000)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (8)")
    parser.add_argument("--workers", default=os.environ.get("WEB_CONCURRENCY", "2"))
    parser.add_argument("--threads", default=os.environ.get("GUNICORN_THREADS", "4"))
    args = parser.parse_args()

    mint = TokenMint()
    with fresh_database() as url, tempfile.TemporaryDirectory() as tmp:
        env = {
            "DATABASE_URL": url,
            "HTTP_PORT": str(free_port()),
            "JWKS_URL": mint.serve_jwks(),
            "WEB_CONCURRENCY": str(args.workers),
            "GUNICORN_THREADS": str(args.threads),
            "LOG_LEVEL": "INFO",
        }
        with gunicorn(env, Path(tmp)) as base:
            ids = seed(base, mint)
            results = {}
            buyers = buyer_count(args.requests, args.concurrency)
            for name, call in calls(base, ids, mint, buyers=buyers).items():
                drive(call, WARM_UP, args.concurrency)  # warm-up: connections, JWKS, caches
                results[name] = drive(call, args.requests, args.concurrency)

    report(args, results)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def report(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> None:
    database = ADMIN_URL.split("@")[-1]
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs ({cpu_model()})")
    print(f"load average before the run: {LOAD_BEFORE:.2f}")
    print(
        f"server: keel-core web = gunicorn gthread, WEB_CONCURRENCY={args.workers}, "
        f"GUNICORN_THREADS={args.threads}, LOG_LEVEL=INFO, PostgreSQL at {database}"
    )
    print(
        f"client: {args.concurrency} threads with keep-alive sessions on the same machine, "
        f"{args.requests} requests per call after {WARM_UP} warm-up, {PRODUCTS} products, "
        f"{buyer_count(args.requests, args.concurrency)} buyers"
    )
    for name, r in results.items():
        print(
            f"{name:24} {r['rps']:8.1f} req/s   p50 {r['p50']:7.2f} ms   p99 {r['p99']:7.2f} ms"
            f"   ({r['requests']} requests, {r['failures']} failed)"
        )
    if any(r["failures"] for r in results.values()):
        sys.exit("some requests failed; see the counts above")


if __name__ == "__main__":
    main()
