"""Auth benchmarks: local token verifications per second and logins per second.

    uv run python bench/auth/run.py [--seconds 5] [--login-threads 2] [--redis URL]

Prints the machine, the settings (argon2 parameters, revocation store) and the figures.
Everything runs on 127.0.0.1: the login figure goes through a real HTTP socket, the
database is a temporary SQLite file migrated with Alembic.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import logging
import os
import platform
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
import sqlalchemy as sa

from keel_auth.adapters import orm
from keel_auth.bootstrap import Auth, bootstrap
from keel_auth.config import AuthSettings
from keel_auth.domain.policy import Limit
from keel_auth.entrypoints.cli import MIGRATIONS
from keel_auth.entrypoints.flask_app import create_app
from keel_common.auth import (
    InMemoryRevocationList,
    JwksTokenVerifier,
    RedisRevocationList,
    RevocationList,
    SqliteRevocationList,
)
from keel_common.auth.testing import SigningKeys, StaticJwksClient
from keel_common.db.alembic import upgrade
from keel_common.testing import live_server

PASSWORD = "correct horse battery staple"
NEW_TOKENS_PER_SECOND = 20_000  # signed beforehand: more than the full check verifies


def rate(seconds: float, work: Callable[[], object]) -> tuple[int, float]:
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        work()
        done += 1
    return done, done / elapsed


def bench_verify(seconds: float, revocations: RevocationList, label: str) -> None:
    keys = SigningKeys()
    verifier = JwksTokenVerifier(
        "http://unused", "keel-auth", "keel", revocations, jwks_client=StaticJwksClient(keys)
    )
    token = keys.token(user_id=uuid.uuid4(), roles=["user"])
    verifier.verify(token)  # warm the JWKS cache
    count, per_second = rate(seconds, lambda: verifier.verify(token))
    print(f"verify  revocations={label:<8} {count:>8} in {seconds:.0f}s  {per_second:>9.0f}/s"
          "  one token again and again (remembered: exp, key and revocation checked)")  # fmt: skip
    # Each token seen for the first time: parsing and the Ed25519 signature every call.
    signed = int(seconds * NEW_TOKENS_PER_SECOND) + 1000
    fresh = iter([keys.token(user_id=uuid.uuid4(), roles=["user"]) for _ in range(signed)])
    count, per_second = rate(seconds, lambda: verifier.verify(next(fresh)))
    print(f"verify  revocations={label:<8} {count:>8} in {seconds:.0f}s  {per_second:>9.0f}/s"
          "  a new token each call (full check)")  # fmt: skip


def welcome_token(auth: Auth) -> str:
    """The verification token of the welcome event in the outbox (no broker in the bench)."""
    with auth.engine.connect() as conn:
        query = sa.select(orm.outbox.c.payload).where(
            orm.outbox.c.type == "auth.user.registered.v1"
        )
        [payload] = conn.execute(query).scalars().all()
    return str(json.loads(payload)["data"]["verification_token"])


def bench_logins(seconds: float, threads: int, tmp: Path) -> None:
    database_url = f"sqlite:///{tmp / 'auth.db'}"
    upgrade(database_url, MIGRATIONS)
    settings = AuthSettings(
        database_url=database_url,
        rate_limit_path=tmp / "limits.db",
        revocations_path=tmp / "revoked.db",
        log_level="WARNING",
    )
    print(
        f"argon2id time_cost={settings.argon2_time_cost} memory_kib={settings.argon2_memory_kib}"
        f" parallelism={settings.argon2_parallelism}; werkzeug threaded server, {threads} clients"
    )
    # One client address and one account make every login: lift the per-IP and per-account
    # limits (every attempt spends the account's budget), or the bench measures 429s.
    policy = dataclasses.replace(
        settings.policy(),
        login_per_ip=Limit(10**9, 600),
        login_failures_per_account=Limit(10**9, 600),
    )
    auth = bootstrap(settings, policy=policy)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with live_server(create_app(auth)) as base_url:
        body = {"email": "bench@example.com", "password": PASSWORD}
        requests.post(f"{base_url}/v1/auth/signup", json=body, timeout=30).raise_for_status()
        verify = {"token": welcome_token(auth)}  # the link of the welcome email
        requests.post(
            f"{base_url}/v1/auth/email/verify", json=verify, timeout=30
        ).raise_for_status()

        def login() -> None:
            requests.post(f"{base_url}/v1/auth/login", json=body, timeout=30).raise_for_status()

        def client(_: int) -> int:
            return rate(seconds, login)[0]

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            total = sum(pool.map(client, range(threads)))
        elapsed = time.perf_counter() - started
    print(f"login   HTTP+argon2id+SQLite  {total:>8} in {elapsed:.1f}s  {total / elapsed:>9.1f}/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--login-threads", type=int, default=2)
    parser.add_argument("--redis", default=None, help="also measure with a Redis denylist")
    args = parser.parse_args()
    print(f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs,")
    print(f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        bench_verify(args.seconds, InMemoryRevocationList(), "memory")
        bench_verify(args.seconds, SqliteRevocationList(Path(tmp) / "revoked.db"), "sqlite")
        if args.redis:
            bench_verify(args.seconds, RedisRevocationList.from_url(args.redis), "redis")
        bench_logins(args.seconds, args.login_threads, Path(tmp))


if __name__ == "__main__":
    main()
