"""pytest fixtures for tests that talk to real servers.

Each fixture checks that its server answers. On a developer's laptop a missing server skips
the test with the reason; with ``CI=true`` it fails instead, so CI can never go green by
skipping what it was meant to test.

Addresses come from ``POSTGRES_TEST_URL``, ``RABBITMQ_TEST_URL`` and ``REDIS_TEST_URL``
(defaults: the loopback servers of the development machine).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "POSTGRES_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
RABBITMQ_URL = os.environ.get("RABBITMQ_TEST_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip (laptop) or fail (CI=true) when a server or tool the test needs is absent."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def port_open(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "serial: stops or restarts a shared server; runs alone")


def _is_unit_test(item: pytest.Item) -> bool:
    return "unit" in Path(str(item.path)).parts


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Unit tests open no sockets (STYLE.md): pytest-socket refuses any network socket
    while one runs, so a unit test that reaches a server fails instead of passing slowly."""
    if _is_unit_test(item):
        import pytest_socket

        pytest_socket.disable_socket(allow_unix_socket=True)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    if _is_unit_test(item):
        import pytest_socket

        pytest_socket.enable_socket()


@pytest.fixture(autouse=True)
def _broker_file_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that builds a broker without a URL gets the embedded default, a SQLite file
    relative to the working directory: it would leave ``var/broker.db`` in the checkout and
    share its queues with every other such test. The environment outranks the default, so
    here it names a file of the test's own; a test that sets BROKER_URL keeps its value."""
    if "BROKER_URL" not in os.environ:
        monkeypatch.setenv("BROKER_URL", f"sqla+sqlite:///{tmp_path / 'broker.db'}")


@pytest.fixture
def unique_name() -> str:
    """A short random name for queues, exchanges, databases and keys of one test."""
    return "t" + secrets.token_hex(5)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


class _PostgresPool:
    """Databases this test process created, reused from test to test: each test still gets
    an empty database of its own, but emptying one (its ``public`` schema dropped and made
    again) costs a fraction of ``CREATE DATABASE`` + ``DROP DATABASE``, which take about a
    second together on a busy machine and were paid by every PostgreSQL test. Dropped at the
    end of the session."""

    def __init__(self) -> None:
        self.free: list[str] = []
        self.made: list[str] = []
        self._admin: Any = None

    def admin(self) -> Any:
        if self._admin is None:
            import sqlalchemy as sa

            self._admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        return self._admin

    def url(self, name: str) -> str:
        import sqlalchemy as sa

        url = sa.make_url(POSTGRES_ADMIN_URL).set(database=name)
        return url.render_as_string(hide_password=False)

    def acquire(self, fresh_name: str) -> str:
        if self.free:
            return self.free.pop()
        import sqlalchemy as sa

        with self.admin().connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{fresh_name}"'))
        self.made.append(fresh_name)
        return fresh_name

    def release(self, name: str) -> None:
        """Empty ``name`` for the next test; drop it instead if that fails."""
        import sqlalchemy as sa

        try:
            with self.admin().connect() as conn:
                # What the test left connected (a pool, a killed process's backend) goes first.
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
            engine = sa.create_engine(self.url(name), isolation_level="AUTOCOMMIT")
            try:
                with engine.connect() as conn:
                    schemas = conn.scalars(
                        sa.text(
                            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'"
                            " AND nspname NOT IN ('information_schema', 'public')"
                        )
                    ).all()
                    for schema in [*schemas, "public"]:
                        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                    conn.execute(sa.text("CREATE SCHEMA public"))
            finally:
                engine.dispose()
        except Exception:
            self.drop(name)
            raise
        self.free.append(name)

    def drop(self, name: str) -> None:
        import sqlalchemy as sa

        with self.admin().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.made:
            self.made.remove(name)

    def close(self) -> None:
        for name in list(self.made):
            self.drop(name)
        self.free.clear()
        if self._admin is not None:
            self._admin.dispose()


_POSTGRES_POOL = _PostgresPool()


