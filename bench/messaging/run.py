"""Messaging throughput: keel_common.messaging beside raw pika and raw kombu, in one run.

    uv run python bench/messaging/run.py [--messages 20000] [--embedded-messages 5000]

Every row publishes the same small envelope as a persistent message to a durable queue with
publisher confirms, then measures end to end: a consumer in another process (prefetch 100,
one manual ack per message) is started first and the clock runs from the first publish to
its last ack. Only 127.0.0.1 is ever used. The layer is expected to reach 80 % of raw pika.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import kombu
import pika

from keel_common.messaging import Broker, Envelope, QueueSpec, create_broker
from keel_common.messaging.topology import dead_letter_exchange

URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
KOMBU_URL = "amqp://guest:guest@127.0.0.1:5672//"
EVENT = "bench.thing.happened.v1"
PREFETCH = 100
BATCH = 100
TARGET = 0.80


def _body() -> bytes:
    return Envelope.new(EVENT, "keel-bench", {"sku": "SKU-1", "qty": 2}).to_json()


# --- raw pika ----------------------------------------------------------------------------


def pika_publish(queue: str, n: int) -> float:
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    channel = connection.channel()
    channel.confirm_delivery()
    body, props = _body(), pika.BasicProperties(delivery_mode=2, content_type="application/json")
    started = time.time()
    for _ in range(n):
        channel.basic_publish("", queue, body, props)  # waits for this message's confirm
    connection.close()
    return started


def pika_consume(queue: str, n: int, ready, done) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=PREFETCH)
    count = 0

    def on_message(ch, method, properties, body) -> None:
        nonlocal count
        ch.basic_ack(method.delivery_tag)
        count += 1
        if count == n:
            done.put(time.time())
            ch.stop_consuming()

    channel.basic_consume(queue, on_message)
    ready.set()
    channel.start_consuming()
    connection.close()


# --- raw kombu over py-amqp --------------------------------------------------------------


def kombu_publish(queue: str, n: int) -> float:
    with kombu.Connection(KOMBU_URL, transport_options={"confirm_publish": True}) as c:
        producer = kombu.Producer(c.channel())
        body = _body()
        started = time.time()
        for _ in range(n):
            producer.publish(body, exchange="", routing_key=queue, delivery_mode=2,
                             content_type="application/json", content_encoding="utf-8")  # fmt: skip
    return started


def kombu_consume(queue: str, n: int, ready, done) -> None:
    count = 0

    def on_message(message) -> None:
        nonlocal count
        message.ack()
        count += 1

    with kombu.Connection(KOMBU_URL) as connection:
        consumer = kombu.Consumer(
            connection.channel(),
            queues=[kombu.Queue(queue, no_declare=True)],
            on_message=on_message,
            prefetch_count=PREFETCH,
        )
        consumer.consume()
        ready.set()
        while count < n:
            connection.drain_events(timeout=30)
    done.put(time.time())


# --- the layer ---------------------------------------------------------------------------


def _broker(url: str, spec: QueueSpec) -> Broker:
    return create_broker(url, exchange=f"{spec.name}.ex", service="bench", queues=[spec])


def layer_publish(url: str, spec: QueueSpec, n: int, batch: int) -> float:
    broker = _broker(url, spec)
    broker.check()  # connect and declare before the clock starts, as a running relay would
    envelopes = [Envelope.new(EVENT, "keel-bench", {"sku": "SKU-1", "qty": 2}) for _ in range(n)]
    started = time.time()
    if batch == 1:
        for envelope in envelopes:
            broker.publish(envelope)
    else:
        for i in range(0, n, batch):
            broker.publish_batch(envelopes[i : i + batch])
    broker.close()
    return started


def layer_consume(url: str, spec: QueueSpec, n: int, ready, done) -> None:
    broker = _broker(url, spec)
    stop = threading.Event()
    count = 0

    def handle(envelope: Envelope) -> None:
        nonlocal count
        count += 1
        if count == n:
            done.put(time.time())
            stop.set()

    threading.Timer(0.5, ready.set).start()  # consume() blocks; give it time to subscribe
    broker.consume(spec, handle, prefetch=PREFETCH, stop=stop)
    broker.close()


# --- driver ------------------------------------------------------------------------------


def measure(
    publish: Callable[[], float], consume: Callable[..., None] | None, n: int, purge: Callable
) -> tuple[float, float]:
    """(publish msg/s with no consumer, end-to-end msg/s with a consumer in another process)."""
    started = publish()
    publish_rate = n / (time.time() - started)
    purge()
    if consume is None:
        return publish_rate, float("nan")
    ctx = mp.get_context("spawn")
    ready, done = ctx.Event(), ctx.Queue()
    process = ctx.Process(target=consume, args=(ready, done))
    process.start()
    ready.wait(60)
    started = publish()
    finished = done.get(timeout=600)
    process.join(60)
    return publish_rate, n / (finished - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--embedded-messages", type=int, default=5_000)
    args = parser.parse_args()
    print(_header(args.messages, args.embedded_messages), flush=True)
    rows: dict[str, tuple[float, float]] = {}
    _rabbitmq_rows(args.messages, "bench" + secrets.token_hex(3), rows)
    rows.update(_embedded("bench" + secrets.token_hex(3), args.embedded_messages))
    _row(rows, -1)
    return _verdict(rows)


def _admin(*operations: Callable[[Any], object]) -> None:
    """Run queue/exchange operations on a short-lived connection (a long idle one would miss
    its heartbeats during a slow row and be dropped by the broker)."""
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    channel = connection.channel()
    for operation in operations:
        operation(channel)
    connection.close()


def _rabbitmq_rows(n: int, tag: str, rows: dict[str, tuple[float, float]]) -> None:
    raw_queue = f"{tag}.raw"
    spec = QueueSpec(f"{tag}.layer", (EVENT,))
    _admin(lambda ch: ch.queue_declare(raw_queue, durable=True))

    def purge_raw() -> None:
        _admin(lambda ch: ch.queue_purge(raw_queue))

    def purge_layer() -> None:
        _admin(lambda ch: ch.queue_purge(spec.name))

    try:
        rows[f"raw pika {pika.__version__} BlockingChannel, confirm each"] = measure(
            lambda: pika_publish(raw_queue, n), partial(pika_consume, raw_queue, n), n, purge_raw
        )
        _row(rows, -1)
        rows[f"raw kombu {kombu.__version__} py-amqp, confirm_publish"] = measure(
            lambda: kombu_publish(raw_queue, n), partial(kombu_consume, raw_queue, n), n, purge_raw
        )
        _row(rows, -1)
        for label, batch in (("publish()", 1), (f"publish_batch({BATCH})", BATCH)):
            rows[f"keel RabbitMQ (pika) {label}"] = measure(
                lambda batch=batch: layer_publish(URL, spec, n, batch),
                partial(layer_consume, URL, spec, n), n, purge_layer)  # fmt: skip
            _row(rows, -1)
    finally:
        queues = (raw_queue, spec.name, spec.dead_queue, *spec.retry_queues)
        exchanges = (f"{spec.name}.ex", dead_letter_exchange(f"{spec.name}.ex"))
        _admin(*[partial(_delete_queue, q) for q in queues],
               *[partial(_delete_exchange, x) for x in exchanges])  # fmt: skip


def _delete_queue(name: str, channel: Any) -> None:
    channel.queue_delete(name)


def _delete_exchange(name: str, channel: Any) -> None:
    channel.exchange_delete(name)


def _embedded(tag: str, n: int) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqla+sqlite:///{Path(directory) / 'broker.db'}"
        spec = QueueSpec(f"{tag}.embedded", (EVENT,))
        broker = _broker(url, spec)

        def purge() -> None:
            with kombu.Connection(url) as connection:
                connection.channel().queue_purge(spec.name)

        result = measure(lambda: layer_publish(url, spec, n, BATCH),
                         partial(layer_consume, url, spec, n), n, purge)  # fmt: skip
        broker.close()
    return {f"keel embedded sqla+sqlite publish_batch({BATCH}), {n} msgs": result}


def _header(n: int, n_embedded: int) -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
        f", load average at start {load}\n"
        f"settings: {n} messages of {len(_body())} bytes (embedded: {n_embedded}), persistent, "
        f"durable queue, publisher confirms, prefetch {PREFETCH}, one manual ack per message, "
        "consumer in a separate process; RabbitMQ on 127.0.0.1:5672\n"
        f"{'row':<58}{'publish msg/s':>15}{'end-to-end msg/s':>19}"
    )


def _row(rows: dict[str, tuple[float, float]], index: int) -> None:
    label, (publish, end_to_end) = list(rows.items())[index]
    print(f"{label:<58}{publish:>15,.0f}{end_to_end:>19,.0f}", flush=True)


def _verdict(rows: dict[str, tuple[float, float]]) -> int:
    raw = next(v for k, v in rows.items() if k.startswith("raw pika"))
    layer = {k: v for k, v in rows.items() if k.startswith("keel RabbitMQ")}
    best_publish = max(v[0] for v in layer.values())
    best_e2e = max(v[1] for v in layer.values())
    ok = best_publish >= TARGET * raw[0] and best_e2e >= TARGET * raw[1]
    print(
        f"layer vs raw pika: publish {best_publish / raw[0]:.0%}, end to end "
        f"{best_e2e / raw[1]:.0%} (target {TARGET:.0%}): {'REACHED' if ok else 'NOT REACHED'}"
    )
    for label, (publish, e2e) in layer.items():
        print(f"  {label}: publish {publish / raw[0]:.0%}, end to end {e2e / raw[1]:.0%}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
