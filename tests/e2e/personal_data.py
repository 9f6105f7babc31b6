"""Where a person's identifiers still are: every table of every service's database (rows
cast to text) and every file of the search index on disk.

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
