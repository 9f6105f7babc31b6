"""kill -9 of a real worker process mid-stream, on the embedded broker and on RabbitMQ: every
event is handled exactly once in effect (nothing lost, no receipt twice).

Each test starts `keel-<svc> worker` as `make run` does (its own SQLite file, the broker URL
from the environment), publishes EVENTS events, SIGKILLs the worker once some but not all are
handled, starts it again and counts. On the embedded broker the visibility timeout is 2 s
(`?visibility_timeout=2`), so the messages the killed worker held come back 2 s later; on
RabbitMQ they come back when the connection drops. Every wait is a liveness limit.
The counts are printed (`-s` shows them): sent, handled, duplicates, lost.
"""

from __future__ import annotations

import email
import os
import signal
import subprocess
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keel_common.messaging import Envelope, create_broker
from keel_common.testing import eventually, free_port
from keel_common.testing.plugin import RABBITMQ_URL, port_open, require
from keel_events.auth import UserRegistered
from keel_events.core import ProductCreated

from .servers import RabbitVhost

BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"
EVENTS = 100
DEADLINE = 120.0  # seconds: a liveness limit for a whole stream on a busy 2-core machine


@pytest.fixture(params=["embedded", "rabbitmq"])
def broker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "embedded":
        yield f"sqla+sqlite:///{tmp_path / 'broker.db'}?visibility_timeout=2"
        return
    require(port_open(RABBITMQ_URL, 5672), "RabbitMQ is not reachable")
    vhost = RabbitVhost.create(RABBITMQ_URL, f"kill9-{uuid.uuid4().hex[:8]}")
    if vhost.name is None:
        pytest.fail("the kill -9 test needs its own RabbitMQ vhost (rabbitmqctl add_vhost)")
    try:
        yield vhost.url
    finally:
        vhost.delete()


class Worker:
    """`keel-<svc> worker` in its own process, with the environment `make run` gives it."""

    def __init__(self, service: str, env: dict[str, str], cwd: Path) -> None:
        self.service, self.cwd = service, cwd
        self.env = {**os.environ, "METRICS_PORT": str(free_port()), "LOG_LEVEL": "WARNING", **env}
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.log = (cwd / f"{service}-worker.log").open("ab")

    def command(self, *args: str) -> None:
        subprocess.run(
            [str(BIN / f"keel-{self.service}"), *args],
            env=self.env,
            cwd=self.cwd,
            check=True,
            timeout=DEADLINE,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(BIN / f"keel-{self.service}"), "worker"],
            env=self.env,
            cwd=self.cwd,
            stdout=self.log,
            stderr=self.log,
        )

    def kill(self) -> None:
        assert self.process is not None and self.process.poll() is None, "the worker died early"
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(DEADLINE) == -signal.SIGKILL
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(DEADLINE)
        self.log.close()


def kill_mid_stream(
    worker: Worker, progress: Callable[[], int], publish: Callable[[], None]
) -> None:
    """Start, publish, SIGKILL once a fifth is handled (before all are), start again."""
    worker.start()
    publish()
    eventually(lambda: progress() >= EVENTS // 5, "a fifth of the events handled", DEADLINE)
    worker.kill()
    assert progress() < EVENTS, "the worker finished before it was killed: nothing tested"
    worker.start()
    eventually(lambda: progress() >= EVENTS, "every event handled", DEADLINE)


def report(what: str, url: str, sent: int, seen: Counter[str], kills: int) -> None:
    broker = "rabbitmq" if url.startswith("amqp") else "embedded"
    duplicates = sum(n - 1 for n in seen.values() if n > 1)
    print(
        f"\nkill -9 {what} on {broker}: sent {sent}, handled {len(seen)}, "
        f"duplicates {duplicates}, lost {sent - len(seen)}, kills {kills}"
    )


def test_the_notification_worker_killed_mid_stream_sends_each_welcome_once(
    broker_url: str, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    worker = Worker(
        "notification",
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}",
            "BROKER_URL": broker_url,
            "FILE_DELIVERY_DIR": str(outbox),
            # A message the killed worker had claimed but not recorded as sent is the
            # dispatcher's after this lease (300 s in production).
            "CLAIM_SECONDS": "3",
        },
        tmp_path,
    )
    worker.command("migrate")  # also declares the queues, so nothing published is unrouted
    addresses = [f"user{n}@example.com" for n in range(EVENTS)]

    def receipts() -> Counter[str]:
        found = sorted((outbox / "email").glob("*.eml")) if (outbox / "email").exists() else []
        return Counter(email.message_from_bytes(p.read_bytes())["To"] for p in found)

    def publish() -> None:
        expires = datetime.now(UTC) + timedelta(days=1)
        events = [
            UserRegistered(
                user_id=uuid.uuid4(),
                email=a,
                name=None,
                verification_token="t" * 32,
                verification_expires_at=expires,
            )
            for a in addresses
        ]
        _publish(broker_url, "keel-auth", events)

    try:
        kill_mid_stream(worker, lambda: len(receipts()), publish)
    finally:
        worker.stop()
    seen = receipts()
    report("notification worker", broker_url, EVENTS, seen, worker.kills)
    assert set(seen) == set(addresses)
    assert max(seen.values()) == 1


