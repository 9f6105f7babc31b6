"""PostgreSQL full-text search (tsvector + GIN) over the same catalogue, for comparison.

Same work per query as the embedded engine's adapter: the page (ranked or sorted), the
total, counts per category, and highlights of the page's title and description. There is
no typo tolerance in PostgreSQL FTS (that would take pg_trgm), so typo queries find less.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from keel_search.domain.products import ProductDocument

SCHEMA = """
CREATE TABLE products (
    id uuid PRIMARY KEY,
    title text NOT NULL,
    description text NOT NULL,
    category text NOT NULL,
    price_cents bigint NOT NULL,
    currency text NOT NULL,
    created_at timestamptz NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A')
        || setweight(to_tsvector('simple', category), 'B')
        || setweight(to_tsvector('simple', description), 'C')
    ) STORED
)
"""
INDEXES = (
    "CREATE INDEX products_tsv ON products USING gin (tsv)",
    "CREATE INDEX products_price ON products (price_cents)",
    "CREATE INDEX products_created ON products (created_at)",
)
COLUMNS = "id, title, description, category, price_cents, currency, created_at"
ORDER = {
    "relevance": "rank DESC",
    "newest": "created_at DESC",
    "price_asc": "price_cents ASC",
    "price_desc": "price_cents DESC",
}
HEADLINE = "'StartSel=<mark>,StopSel=</mark>,HighlightAll=true'"
_WORD = re.compile(r"[^\W_]+")


def load(conninfo: str, documents: Iterable[ProductDocument], workdir: Path) -> float:
    """Create the table, COPY the catalogue in, build the indexes; returns the seconds this
    took. The rows go to a CSV file first, so generating them is not timed."""
    rows = workdir / "products.csv"
    with rows.open("w", newline="") as out:
        writer = csv.writer(out)
        for d in documents:
            writer.writerow(
                (d.id, d.title, d.description, d.category, d.price_cents, d.currency,
                 d.created_at.isoformat())
            )  # fmt: skip
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(SCHEMA)
        copy_sql = f"COPY products ({COLUMNS}) FROM STDIN (FORMAT csv)"
        with rows.open("rb") as data, conn.cursor().copy(copy_sql) as copy:
            while chunk := data.read(1 << 20):
                copy.write(chunk)
        for statement in INDEXES:
            conn.execute(statement)
        conn.execute("ANALYZE products")
    seconds = time.perf_counter() - started
    rows.unlink()
    return seconds


def tsquery(text: str) -> str | None:
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None
    terms = [f"'{w}'" for w in words]
    if not text[-1].isspace():
        terms[-1] += ":*"  # the word being typed
    return " & ".join(terms)


def search(conn: psycopg.Connection[Any], params: dict[str, Any], limit: int = 20) -> int:
    """Run one search the way the service would; returns the total."""
    query = tsquery(str(params.get("text", "")))
    where = ["tsv @@ q"] if query else []
    args: dict[str, Any] = {"q": query or "", "limit": limit}
    for name, clause in (("min_price_cents", "price_cents >= %(min_price_cents)s"),
                         ("max_price_cents", "price_cents <= %(max_price_cents)s")):  # fmt: skip
        if name in params:
            where.append(clause)
            args[name] = params[name]
    facet_where = " AND ".join(where) or "true"
    page_where = facet_where
    if "category" in params:
        page_where += " AND category = %(category)s"
        args["category"] = params["category"]
    order = ORDER[str(params.get("sort", "relevance"))]
    # Only this module's constant clauses are composed in; every value is a bound parameter.
    page = sql.SQL(
        """
        SELECT ts_headline('simple', title, q, {headline}),
               ts_headline('simple', description, q, {headline}), total
        FROM (SELECT *, ts_rank_cd(tsv, q) AS rank, count(*) OVER () AS total
              FROM products, to_tsquery('simple', %(q)s) q
              WHERE {where} ORDER BY {order} LIMIT %(limit)s) page
        """
    ).format(headline=sql.SQL(HEADLINE), where=sql.SQL(page_where), order=sql.SQL(order))
    facets = sql.SQL(
        """
        SELECT category, count(*) FROM products, to_tsquery('simple', %(q)s) q
        WHERE {where} GROUP BY category ORDER BY count(*) DESC LIMIT 50
        """
    ).format(where=sql.SQL(facet_where))
    rows = conn.execute(page, args).fetchall()
    conn.execute(facets, args).fetchall()
    return int(rows[0][2]) if rows else 0
