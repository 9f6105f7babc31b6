"""Messages per second through RabbitMQ to a real SMTP server and to the APNs stand-in:
the notification worker beside a Celery worker running the same service code, same run.

    uv run python bench/notification/run.py [--events 2000] [--threads 4] [--processes 1]

Both drain a queue of pre-published ``core.order.placed.v1`` events (one receipt email and
one push each) against their own fresh PostgreSQL database. The rate is measured at the
servers, from the first message received to the last, so process start-up is not counted.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pika
import workload

from keel_common.db import create_engine, make_session_factory
from keel_common.messaging import QueueSpec, consumer_queue
from keel_common.messaging.rabbitmq import declare_topology
from keel_notification.adapters import orm
from keel_notification.adapters.unit_of_work import SqlAlchemyUnitOfWork
from keel_notification.testing.apns_server import ApnsTestServer, apns_signing_key
from keel_notification.testing.asgi import AsgiServer
from keel_notification.testing.smtp_server import LocalSmtpServer
from keel_notification.testing.tls import self_signed

HERE = Path(__file__).resolve().parent


@dataclass
class Servers:
    smtp: LocalSmtpServer
    apns: ApnsTestServer
    apns_url: str
    apns_key: str
    ca_file: str

    def received(self) -> int:
        return len(self.smtp.messages) + len(self.apns.delivered)


@dataclass
class Result:
    name: str
    settings: str
    messages: int
    seconds: float
    sent_in_log: int

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: gave up waiting for {what}")
        time.sleep(0.01)


def measure(servers: Servers, expected: int, workers: list[subprocess.Popen]) -> tuple[int, float]:
    """Messages and seconds from the first message received to the last."""
    base = servers.received()
    wait_for(lambda: servers.received() > base, 120, "the first message")
    start, first = time.perf_counter(), servers.received()
    wait_for(lambda: servers.received() >= base + expected, 600, "the last message")
    elapsed = time.perf_counter() - start
    for worker in workers:
        if worker.poll() is not None:
            raise SystemExit(f"bench: a worker exited with {worker.returncode}")
    return base + expected - first, elapsed


def sent_in_log(database_url: str, expected: int) -> int:
    """Sent rows in the delivery log, once the last outcomes are recorded (or 30 s passed):
    a provider has the message a moment before the worker commits that it was sent."""
    engine = create_engine(database_url)

    def sent() -> int:
        with engine.connect() as conn:
            query = "SELECT count(*) FROM notifications WHERE status = 'sent'"
            return int(conn.exec_driver_sql(query).scalar_one())

    deadline = time.monotonic() + 30
    while (count := sent()) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    engine.dispose()
    return count


def prepare(name: str, users: int, count: int) -> tuple[str, list]:
    database_url = workload.create_database(name)
    engine = create_engine(database_url)
    orm.start_mappers()
    ids = workload.seed(lambda: SqlAlchemyUnitOfWork(make_session_factory(engine)), users)
    engine.dispose()
    return database_url, workload.events(ids, count)


def stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()


def run_keel(servers: Servers, args: argparse.Namespace, prefix: str) -> Result:
    database_url, envelopes = prepare(f"{prefix}_keel", args.users, args.events)
    queue, exchange = f"{prefix}.keel", f"{prefix}.events"
    spec = QueueSpec(queue, consumer_queue("notification.events").routing_keys)
    connection = pika.BlockingConnection(pika.URLParameters(workload.RABBITMQ))
    channel = connection.channel()
    declare_topology(channel, exchange, [spec])
    channel.confirm_delivery()
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    for envelope in envelopes:
        channel.basic_publish(exchange, envelope.type, envelope.to_json(), properties)
    env = {
        **os.environ,
        **workload.service_env(
            database_url, servers.smtp.port, servers.apns_url, servers.apns_key, servers.ca_file
        ),
        "EVENTS_EXCHANGE": exchange,
        "BENCH_QUEUE": queue,
        "CONSUMER_THREADS": str(args.threads),
        "CONSUMER_PREFETCH": str(args.prefetch),
    }
    workers = [
        subprocess.Popen([sys.executable, str(HERE / "ours.py")], env=env, cwd=HERE)
        for _ in range(args.processes)
    ]
    try:
        messages, seconds = measure(servers, 2 * args.events, workers)
        logged = sent_in_log(database_url, 2 * args.events)
    finally:
        stop(workers)
    for name in (queue, spec.dead_queue, *spec.retry_queues):
        channel.queue_delete(name)
    channel.exchange_delete(exchange)
    channel.exchange_delete(f"{exchange}.dlx")
    connection.close()
    settings = (
        f"{args.processes} process(es) x {args.threads} consumer threads, prefetch {args.prefetch}"
    )
    result = Result("keel worker", settings, messages, seconds, logged)
    workload.drop_database(f"{prefix}_keel")
    return result


def run_celery(servers: Servers, args: argparse.Namespace, prefix: str) -> Result:
    database_url, envelopes = prepare(f"{prefix}_celery", args.users, args.events)
    queue = f"{prefix}.celery"
    env = {
        **os.environ,
        **workload.service_env(
            database_url, servers.smtp.port, servers.apns_url, servers.apns_key, servers.ca_file
        ),
        "PYTHONPATH": str(HERE),
    }
    os.environ["BROKER_URL"] = workload.RABBITMQ
    from celery_app import app as celery

    with celery.producer_or_acquire() as producer:
        for envelope in envelopes:
            celery.send_task(
                "deliver_event", args=[envelope.to_json().decode()], queue=queue, producer=producer
            )
    command = [
        sys.executable, "-m", "celery", "-A", "celery_app", "--quiet", "worker", "-P", "prefork",
        "-c", str(args.celery_concurrency), "-Q", queue, "-l", "WARNING",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    workers = [subprocess.Popen(command, env=env, cwd=HERE)]
    try:
        messages, seconds = measure(servers, 2 * args.events, workers)
        logged = sent_in_log(database_url, 2 * args.events)
    finally:
        stop(workers)
    connection = pika.BlockingConnection(pika.URLParameters(workload.RABBITMQ))
    connection.channel().queue_delete(queue)
    connection.close()
    settings = f"prefork -c {args.celery_concurrency}, acks_late, prefetch multiplier 4"
    result = Result("celery worker", settings, messages, seconds, logged)
    workload.drop_database(f"{prefix}_celery")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4, help="consumer threads per process")
    parser.add_argument("--processes", type=int, default=1, help="notification worker processes")
    parser.add_argument("--prefetch", type=int, default=50)
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--skip-celery", action="store_true", help="the Keel worker alone")
    args = parser.parse_args()
    prefix = "nb" + secrets.token_hex(4)
    with tempfile.TemporaryDirectory() as tmp:
        tls = self_signed(Path(tmp))
        key, public_key = apns_signing_key()
        apns = ApnsTestServer(
            team_id=workload.TEAM_ID, key_id=workload.KEY_ID, public_key=public_key,
            topic=workload.TOPIC,
        )  # fmt: skip
        with LocalSmtpServer() as smtp, AsgiServer(apns, tls) as apns_url:
            servers = Servers(smtp, apns, apns_url, key, str(tls.cert))
            results = [run_keel(servers, args, prefix)]
            if not args.skip_celery:
                results.append(run_celery(servers, args, prefix))
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}; Python {platform.python_version()}")  # fmt: skip
    print(
        f"workload: {args.events} core.order.placed.v1 events -> 1 email (SMTP, aiosmtpd) "
        "+ 1 push (APNs stand-in, HTTP/2+TLS) each; PostgreSQL delivery log; RabbitMQ"
    )
    for r in results:
        print(f"{r.name:14} {r.rate:8.1f} messages/s  ({r.messages} in {r.seconds:.2f}s; "
              f"{r.sent_in_log} sent in the log)  [{r.settings}]")  # fmt: skip


if __name__ == "__main__":
    main()
