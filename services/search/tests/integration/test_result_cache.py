"""The result cache on the embedded index, as deployed: a change applied by this process is
seen by its next search; a commit or a rebuild by another process (the worker, a reindex
job) once ``SEARCH_REFRESH_SECONDS`` have passed since the process last looked, and until
then the cached answers keep being served."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from keel_common.testing import ManualClock
from keel_search.adapters.embedded.index import EmbeddedSearchIndex
from keel_search.bootstrap import Search, bootstrap
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
from keel_common.testing import ManualClock
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
def clock(wired: Search) -> Iterator[ManualClock]:
    """The wired service's index on a clock the test moves, at the default interval."""
    clock = ManualClock()  # as time.monotonic
    root, interval = wired.settings.search_index_dir, wired.settings.search_refresh_seconds
    wired.index = EmbeddedSearchIndex(root, refresh_seconds=interval, monotonic=clock)
    yield clock
    wired.index.close()


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
    wired: Search, clock: ManualClock, client: FlaskClient, make_product: MakeProduct
) -> None:
    lamp = make_product(title="Brass lamp")
    wired.index.apply([lamp])
    assert hits(client) == hits(client) == ["Brass lamp"]
    wired.index.apply([make_product(id=lamp.id, title="Copper lamp", version=2)])
    assert hits(client) == ["Copper lamp"]  # the clock has not moved


def test_the_worker_s_commits_leave_the_cache_in_use_until_the_interval_has_passed(
    wired: Search, clock: ManualClock, client: FlaskClient
) -> None:
    in_another_process(wired, "apply", "Brass lamp")  # the worker: this process only reads
    assert hits(client) == ["Brass lamp"]
    version, hits_before = wired.index.state_version(), lookups("hit")
    for title in ("Copper lamp", "Steel lamp"):  # orders changing stock, say
        in_another_process(wired, "apply", title)
        clock.now += wired.settings.search_refresh_seconds / 3
        assert hits(client) == ["Brass lamp"]
    assert wired.index.state_version() == version
    assert lookups("hit") - hits_before == 2
    clock.now += wired.settings.search_refresh_seconds / 3
    assert hits(client) == ["Brass lamp", "Copper lamp", "Steel lamp"]
    assert wired.index.state_version() != version


def test_a_rebuild_swapped_in_by_another_process_is_seen_once_the_interval_has_passed(
    wired: Search, clock: ManualClock, client: FlaskClient, make_product: MakeProduct
) -> None:
    wired.index.apply([make_product(title="Brass lamp")])
    assert hits(client) == hits(client) == ["Brass lamp"]
    in_another_process(wired, "rebuild", "Rebuilt lamp")
    assert hits(client) == ["Brass lamp"]
    clock.now += wired.settings.search_refresh_seconds
    assert hits(client) == ["Rebuilt lamp"]
    in_another_process(wired, "apply", "Late lamp")  # into the generation swapped in
    clock.now += wired.settings.search_refresh_seconds
    assert hits(client) == ["Late lamp", "Rebuilt lamp"]


def test_a_rebuild_finished_in_this_process_is_seen_by_its_next_search(
    wired: Search, clock: ManualClock, client: FlaskClient, make_product: MakeProduct
) -> None:
    wired.index.apply([make_product(title="Brass lamp")])
    assert hits(client) == ["Brass lamp"]
    builder = wired.index.start_rebuild()
    builder.add([make_product(title="Rebuilt lamp")])
    builder.finish()
    assert hits(client) == ["Rebuilt lamp"]  # the clock has not moved


def test_the_service_takes_its_interval_from_the_settings(wired: Search) -> None:
    """Through ``bootstrap`` with a real clock: at an interval longer than the test, another
    process's commit stays unseen until this process is told to look."""
    settings = wired.settings.model_copy(update={"search_refresh_seconds": 3600.0})
    service = bootstrap(settings, broker=wired.broker, discovery=wired.discovery,
                        product_source=wired.product_source, verifier=wired.verifier)  # fmt: skip
    try:
        client = create_app(service).test_client()
        in_another_process(service, "apply", "Brass lamp")
        assert hits(client) == ["Brass lamp"]
        in_another_process(service, "apply", "Copper lamp")
        assert hits(client) == ["Brass lamp"]
        assert isinstance(service.index, EmbeddedSearchIndex)
        service.index.look_now()
        assert hits(client) == ["Brass lamp", "Copper lamp"]
    finally:
        service.index.close()
        service.engine.dispose()


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
