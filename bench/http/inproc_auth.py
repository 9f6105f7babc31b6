"""In-process CPU and round trips per ``GET /v1/auth/me``, on either shape.

    uv run python bench/http/inproc_auth.py                      # SQLite, file revocations
    uv run python bench/http/inproc_auth.py --shape production   # PostgreSQL + Redis

The same method as ``inproc.py`` (CPU of this process per call, in rounds alternating with
hello-world's), for auth alone so it runs in seconds, plus what ``inproc.py`` cannot show:
the round trips a call makes to PostgreSQL (libpq's protocol trace: one ``ReadyForQuery``
per round trip) and to Redis (replies read by the client). The production shape runs on a
fresh PostgreSQL database (dropped afterwards) and ``platform_.REDIS_URL``, as ``run.py``
does; its CPU figure includes the client side of those round trips, not the servers'.
"""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import inproc
import platform_ as keel

CREDENTIALS = {"email": "bench@example.com", "password": "a-long-bench-password-1"}


def production_env(workdir: Path, stack: ExitStack) -> dict[str, str]:
    urls = stack.enter_context(keel.postgres_databases(["auth"]))
    return inproc.service_env("auth", workdir) | {
        "DATABASE_URL": urls["auth"],
        "REDIS_URL": keel.REDIS_URL,
    }


def signed_in(app: Any, database_url: str) -> dict[str, str]:
    """Headers of a verified, signed-in user of ``app``."""
    client = app.test_client()
    # A caller address and an account of this run's own: sign-up and login limits live in
    # the shared Redis on the production shape and outlast a run.
    origin = {"REMOTE_ADDR": f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.7"}
    credentials = CREDENTIALS | {"email": f"bench-{secrets.token_hex(4)}@example.com"}
    for path in ("/v1/auth/signup", "/v1/auth/login"):
        answer = client.post(path, json=credentials, environ_base=origin)
        if answer.status_code >= 300:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.get_data(as_text=True)}")
        if path.endswith("signup"):  # as if the emailed link had been followed
            engine = sa.create_engine(database_url)
            with engine.begin() as conn:
                conn.execute(sa.text("UPDATE users SET email_verified = true"))
            engine.dispose()
    return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


@contextmanager
def auth_app(shape: str, workdir: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    from keel_auth.entrypoints.flask_app import create_app

    with ExitStack() as stack:
        if shape == "production":
            env = production_env(workdir, stack)
        else:
            env = inproc.service_env("auth", workdir)
        env |= {"ARGON2_MEMORY_KIB": "7168", "ARGON2_TIME_COST": "1"}
        inproc.migrated("auth", workdir, env)
        with inproc.environment(env):
            app = create_app()
        try:
            yield app, signed_in(app, env["DATABASE_URL"])
        finally:
            app.extensions["keel_auth"].close()


def postgres_round_trips(engine: sa.Engine, workdir: Path, once: Callable[[], str]) -> float:
    """Round trips to PostgreSQL per call, averaged over 100 calls on fresh connections."""
    from psycopg import pq

    trace = (workdir / "libpq.trace").open("w")

    def traced(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.pgconn.trace(trace.fileno())
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

    engine.dispose()
    sa.event.listen(engine, "connect", traced)
    once()  # connects: the connection's own start-up is not a per-call cost
    trace.flush()
    start = (workdir / "libpq.trace").read_text().count("ReadyForQuery")
    for _ in range(100):
        once()
    trace.flush()
    total = (workdir / "libpq.trace").read_text().count("ReadyForQuery")
    sa.event.remove(engine, "connect", traced)
    return (total - start) / 100


def redis_round_trips(once: Callable[[], str]) -> float:
    """Redis replies read per call, averaged over 100 calls."""
    import redis.connection

    replies = [0]
    original = redis.connection.AbstractConnection.read_response

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        replies[0] += 1
        return original(self, *args, **kwargs)

    redis.connection.AbstractConnection.read_response = counted  # type: ignore[method-assign]
    try:
        for _ in range(100):
            once()
    finally:
        redis.connection.AbstractConnection.read_response = original  # type: ignore[method-assign]
    return replies[0] / 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--shape", choices=("embedded", "production"), default="embedded")
    parser.add_argument(
        "--freeze-gc",
        action="store_true",
        help="gc.freeze() before measuring: a full collection walks the whole start-up heap"
        " (~0.03 ms per call here) and lands on hello-world's rounds or the call's, by chance",
    )
    args = parser.parse_args()
    out = os.fdopen(os.dup(1), "w", buffering=1)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=out)
    with tempfile.TemporaryDirectory(prefix="bench-inproc-auth-") as tmp:
        workdir = Path(tmp)
        (workdir / "var").mkdir()
        os.chdir(workdir)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # access log lines: written, not shown
        import hello

        hello_call = inproc.caller(hello.create_app(), "/hello", {})
        with auth_app(args.shape, workdir) as (app, headers):
            me = inproc.caller(app, "/v1/auth/me", headers)
            if args.freeze_gc:
                gc.collect()
                gc.freeze()
            ms, baseline = inproc.measure(hello_call, me, args.calls)
            print(f"GET /v1/auth/me ({args.shape}): {ms:.3f} ms CPU, hello {baseline:.3f} ms,"
                  f" ratio {baseline / ms:.2f}x ({args.calls} calls)", file=out)  # fmt: skip
            if args.shape == "production":
                engine = app.extensions["keel_auth"].engine
                print(f"round trips per call: PostgreSQL"
                      f" {postgres_round_trips(engine, workdir, me):.2f},"
                      f" Redis {redis_round_trips(me):.2f}", file=out)  # fmt: skip
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=out)


if __name__ == "__main__":
    main()
