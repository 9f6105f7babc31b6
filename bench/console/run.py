"""The console's admin list APIs on a big platform: 100k users, 100k orders, 1M delivery-log rows.

    uv run python bench/console/run.py [--users 100000] [--orders 100000]
        [--deliveries 1000000] [--repeat 15] [--postgres postgresql+psycopg://...]

Each service's tables are created by its Alembic migrations and filled with bulk inserts
(SQLAlchemy Core ``executemany`` in chunks, no ORM); then each admin list API answers through
the service's real Flask app (in process, WSGI test client: no socket, no gateway) with an
admin's token, first page and a deep page (a cursor 90% down the list, as a support agent
paging far back would hold). Prints the machine, the settings and the median / worst time of
``--repeat`` calls. SQLite always; PostgreSQL too with ``--postgres`` (an admin URL: a
database per service is created and dropped).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from keel_common.auth import FakeTokenVerifier
from keel_common.db.alembic import upgrade
from keel_common.discovery import FakeDiscovery
from keel_common.messaging import create_broker
from keel_common.pagination import Position, encode_cursor

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)
CHUNK = 10_000
PAGE = 50


def chunks(total: int, make: Callable[[int], dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, total, CHUNK):
        yield [make(n) for n in range(start, min(total, start + CHUNK))]


def fill(engine: sa.Engine, table: sa.Table, total: int, make: Callable[[int], Any]) -> float:
    started = time.perf_counter()
    for rows in chunks(total, make):
        with engine.begin() as connection:
            connection.execute(table.insert(), rows)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text(f"ANALYZE {table.name}"))
    else:
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
    elapsed = time.perf_counter() - started
    print(
        f"  seeded {total:>9,} {table.name:<14} in {elapsed:6.1f}s ({total / elapsed:,.0f} rows/s)"
    )
    return elapsed


def standard(n: int, created_at: datetime) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "created_at": created_at, "updated_at": created_at}


def user_row(n: int) -> dict[str, Any]:
    roles = ["admin"] if n == 0 else ["user"]
    return standard(n, NOW - timedelta(minutes=5 * n)) | {
        "email": f"user{n}@example.com", "name": f"User {n}", "roles": roles,
        "email_verified": True, "phone_verified": False,
    }  # fmt: skip


def order_row(n: int, buyers: list[uuid.UUID]) -> dict[str, Any]:
    return standard(n, NOW - timedelta(minutes=5 * n)) | {
        "buyer_id": buyers[n % len(buyers)], "status": "placed", "total_cents": 1000 + n % 900,
        "currency": "EUR", "idempotency_key": f"k{n}", "request_fingerprint": "0" * 64,
    }  # fmt: skip


def delivery_row(n: int, users: list[uuid.UUID]) -> dict[str, Any]:
    user = n % len(users)
    failed = n % 10 == 0
    return standard(n, NOW - timedelta(seconds=3 * n)) | {
        "user_id": users[user], "event_id": uuid.uuid4(), "channel": "email",
        "category": "transactional", "template": "order_receipt", "locale": "en",
        "recipient": f"user{user}@example.com", "content": None,
        "status": "failed" if failed else "sent", "attempts": 1, "provider": "smtp",
        "error": "550 mailbox unavailable" if failed else None,
        "sent_at": None if failed else NOW - timedelta(seconds=3 * n),
    }  # fmt: skip


def deep_cursor(engine: sa.Engine, table: sa.Table, where: Any = None) -> str:
    """The cursor of the row 90% down the newest-first list (what paging far back holds)."""
    query = sa.select(sa.func.count()).select_from(table)
    if where is not None:
        query = query.where(where)
    with engine.connect() as connection:
        total = connection.execute(query).scalar_one()
        rows = sa.select(table.c.created_at, table.c.id).order_by(
            table.c.created_at.desc(), table.c.id.desc()
        )
        if where is not None:
            rows = rows.where(where)
        created_at, ident = connection.execute(rows.offset(int(total * 0.9)).limit(1)).one()
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    return encode_cursor(Position(created_at, ident))


def timed(client: Any, path: str, token: str, repeat: int) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    client.get(path, headers=headers)  # warm caches and the connection pool
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text)
    items = len(response.json.get("items", [])) if "items" in response.json else "-"
    return f"median {statistics.median(times):7.1f} ms  max {max(times):7.1f} ms  items {items}"


def report(label: str, client: Any, path: str, token: str, repeat: int) -> None:
    print(f"  {label:<44} {timed(client, path, token, repeat)}")


@contextmanager
def databases(postgres: str | None, tmp: Path) -> Iterator[dict[str, str]]:
    names = ("auth", "core", "notification")
    if postgres is None:
        yield {svc: f"sqlite:///{tmp / f'{svc}.db'}" for svc in names}
        return
    prefix = f"bench_console_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres, isolation_level="AUTOCOMMIT")
    url = sa.make_url(postgres)
    with admin.connect() as connection:
        for svc in names:
            connection.execute(sa.text(f"CREATE DATABASE {prefix}_{svc}"))
    try:
        yield {
            svc: url.set(database=f"{prefix}_{svc}").render_as_string(hide_password=False)
            for svc in names
        }
    finally:
        with admin.connect() as connection:
            for svc in names:
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS {prefix}_{svc} WITH (FORCE)"))
        admin.dispose()


def bench_auth(url: str, tmp: Path, users: int, repeat: int) -> list[uuid.UUID]:
    from keel_auth.adapters import orm
    from keel_auth.bootstrap import bootstrap
    from keel_auth.config import AuthSettings
    from keel_auth.entrypoints.cli import MIGRATIONS
    from keel_auth.entrypoints.flask_app import create_app

    upgrade(url, MIGRATIONS)
    settings = AuthSettings(
        database_url=url, jwks_url="http://unused", rate_limit_path=tmp / "rate.db",
        revocations_path=tmp / "revoked.db",
    )  # fmt: skip
    verifier = FakeTokenVerifier()
    auth = bootstrap(settings, verifier=verifier)
    ids: list[uuid.UUID] = []

    def row(n: int) -> dict[str, Any]:
        made = user_row(n)
        ids.append(made["id"])
        return made

    fill(auth.engine, orm.users, users, row)
    token = verifier.issue(ids[0], roles=["admin"])
    client = create_app(auth).test_client()
    deep = deep_cursor(auth.engine, orm.users)
    report(
        "auth   GET /v1/admin/users (first page)",
        client,
        f"/v1/admin/users?limit={PAGE}",
        token,
        repeat,
    )
    report(
        "auth   GET /v1/admin/users (deep cursor)",
        client,
        f"/v1/admin/users?limit={PAGE}&cursor={deep}",
        token,
        repeat,
    )
    report(
        "auth   GET /v1/admin/users?email_prefix=user9999",
        client,
        "/v1/admin/users?email_prefix=user9999",
        token,
        repeat,
    )
    report("auth   GET /v1/admin/users/stats", client, "/v1/admin/users/stats", token, repeat)
    auth.close()
    return ids


def bench_core(url: str, orders: int, buyers: list[uuid.UUID], repeat: int) -> None:
    from keel_core.adapters import orm
    from keel_core.bootstrap import bootstrap
    from keel_core.config import CoreSettings
    from keel_core.entrypoints.flask_app import create_app

    upgrade(url, ROOT / "services" / "core" / "migrations")
    verifier = FakeTokenVerifier()
    broker = create_broker("memory://", exchange="keel.events", service="core", queues=())
    core = bootstrap(
        CoreSettings(database_url=url, jwks_url="http://unused"),
        verifier=verifier, discovery=FakeDiscovery(), broker=broker,
    )  # fmt: skip
    pool = buyers[: max(1, len(buyers) // 10)]
    fill(core.engine, orm.orders, orders, lambda n: order_row(n, pool))
    token = verifier.issue(roles=["admin"])
    client = create_app(core).test_client()
    deep = deep_cursor(core.engine, orm.orders)
    buyer = pool[1]
    report(
        "core   GET /v1/admin/orders (first page)",
        client,
        f"/v1/admin/orders?limit={PAGE}",
        token,
        repeat,
    )
    report(
        "core   GET /v1/admin/orders (deep cursor)",
        client,
        f"/v1/admin/orders?limit={PAGE}&cursor={deep}",
        token,
        repeat,
    )
    report(
        "core   GET /v1/admin/orders?buyer_id=",
        client,
        f"/v1/admin/orders?limit={PAGE}&buyer_id={buyer}",
        token,
        repeat,
    )
    report("core   GET /v1/admin/orders/today", client, "/v1/admin/orders/today", token, repeat)
    core.close()


def bench_notification(
    url: str, tmp: Path, deliveries: int, users: list[uuid.UUID], repeat: int
) -> None:
    from keel_notification.adapters import orm
    from keel_notification.bootstrap import bootstrap
    from keel_notification.config import NotificationSettings
    from keel_notification.entrypoints.flask_app import create_app

    upgrade(url, ROOT / "services" / "notification" / "migrations")
    settings = NotificationSettings(
        database_url=url, jwks_url="http://unused", file_delivery_dir=tmp / "outbox",
        broker_url="memory://",
    )  # fmt: skip
    verifier = FakeTokenVerifier()
    service = bootstrap(settings, verifier=verifier)
    engine = service.engine
    fill(engine, orm.notifications, deliveries, lambda n: delivery_row(n, users))
    token = verifier.issue(roles=["admin"])
    client = create_app(service).test_client()
    log = "/v1/admin/notifications"
    user = users[7]
    report(
        "notif  GET ...?user_id= (first page)",
        client,
        f"{log}?limit={PAGE}&user_id={user}",
        token,
        repeat,
    )
    report(
        "notif  GET ...?recipient=",
        client,
        f"{log}?limit={PAGE}&recipient=user7@example.com",
        token,
        repeat,
    )
    report(
        "notif  GET /v1/admin/notifications (everything)",
        client,
        f"{log}?limit={PAGE}",
        token,
        repeat,
    )
    deep_all = deep_cursor(engine, orm.notifications)
    report(
        "notif  GET ... (everything, deep cursor)",
        client,
        f"{log}?limit={PAGE}&cursor={deep_all}",
        token,
        repeat,
    )
    report("notif  GET /v1/admin/notifications/stats", client, f"{log}/stats", token, repeat)
    service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres", help="a PostgreSQL admin URL (SQLAlchemy form)")
    parser.add_argument("--skip-users-and-orders", action="store_true",
                        help="only the delivery log (its users exist nowhere else)")  # fmt: skip
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"settings: users={args.users:,} orders={args.orders:,} deliveries={args.deliveries:,} "
          f"page={PAGE} repeat={args.repeat}, insert chunk={CHUNK}, WSGI test client")  # fmt: skip
    if hasattr(os, "getloadavg"):
        print(f"load average before: {os.getloadavg()[0]:.1f}")
    backends = [None] + ([args.postgres] if args.postgres else [])
    for postgres in backends:
        print(f"== {'PostgreSQL' if postgres else 'SQLite'}")
        with tempfile.TemporaryDirectory() as name, databases(postgres, Path(name)) as urls:
            tmp = Path(name)
            if args.skip_users_and_orders:
                users = [uuid.uuid4() for _ in range(args.users)]
            else:
                users = bench_auth(urls["auth"], tmp, args.users, args.repeat)
                bench_core(urls["core"], args.orders, users, args.repeat)
            bench_notification(urls["notification"], tmp, args.deliveries, users, args.repeat)


if __name__ == "__main__":
    main()