class _MigratedTemplates:
    """One database per migration set and backend, brought to the newest migration by
    Alembic once in this test process; each test's database is then made a copy of it.
    Running every migration for every test cost 0.1-0.25 s a test (about 1,500 tests),
    where a copy takes a few milliseconds (SQLite: the backup API, page by page) or one
    ``CREATE DATABASE ... TEMPLATE`` (PostgreSQL). The copy is the migrated database
    itself, seed rows and ``alembic_version`` included."""

    def __init__(self) -> None:
        self._sqlite: dict[Path, Path] = {}
        self._postgres: dict[Path, str] = {}
        self._dir: Path | None = None

    def upgrade(self, database_url: str, migrations_dir: str | Path) -> None:
        import sqlalchemy as sa

        from keel_common.db.alembic import upgrade

        url = sa.make_url(database_url)
        migrations = Path(migrations_dir).resolve()
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self._copy_sqlite(self._sqlite_template(migrations), Path(str(url.database)))
        elif url.get_backend_name() == "postgresql" and url.database in _POSTGRES_POOL.made:
            self._copy_postgres(self._postgres_template(migrations), str(url.database))
        else:
            upgrade(database_url, migrations)

    def _sqlite_template(self, migrations: Path) -> Path:
        from keel_common.db.alembic import upgrade

        if migrations not in self._sqlite:
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix="keel-migrated-"))
            path = self._dir / f"{len(self._sqlite)}.db"
            upgrade(f"sqlite:///{path}", migrations)
            self._sqlite[migrations] = path
        return self._sqlite[migrations]

    @staticmethod
    def _copy_sqlite(template: Path, target: Path) -> None:
        import sqlite3

        source, copy = sqlite3.connect(template), sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()

    def _postgres_template(self, migrations: Path) -> str:
        from keel_common.db.alembic import upgrade

        if migrations not in self._postgres:
            name = _POSTGRES_POOL.acquire("t" + secrets.token_hex(5))
            upgrade(_POSTGRES_POOL.url(name), migrations)
            _POSTGRES_POOL.made.remove(name)  # a template, never handed to a test
            self._postgres[migrations] = name
        return self._postgres[migrations]

    @staticmethod
    def _copy_postgres(template: str, target: str) -> None:
        import sqlalchemy as sa

        with _POSTGRES_POOL.admin().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{target}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{target}" TEMPLATE "{template}"'))

    def close(self) -> None:
        import sqlalchemy as sa

        if self._postgres:
            with _POSTGRES_POOL.admin().connect() as conn:
                for name in self._postgres.values():
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._postgres.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)


_TEMPLATES = _MigratedTemplates()


def upgrade_from_template(database_url: str, migrations_dir: str | Path) -> None:
    """For tests: what ``keel_common.db.alembic.upgrade(database_url, migrations_dir)`` makes
    of an empty database, as a copy of one migrated once in this process (see
    ``_MigratedTemplates``); a URL that is not a test's own file or pooled database is
    migrated the usual way. Tests of the migrations themselves call ``upgrade``."""
    _TEMPLATES.upgrade(database_url, migrations_dir)


def pytest_sessionfinish(session: pytest.Session) -> None:
    _TEMPLATES.close()
    if _POSTGRES_POOL.made:
        _POSTGRES_POOL.close()


@pytest.fixture
def postgres_url(unique_name: str) -> Iterator[str]:
    """An empty PostgreSQL database of the test's own (see ``_PostgresPool``)."""
    require(
        port_open(POSTGRES_ADMIN_URL, 5432), f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}"
    )
    name = _POSTGRES_POOL.acquire(unique_name)
    try:
        yield _POSTGRES_POOL.url(name)
    finally:
        _POSTGRES_POOL.release(name)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def rabbitmq_url() -> str:
    require(port_open(RABBITMQ_URL, 5672), f"RabbitMQ is not reachable at {RABBITMQ_URL}")
    return RABBITMQ_URL


@pytest.fixture
def redis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A dedicated Redis database (one per xdist worker), flushed before and after the test."""
    require(port_open(REDIS_URL, 6379), f"Redis is not reachable at {REDIS_URL}")
    import redis

    workerinput = getattr(request.config, "workerinput", None)
    # KEEL_TEST_REDIS_DB_BASE lets two test runs on one machine use disjoint databases.
    base = int(os.environ.get("KEEL_TEST_REDIS_DB_BASE", "1"))
    index = base + (int(workerinput["workerid"][2:]) if workerinput else 0)
    url = f"{REDIS_URL.rstrip('/')}/{index}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
