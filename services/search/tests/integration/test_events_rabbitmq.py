"""The worker against a real RabbitMQ: events in, searchable out, whatever their order,
repetition, or a rebuild running at the same time.

Every wait below is a liveness limit (the test fails instead of hanging), never a speed
assertion: the lag is measured by ``bench/search/lag.py``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pika
import pytest
from prometheus_client import REGISTRY

from keel_common.discovery import FakeDiscovery
from keel_common.messaging import Broker, Envelope, QueueSpec, create_broker
from keel_common.service import ServiceDeclaration
from keel_common.settings import load_settings
from keel_common.testing import eventually
from keel_common.worker import run_worker
from keel_search.adapters.embedded.index import EmbeddedSearchIndex
from keel_search.adapters.fakes import FakeProductSource, FakeUnitOfWork
from keel_search.bootstrap import PRODUCT_EVENTS, bootstrap
from keel_search.config import SearchSettings
from keel_search.domain.commands import RebuildIndex
from keel_search.domain.products import ProductDocument
from keel_search.domain.queries import SearchQuery
from keel_search.service_layer import rebuilding

MakeProduct = Callable[..., ProductDocument]
ProductEvent = Callable[..., Envelope]
DEADLINE = 30.0


class Worker:
    """``keel-search worker`` (the generic worker running search's product subscription, on
    a queue of its own), and a reader that searches like the web process."""

    def __init__(self, url: str, exchange: str, root: Path) -> None:
        subscription = dataclasses.replace(
            PRODUCT_EVENTS,
            queue=f"{exchange}.search.products",
            max_attempts=2,
            retry_delays=(0.2,),
            consumers=4,
        )
        self.spec: QueueSpec = subscription.spec
        self.declaration = ServiceDeclaration(
            name="search", bootstrap=bootstrap, consumes=(subscription,)
        )
        self.publisher: Broker = create_broker(
            url, exchange=exchange, service="core", queues=[self.spec]
        )
        settings = load_settings(
            SearchSettings,
            database_url=f"sqlite:///{root.parent / 'search.db'}",
            search_index_dir=root,
        )
        self.service = bootstrap(
            settings,
            broker=create_broker(url, exchange=exchange, service="search", queues=[self.spec]),
            discovery=FakeDiscovery(),
            product_source=FakeProductSource(),
        )
        self.reader = EmbeddedSearchIndex(root)
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=run_worker, args=(self.declaration, self.service, self.stop)
        )

    def outcomes(self, outcome: str) -> float:
        labels = {"service": "search", "queue": self.spec.name, "outcome": outcome}
        return REGISTRY.get_sample_value("keel_consumer_messages_total", labels) or 0.0

    def processed(self) -> float:
        return sum(self.outcomes(o) for o in ("handled", "duplicate", "dead_lettered"))

    def titles(self, text: str = "") -> list[str]:
        found = self.reader.search(SearchQuery.parse(text=text, limit=100, sort="price_asc"))
        return [hit.product.title for hit in found.hits]


@pytest.fixture
def worker(rabbitmq_url: str, unique_name: str, tmp_path: Path) -> Iterator[Worker]:
    worker = Worker(rabbitmq_url, unique_name, tmp_path / "index")
    worker.publisher.check()  # declares the topology before anything is published
    worker.thread.start()
    try:
        yield worker
    finally:
        worker.stop.set()
        worker.thread.join(DEADLINE)  # the worker closes its handler and the service
        worker.publisher.close()
        _delete_topology(rabbitmq_url, unique_name, worker.spec)


def _delete_topology(url: str, exchange: str, spec: QueueSpec) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for queue in (spec.name, spec.dead_queue, *spec.retry_queues):
        channel.queue_delete(queue)
    for name in (exchange, f"{exchange}.dlx", spec.retry_exchange):
        channel.exchange_delete(name)
    connection.close()


def lag_count() -> float:
    return (
        REGISTRY.get_sample_value("keel_search_index_lag_seconds_count", {"service": "search"})
        or 0.0
    )


def test_published_products_become_searchable_and_the_lag_is_exported(
    worker: Worker, make_product: MakeProduct, product_event: ProductEvent
) -> None:
    before = lag_count()
    products = [make_product(title=f"Lamp {n}", price_cents=100 + n) for n in range(20)]
    for product in products:
        worker.publisher.publish(product_event("created", product))
    eventually(lambda: len(worker.titles("lamp")) == 20, "20 products searchable", DEADLINE)
    assert worker.titles("lamp") == [p.title for p in products]
    # observed by the handler right after the commit that made the product visible
    eventually(lambda: lag_count() - before == 20, "one lag observation per product", DEADLINE)


def test_stale_reordered_and_redelivered_events_converge(
    worker: Worker, make_product: MakeProduct, product_event: ProductEvent
) -> None:
    lamp = make_product(title="Brass lamp", price_cents=100)
    copper = make_product(id=lamp.id, title="Copper lamp", price_cents=100, version=3)
    chair = make_product(title="Oak chair", price_cents=200, version=1)
    events = [
        product_event("created", lamp),
        product_event("updated", copper),
        product_event("updated", make_product(id=lamp.id, title="Stale lamp", version=2)),
        product_event("deleted", make_product(id=chair.id, version=5)),  # before its creation
        product_event("updated", make_product(id=chair.id, title="Pine chair", version=4)),
        product_event("created", chair),
        product_event("created", make_product(title="Broken", version=1), price_cents="12"),
    ]
    events.insert(3, events[1])  # the same event delivered again
    for envelope in events:
        worker.publisher.publish(envelope)
    eventually(lambda: worker.processed() == len(events), "every event processed", DEADLINE)
    assert worker.titles() == ["Copper lamp"]
    # The worker's consumer threads may take these in any order, so how many turn out stale
    # varies (up to 4: stale v2, the repeated v3, chair's v4 and v1 after its deletion); the
    # second copy of v3 is always one, and whatever the order the index converges (above).
    assert 1 <= worker.outcomes("duplicate") <= 4
    assert worker.outcomes("duplicate") + worker.outcomes("handled") == len(events) - 1
    assert worker.outcomes("dead_lettered") == 1


def test_a_rebuild_keeps_serving_and_loses_no_event(
    worker: Worker, make_product: MakeProduct, product_event: ProductEvent
) -> None:
    kept, updated, deleted = (make_product(title=f"Lamp {n}", price_cents=n) for n in (1, 2, 3))
    for product in (kept, updated, deleted):
        worker.publisher.publish(product_event("created", product))
    eventually(lambda: len(worker.titles("lamp")) == 3, "the first products searchable", DEADLINE)

    events_applied = threading.Event()
    streamed = [make_product(title=f"Catalogue lamp {n}", price_cents=100 + n) for n in range(50)]

    class SlowCatalogue(FakeProductSource):
        def stream(self) -> Iterator[ProductDocument]:
            yield from (kept, updated, deleted, *streamed[:25])
            events_applied.wait(DEADLINE)  # the events below arrive mid-rebuild
            yield from streamed[25:]

    rebuilder = EmbeddedSearchIndex(worker.reader.directory.root)
    uow = FakeUnitOfWork()
    job, builder = rebuilding.start_rebuild(RebuildIndex("test"), rebuilder, uow, time_now)
    rebuild = threading.Thread(
        target=rebuilding.run_rebuild, args=(job.id, builder, SlowCatalogue(), uow, time_now)
    )
    rebuild.start()
    created = make_product(title="Lamp 4", price_cents=4)
    for envelope in (
        product_event(
            "updated", make_product(id=updated.id, title="Lamp 2b", price_cents=2, version=2)
        ),
        product_event("deleted", make_product(id=deleted.id, version=2)),
        product_event("created", created),
    ):
        worker.publisher.publish(envelope)
    eventually(
        lambda: worker.titles("lamp") == ["Lamp 1", "Lamp 2b", "Lamp 4"], "live updates", DEADLINE
    )
    events_applied.set()
    while rebuild.is_alive():
        assert len(worker.titles("lamp")) >= 3  # search keeps answering during the rebuild
        rebuild.join(0.01)
    assert rebuilding.get_rebuild(job.id, uow).documents == 53  # 50 streamed, 3 live
    assert worker.titles("lamp")[:3] == ["Lamp 1", "Lamp 2b", "Lamp 4"]
    assert len(worker.titles("catalogue")) == 50
    rebuilder.close()


def time_now() -> datetime:
    return datetime.now(UTC)
