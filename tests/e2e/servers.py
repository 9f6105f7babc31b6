"""The real servers one end-to-end session gets to itself: PostgreSQL databases, a RabbitMQ
virtual host and a Redis database.

Isolation matters because the queue names are fixed (``keel_common.messaging.topology``):
without a virtual host of its own, the platform's workers would consume from the same
``notification.events`` queue as every integration test running beside them, and steal or
receive their messages.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import sqlalchemy as sa

SERVICES = ("auth", "core", "notification", "search")


def create_databases(admin_url: str, prefix: str) -> dict[str, str]:
    """One fresh database per service, named ``<prefix>_<svc>``; their SQLAlchemy URLs."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    urls = {}
    try:
        with admin.connect() as conn:
            for svc in SERVICES:
                name = f"{prefix}_{svc}"
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                urls[svc] = sa.make_url(admin_url).set(database=name).render_as_string(False)
    finally:
        admin.dispose()
    return urls


def drop_databases(admin_url: str, prefix: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for svc in SERVICES:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{prefix}_{svc}" WITH (FORCE)'))
    finally:
        admin.dispose()


@dataclass(frozen=True)
class RabbitVhost:
    """A virtual host made for one session (``url`` points into it), or, where
    ``rabbitmqctl`` is not available (RabbitMQ in a container), the given URL unchanged."""

    url: str
    name: str | None

    @classmethod
    def create(cls, base_url: str, name: str) -> RabbitVhost:
        if shutil.which("rabbitmqctl") is None:
            return cls(base_url, None)
        parts = urlsplit(base_url)
        user = parts.username or "guest"
        try:
            _rabbitmqctl("add_vhost", name)
            _rabbitmqctl("set_permissions", "-p", name, user, ".*", ".*", ".*")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
            # Not allowed to administer this broker (no Erlang cookie): share its vhost.
            return cls(base_url, None)
        return cls(urlunsplit(parts._replace(path="/" + quote(name, safe=""))), name)

    def delete(self) -> None:
        if self.name is not None:
            _rabbitmqctl("delete_vhost", self.name)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def redis_database(base_url: str, worker_id: str) -> str:
    """A Redis database no fixture of ``keel_common.testing.plugin`` uses (it counts up from
    1 per xdist worker; this counts down from 15), flushed for a clean start."""
    import redis

    index = 15 - (int(worker_id[2:]) if worker_id.startswith("gw") else 0)
    url = f"{base_url.rstrip('/')}/{index}"
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url
