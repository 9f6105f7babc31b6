"""Index lag through a real RabbitMQ: from a product event's creation to a reader seeing it.

    uv run python bench/search/lag.py [--rates 20,200] [--events 600] [--consumers 8]

The worker (``keel_common.worker`` running search's product subscription: its consumers
and group-committing embedded index, as ``keel-search worker`` runs them) and a reader (a
second index handle, as the web process holds, looking for the worker's commits every
``--refresh`` seconds: SEARCH_REFRESH_SECONDS, its default unless given) run in this
process; a poller searches every 10 ms and notes when each product first shows. The lag
does not include core's outbox relay. RabbitMQ: RABBITMQ_BENCH_URL (default local); the
exchange and queues are created for the run and deleted after it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pika

from keel_common.discovery import FakeDiscovery
from keel_common.messaging import Envelope, QueueSpec, create_broker
from keel_common.service import ServiceDeclaration
from keel_common.settings import load_settings
from keel_common.worker import run_worker
from keel_search.adapters.embedded.index import EmbeddedSearchIndex
from keel_search.adapters.fakes import FakeProductSource
from keel_search.bootstrap import PRODUCT_EVENTS, Search, bootstrap
from keel_search.config import SearchSettings
from keel_search.domain.queries import SearchQuery

URL = os.environ.get("RABBITMQ_BENCH_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
POLL = 0.01
START = datetime(2030, 1, 1, tzinfo=UTC)


def created(n: int) -> Envelope:
    product_id = str(uuid.uuid4())
    stamp = (START + timedelta(seconds=n)).isoformat()  # newest first = most recent event
    data = {
        "id": product_id, "owner_id": str(uuid.uuid4()), "title": f"Benchlag lamp lag{n}",
        "description": "", "price_cents": 100, "currency": "EUR", "category": "bench",
        "stock": 1, "version": 1, "created_at": stamp, "updated_at": stamp, "deleted_at": None,
    }  # fmt: skip
    return Envelope.new("core.product.created.v1", "keel-core", data, subject=product_id)


def poll(
    reader: EmbeddedSearchIndex,
    sent: dict[str, tuple[float, str]],
    seen: dict[str, float],
    stop: threading.Event,
) -> None:
    """Newest first catches most products; stragglers are looked up by their own word, and
    count as seen only when the product itself is a hit: "lag12" forgives one typo, so it
    also finds "lag13" or "lag1" while lag12 is not searchable yet."""
    newest = SearchQuery.parse(text="benchlag ", sort="newest", limit=100)
    while not stop.is_set():
        now = time.time()
        for hit in reader.search(newest).hits:
            seen.setdefault(str(hit.product.id), now)
        late = [k for k, (at, _) in list(sent.items()) if k not in seen and now - at > 0.3]
        for key in late[:50]:
            hits = reader.search(SearchQuery.parse(text=f"{sent[key][1]} ", limit=100)).hits
            if any(str(hit.product.id) == key for hit in hits):
                seen.setdefault(key, time.time())
        time.sleep(POLL)


def worker(
    exchange: str, consumers: int, root: Path
) -> tuple[ServiceDeclaration[Search], Search, QueueSpec]:
    """Search's declaration with the product subscription on a queue of the run's own."""
    subscription = dataclasses.replace(
        PRODUCT_EVENTS, queue=f"{exchange}.search.products", consumers=consumers
    )
    declaration = ServiceDeclaration(name="search", bootstrap=bootstrap, consumes=(subscription,))
    settings = load_settings(
        SearchSettings,
        database_url=f"sqlite:///{root / 'search.db'}",
        search_index_dir=root / "index",
    )
    consumer = create_broker(URL, exchange=exchange, service="search", queues=[subscription.spec])
    service = bootstrap(
        settings, broker=consumer, discovery=FakeDiscovery(), product_source=FakeProductSource()
    )
    return declaration, service, subscription.spec


def run(rate: float, events: int, consumers: int, refresh: float, root: Path) -> list[float]:
    exchange = f"bench-{secrets.token_hex(4)}"
    declaration, service, spec = worker(exchange, consumers, root)
    publisher = create_broker(URL, exchange=exchange, service="core", queues=[spec])
    publisher.check()
    reader = EmbeddedSearchIndex(root / "index", refresh_seconds=refresh)
    stop = threading.Event()
    seen: dict[str, float] = {}
    sent: dict[str, tuple[float, str]] = {}
    threads = [
        threading.Thread(target=run_worker, args=(declaration, service, stop)),
        threading.Thread(target=poll, args=(reader, sent, seen, stop)),
    ]
    for thread in threads:
        thread.start()
    try:
        for n in range(events):
            envelope = created(n)
            at = datetime.fromisoformat(envelope.time).timestamp()
            sent[str(envelope.subject)] = (at, f"lag{n}")
            publisher.publish(envelope)
            time.sleep(max(0.0, at + 1 / rate - time.time()))
        deadline = time.time() + 60
        while len(seen.keys() & sent.keys()) < events and time.time() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join()  # the worker closes its handler and the service
        publisher.close()
        _delete(exchange, spec)
    return sorted(seen[key] - sent[key][0] for key in sent if key in seen)


def _delete(exchange: str, spec: QueueSpec) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    channel = connection.channel()
    for queue in (spec.name, spec.dead_queue, *spec.retry_queues):
        channel.queue_delete(queue)
    for name in (exchange, f"{exchange}.dlx"):
        channel.exchange_delete(name)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rates", default="20,200", help="events per second, comma-separated")
    parser.add_argument("--events", type=int, default=600, help="events per rate")
    parser.add_argument("--consumers", type=int, default=8, help="consumer threads")
    default_refresh = SearchSettings.model_fields["search_refresh_seconds"].default
    parser.add_argument(
        "--refresh", type=float, default=default_refresh, help="the reader's SEARCH_REFRESH_SECONDS"
    )
    args = parser.parse_args()
    print(f"settings: events={args.events} consumers={args.consumers} poll={POLL * 1000:.0f}ms "
          f"refresh={args.refresh:g}s "
          f"load average {os.getloadavg()[0]:.1f} (2 shared CPUs)")  # fmt: skip
    print(f"{'rate/s':>8}{'seen':>7}{'p50 s':>8}{'p95 s':>8}{'p99 s':>8}{'max s':>8}")
    for rate in (float(r) for r in args.rates.split(",")):
        with tempfile.TemporaryDirectory(prefix="keel-lag-", ignore_cleanup_errors=True) as root:
            lags = run(rate, args.events, args.consumers, args.refresh, Path(root))
        if not lags:
            print(f"{rate:>8.0f}{0:>7}  nothing became visible")
            continue
        cells = [lags[min(len(lags) - 1, int(f * len(lags)))] for f in (0.5, 0.95, 0.99)]
        print(f"{rate:>8.0f}{len(lags):>7}" + "".join(f"{c:>8.3f}" for c in [*cells, lags[-1]]))


if __name__ == "__main__":
    main()
