"""Where a person's identifiers still are: every table of every service's database (rows
cast to text), every file of the search index on disk, and auth's rate-limit store (every
key and value in Redis, or the local file).

Nothing here knows a service's schema: tables are enumerated from the catalog, so a table
added tomorrow is searched too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from .platform import Platform
from .servers import SERVICES

_TABLES = sa.text(
    "SELECT table_schema, table_name FROM information_schema.tables"
    " WHERE table_type = 'BASE TABLE'"
    " AND table_schema NOT IN ('pg_catalog', 'information_schema')"
    " ORDER BY 1, 2"
)


@dataclass(frozen=True)
class Hit:
    """A row (or index file) holding one of the identifiers looked for."""

    service: str
    table: str
    row: str

    def __str__(self) -> str:
        return f"{self.service}.{self.table}: {self.row[:300]}"


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def database_hits(platform: Platform, identifiers: Iterable[str]) -> list[Hit]:
    """Every row of every table of the four databases whose text holds an identifier
    (case-insensitive)."""
    patterns = [_like(i) for i in identifiers if i]
    hits = []
    for service in SERVICES:
        engine = sa.create_engine(platform.env[service]["DATABASE_URL"])
        try:
            with engine.connect() as conn:
                quote = conn.dialect.identifier_preparer.quote
                for schema, table in conn.execute(_TABLES).all():
                    name = f"{quote(schema)}.{quote(table)}"
                    query = f"SELECT t::text FROM {name} AS t WHERE t::text ILIKE ANY(:p)"  # noqa: S608
                    rows = conn.execute(sa.text(query), {"p": patterns}).scalars()
                    hits += [Hit(service, table, row) for row in rows]
        finally:
            engine.dispose()
    return hits


def scalar(platform: Platform, service: str, query: str, **params: object) -> object:
    """The one value ``query`` selects from ``service``'s database."""
    engine = sa.create_engine(platform.env[service]["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query), params).scalar_one()
    finally:
        engine.dispose()


def search_index_dir(platform: Platform) -> Path:
    """The embedded index of search's worker: ``SEARCH_INDEX_DIR`` (default
    ``var/search-index``) under the processes' working directory."""
    configured = platform.env["search"].get("SEARCH_INDEX_DIR", "var/search-index")
    return platform.workdir / configured


def index_file_hits(platform: Platform, identifiers: Iterable[str]) -> list[Hit]:
    """Every file of the search index whose bytes hold an identifier (any case)."""
    needles = [i.lower().encode() for i in identifiers if i]
    hits = []
    for path in sorted(search_index_dir(platform).rglob("*")):
        if path.is_file():
            content = path.read_bytes().lower()
            found = [n.decode() for n in needles if n in content]
            if found:
                hits.append(Hit("search", f"index file {path.name}", ", ".join(found)))
    return hits


def rate_limit_store(platform: Platform) -> list[bytes]:
    """Every key and value of auth's rate-limit store: its Redis database when the platform
    has ``REDIS_URL``, else the local SQLite file (and its write-ahead log)."""
    redis_url = platform.env["auth"].get("REDIS_URL")
    if not redis_url:
        path = platform.workdir / platform.env["auth"].get(
            "RATE_LIMIT_PATH", "var/auth-rate-limits.db"
        )
        return [p.read_bytes() for p in path.parent.glob(f"{path.name}*") if p.is_file()]
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        readers = {
            b"string": lambda k: [client.get(k) or b""],
            b"list": lambda k: client.lrange(k, 0, -1),
            b"hash": lambda k: [*client.hgetall(k).keys(), *client.hgetall(k).values()],
            b"set": lambda k: list(client.smembers(k)),
            b"zset": lambda k: client.zrange(k, 0, -1),
        }
        stored = []
        for key in client.scan_iter(count=1000):
            stored += [key, *readers.get(client.type(key), lambda k: [])(key)]
        return stored
    finally:
        client.close()


def rate_limit_hits(platform: Platform, identifiers: Iterable[str]) -> list[Hit]:
    """The rate-limit entries whose key or value holds an identifier (any case)."""
    needles = [i.lower().encode() for i in identifiers if i]
    return [
        Hit("auth", "rate-limit store", entry.decode(errors="replace"))
        for entry in rate_limit_store(platform)
        if any(n in entry.lower() for n in needles)
    ]
