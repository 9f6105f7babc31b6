"""The result cache on the embedded index, as deployed: whatever changes the index - a
change applied here, a commit or a rebuild by another process - the next search sees it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from keel_search.bootstrap import Search
from keel_search.domain.products import ProductDocument
from keel_search.domain.queries import SearchQuery
from keel_search.entrypoints.flask_app import create_app
from keel_search.entrypoints.schemas import SearchOut
from keel_search.entrypoints.search_json import writes_as_flask
from keel_search.service_layer.searching import search_products

MakeProduct = Callable[..., ProductDocument]
DEADLINE = 30.0  # seconds; a liveness limit for a stuck child, not a speed assertion

# Another process on the same directory: "apply" commits one product, "rebuild" swaps in a
# generation holding only the products named.
OTHER_PROCESS = """
import sys, uuid
from datetime import UTC, datetime
from keel_search.adapters.embedded.index import EmbeddedSearchIndex
from keel_search.domain.products import ProductDocument
now = datetime.now(UTC)
index = EmbeddedSearchIndex(sys.argv[1])
products = [ProductDocument(uuid.uuid4(), title, "", "misc", 100, "EUR", uuid.uuid4(), now, now, 1)
            for title in sys.argv[3:]]
if sys.argv[2] == "apply":
    index.apply(products)
else:
    builder = index.start_rebuild()
    builder.add(products)
    builder.finish()
index.close()
"""


def in_another_process(search: Search, action: str, *titles: str) -> None:
    script = textwrap.dedent(OTHER_PROCESS)
    root = str(search.settings.search_index_dir)
    done = subprocess.run([sys.executable, "-c", script, root, action, *titles], timeout=DEADLINE)
    assert done.returncode == 0


def hits(client: FlaskClient, text: str = "lamp") -> list[str]:
    answer = client.get("/v1/search/products", query_string={"q": text})
    assert answer.status_code == 200
    return sorted(hit["title"] for hit in answer.get_json()["hits"])


def lookups(outcome: str) -> float:
    labels = {"service": "search", "outcome": outcome}
    return REGISTRY.get_sample_value("keel_search_result_cache_lookups_total", labels) or 0.0


@pytest.fixture
def client(wired: Search) -> FlaskClient:
    return create_app(wired).test_client()


def test_a_repeated_search_is_a_hit_and_answers_the_same_bytes(
    wired: Search, client: FlaskClient, make_product: MakeProduct
) -> None:
    wired.index.apply([make_product(title="Brass lamp")])
    before = lookups("hit"), lookups("miss")
    first = client.get("/v1/search/products?q=lamp").data
    assert client.get("/v1/search/products?q=lamp").data == first
    assert (lookups("hit") - before[0], lookups("miss") - before[1]) == (1, 1)


def test_a_change_applied_in_this_process_is_seen_by_the_next_search(
    wired: Search, client: FlaskClient, make_product: MakeProduct
) -> None:
    lamp = make_product(title="Brass lamp")
    wired.index.apply([lamp])
    assert hits(client) == hits(client) == ["Brass lamp"]
    wired.index.apply([make_product(id=lamp.id, title="Copper lamp", version=2)])
    assert hits(client) == ["Copper lamp"]


def test_a_commit_by_another_process_is_seen_by_the_next_search(
    wired: Search, client: FlaskClient
) -> None:
    in_another_process(wired, "apply", "Brass lamp")  # the worker: this process only reads
    assert hits(client) == hits(client) == ["Brass lamp"]
    version = wired.index.state_version()
    in_another_process(wired, "apply", "Copper lamp")
    assert wired.index.state_version() != version
    assert hits(client) == ["Brass lamp", "Copper lamp"]


def test_a_rebuild_swapped_in_by_another_process_is_seen_by_the_next_search(
    wired: Search, client: FlaskClient, make_product: MakeProduct
) -> None:
    wired.index.apply([make_product(title="Brass lamp")])
    assert hits(client) == hits(client) == ["Brass lamp"]
    in_another_process(wired, "rebuild", "Rebuilt lamp")
    assert hits(client) == ["Rebuilt lamp"]
    in_another_process(wired, "apply", "Late lamp")  # into the generation swapped in
    assert hits(client) == ["Late lamp", "Rebuilt lamp"]


def test_the_body_is_jsonify_of_the_schema_with_and_without_the_cache(
    wired: Search, make_product: MakeProduct
) -> None:
    wired.index.apply(
        [
            make_product(title="Brass lamp <b>", thumbnail_url="https://img.example/1.webp"),
            *(make_product(title=f"Lamp {n}", category=f"c{n % 3}") for n in range(25)),
        ]
    )
    app = create_app(wired)
    assert writes_as_flask(app.json, app.debug)  # the body is written directly, not by Flask
    params: dict[str, Any] = {"q": "lamp", "limit": 5}
    with app.test_request_context():
        from flask import jsonify

        result = search_products(SearchQuery.parse(text="lamp", limit=5), wired.index)
        expected = jsonify(SearchOut.of(result).model_dump(mode="json")).get_data()
    cached = app.test_client().get("/v1/search/products", query_string=params)
    wired.result_cache = None
    uncached = app.test_client().get("/v1/search/products", query_string=params)
    assert cached.data == uncached.data == expected
    assert cached.content_type == uncached.content_type == "application/json"