def test_the_search_worker_killed_mid_stream_indexes_each_product(
    broker_url: str, tmp_path: Path
) -> None:
    from keel_search.adapters.embedded.index import EmbeddedSearchIndex

    index_dir = tmp_path / "index"
    worker = Worker(
        "search",
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
            "BROKER_URL": broker_url,
            "SEARCH_INDEX_DIR": str(index_dir),
        },
        tmp_path,
    )
    worker.command("migrate")
    now = datetime.now(UTC)
    products = [
        ProductCreated(
            id=uuid.uuid4(),
            title=f"Lamp {n}",
            description="",
            category="misc",
            price_cents=100 + n,
            currency="EUR",
            owner_id=uuid.uuid4(),
            created_at=now,
            updated_at=now,
            version=1,
            stock=1,
            deleted_at=None,
        )
        for n in range(EVENTS)
    ]

    def indexed() -> int:
        return EmbeddedSearchIndex(index_dir).document_count() if index_dir.exists() else 0

    try:
        kill_mid_stream(worker, indexed, lambda: _publish(broker_url, "keel-core", products))
    finally:
        worker.stop()
    # The index is keyed by product id: a redelivered event replaces, never adds.
    count = indexed()
    report("search worker", broker_url, EVENTS, Counter(str(n) for n in range(count)), worker.kills)
    assert count == EVENTS


def _publish(url: str, source: str, events: list) -> None:  # type: ignore[type-arg]
    broker = create_broker(url, exchange="keel.events", service="test")
    try:
        for start in range(0, len(events), 20):
            broker.publish_batch(
                [
                    Envelope.new(e.type, source, e.to_data(), subject=e.subject)
                    for e in events[start : start + 20]
                ]
            )
    finally:
        broker.close()


def test_the_core_relay_killed_mid_stream_publishes_every_outbox_row(
    broker_url: str, tmp_path: Path
) -> None:
    import threading

    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from keel_common.messaging import platform_queues
    from keel_common.outbox import stage
    from keel_core.adapters.orm import outbox

    database = f"sqlite:///{tmp_path / 'core.db'}"
    worker = Worker("core", {"DATABASE_URL": database, "BROKER_URL": broker_url}, tmp_path)
    worker.command("migrate")
    # A consumer of our own on search's queue sees what the relay publishes, duplicates
    # included. A platform queue: on the embedded broker each process routes by the bindings
    # it declared itself, and every process declares the platform's queues.
    spec = next(q for q in platform_queues() if ProductCreated.type in q.routing_keys)
    listener = create_broker(broker_url, exchange="keel.events", service="test", queues=[spec])
    listener.check()  # declares the queue before anything is relayed
    received: Counter[str] = Counter()
    stop = threading.Event()
    thread = threading.Thread(
        target=listener.consume,
        args=(spec, lambda e: received.update([e.id])),
        kwargs={"stop": stop},
    )
    thread.start()
    engine = sa.create_engine(database)
    now = datetime.now(UTC)
    envelopes = [
        Envelope.new(ProductCreated.type, "keel-core", e.to_data(), subject=e.subject)
        for e in (
            ProductCreated(id=uuid.uuid4(), title=f"Lamp {n}", description="", category="misc",
                           price_cents=100, currency="EUR", owner_id=uuid.uuid4(),
                           created_at=now, updated_at=now, version=1, stock=1, deleted_at=None)
            for n in range(EVENTS)
        )
    ]  # fmt: skip

    def stage_in_batches() -> None:
        # Staged in small transactions while the relay runs, as orders would be.
        for start in range(0, EVENTS, 5):
            with Session(engine) as session, session.begin():
                stage(session, envelopes[start : start + 5], table=outbox)

    stager = threading.Thread(target=stage_in_batches)
    try:
        worker.start()
        stager.start()
        eventually(lambda: len(received) >= EVENTS // 5, "a fifth relayed", DEADLINE)
        worker.kill()
        stager.join(DEADLINE)
        worker.start()
        eventually(lambda: len(received) >= EVENTS, "every row relayed", DEADLINE)
    finally:
        worker.stop()
        stop.set()
        thread.join(DEADLINE)
        listener.close()
        engine.dispose()
    report("core relay", broker_url, EVENTS, received, worker.kills)
    assert set(received) == {e.id for e in envelopes}
