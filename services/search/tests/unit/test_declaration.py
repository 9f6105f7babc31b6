"""What ``bootstrap.DECLARATION`` tells the platform, and the worker it gives."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from keel_common.discovery import FakeDiscovery
from keel_common.messaging import Envelope, QueueSpec
from keel_common.messaging.fakes import FakeBroker
from keel_common.settings import load_settings
from keel_common.worker import run_worker, worker_threads
from keel_events.core import ProductCreated
from keel_events.privacy import SearchUserErased
from keel_search.adapters.fakes import FakeProductSource, FakeSearchIndex
from keel_search.adapters.group_commit import GroupCommitIndex
from keel_search.adapters.metrics import INDEX_LAG, RESULT_CACHE_LOOKUPS
from keel_search.adapters.result_cache import InMemoryResultCache
from keel_search.bootstrap import DECLARATION, Search, bootstrap
from keel_search.config import SearchSettings
from keel_search.domain.products import ProductDocument
from keel_search.entrypoints.consumer import ProductEventHandler

MakeProduct = Callable[..., ProductDocument]


def wired(tmp_path: Path, **settings: Any) -> Search:
    """Search on fakes; the SQLite engine is never connected."""
    return bootstrap(
        load_settings(
            SearchSettings,
            database_url=f"sqlite:///{tmp_path / 'search.db'}",
            search_index_dir=tmp_path / "index",
            **settings,
        ),
        index=FakeSearchIndex(),
        broker=FakeBroker("search"),
        discovery=FakeDiscovery(),
        product_source=FakeProductSource(),
        outbox=None,  # no relay: it would connect to the database and run until stopped
    )


def test_search_consumes_product_events_and_erasures_and_publishes_its_reports() -> None:
    subscription, erasures = DECLARATION.consumes
    assert subscription.spec == QueueSpec(
        "search.products",
        ("core.product.created.v1", "core.product.updated.v1", "core.product.deleted.v1"),
    )
    assert subscription.prefetch == 10
    assert erasures.spec == QueueSpec("search.erasure", ("auth.user.erasure_requested.v1",))
    assert DECLARATION.publishes == (SearchUserErased,) and DECLARATION.outbox is not None
    assert INDEX_LAG in DECLARATION.metrics
    assert DECLARATION.jobs["reindex"].schedule is None  # on demand only


def test_the_consumers_share_one_group_committing_index(tmp_path: Path) -> None:
    search = wired(tmp_path, search_consumers=3, search_batch_size=7)
    threads, [handler, _] = worker_threads(DECLARATION, search, threading.Event())
    products = [t.name for t in threads if t.name.startswith("search.products")]
    assert products == [f"search.products-{n}" for n in range(3)]
    assert isinstance(handler, ProductEventHandler)
    assert isinstance(handler.index, GroupCommitIndex)
    assert (handler.index.index, handler.index.max_batch) == (search.index, 7)
    handler.close()
    search.close()


def test_the_worker_indexes_a_published_product(tmp_path: Path, make_product: MakeProduct) -> None:
    search = wired(tmp_path, search_consumers=1)
    lamp = make_product(title="Brass lamp")
    event = ProductCreated(**vars(lamp), stock=1, deleted_at=None)
    assert isinstance(search.broker, FakeBroker)
    search.broker.publish(
        Envelope.new(event.type, "keel-core", event.to_data(), subject=event.subject)
    )
    run_worker(DECLARATION, search, threading.Event())  # the fake broker's consume returns
    assert isinstance(search.index, FakeSearchIndex)
    assert search.index.state[lamp.id] == lamp
    assert search.index.closes == 1  # the group-commit wrapper leaves it to its owner
    assert search.broker.closed


def test_the_result_cache_is_sized_by_the_settings_and_zero_turns_it_off(tmp_path: Path) -> None:
    cache = wired(tmp_path, search_cache_entries=7, search_cache_bytes=9000).result_cache
    assert isinstance(cache, InMemoryResultCache)
    assert (cache.max_entries, cache.max_bytes) == (7, 9000)
    assert RESULT_CACHE_LOOKUPS in DECLARATION.metrics
    assert wired(tmp_path, search_cache_entries=0).result_cache is None
    assert wired(tmp_path, search_cache_bytes=0).result_cache is None
    opensearch = {"search_engine": "opensearch", "opensearch_url": "http://127.0.0.1:1"}
    assert wired(tmp_path, **opensearch).result_cache is None  # it cannot name its state
