"""The one command line every service shares: ``keel-<svc> web|grpc|worker|migrate|job NAME``
(and ``scheduler`` for a service with scheduled jobs).

A service's ``entrypoints/cli.py`` only names its declaration, its WSGI app, its gRPC server
factory and any extra commands; this module parses the arguments, loads settings once,
configures logging and error reporting, bootstraps the service, handles signals and exit
codes, so the container entry points and the local process runner look the same for all
four services. Workers and jobs come from the service's ``ServiceDeclaration``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keel_common.service import Job, Service, ServiceDeclaration

log = logging.getLogger(__name__)

Settings = Any
GrpcFactory = Callable[[Any], Any]
Extra = Callable[[Settings, list[str]], int | None]


@dataclass(frozen=True)
class ServiceCli:
    declaration: ServiceDeclaration[Any]
    settings: Callable[[], Settings]
    web: str | None = None
    #: ``create_server(service)`` of the service's gRPC entrypoint.
    grpc: GrpcFactory | None = None
    migrations_dir: Path | None = None
    extra: dict[str, Extra] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return self.declaration.name

    def parser(self) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=f"keel-{self.service}")
        sub = parser.add_subparsers(dest="command", required=True)
        if self.web:
            sub.add_parser("web", help="serve the HTTP API with gunicorn")
        if self.grpc:
            sub.add_parser("grpc", help="serve the gRPC API")
        sub.add_parser("worker", help="run the outbox relay, the consumers and background loops")
        if self.migrations_dir:
            sub.add_parser("migrate", help="upgrade the database to the newest migration")
        if self.declaration.jobs:
            job = sub.add_parser("job", help="run one periodic job once")
            job.add_argument("name", choices=sorted(self.declaration.jobs))
        if self.declaration.schedules:
            sub.add_parser("scheduler", help="run the periodic jobs on their schedules (local)")
        for name in self.extra:
            # The extra command parses its own options: argparse.REMAINDER would drop a
            # leading ``--email``, so main() hands it whatever this parser did not know.
            sub.add_parser(name, help=f"{name} (see --help)", add_help=False)
        return parser

    def parse(self, argv: Sequence[str] | None = None) -> argparse.Namespace:
        """The parsed command; an extra command's own arguments land in ``args.args``."""
        parser = self.parser()
        args, rest = parser.parse_known_args(argv)
        if args.command not in self.extra and rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        # ``keel-auth create-admin -- --email ...`` is the same as without the ``--``.
        args.args = [a for a in rest if a != "--"]
        return args

    def main(self, argv: Sequence[str] | None = None) -> int:
        args = self.parse(argv)
        from keel_common.errors import init_sentry
        from keel_common.logging import configure_logging
        from keel_common.settings import ConfigError

        try:
            settings = self.settings()
        except ConfigError as exc:
            print(f"keel-{self.service}: {exc}", file=sys.stderr)
            return 2
        configure_logging(self.service, settings.log_level)
        if settings.sentry_dsn:
            init_sentry(settings.sentry_dsn.get_secret_value(), self.service, settings.environment)
        return self._run(args, settings) or 0

    def _run(self, args: argparse.Namespace, settings: Settings) -> int | None:
        command = args.command
        if command == "web":
            from keel_common.http import serve

            assert self.web is not None
            serve(self.web, settings)
        elif command == "grpc":
            assert self.grpc is not None
            _serve_grpc(self.grpc, self.declaration.bootstrap(settings))
        elif command == "worker":
            _run_worker(self.declaration, settings)
        elif command == "migrate":
            from keel_common.db.alembic import upgrade

            assert self.migrations_dir is not None
            upgrade(settings.database_url, self.migrations_dir)
            log.info("migrations applied", extra={"service": self.service})
            _declare_queues(self.declaration, settings)
        elif command == "job":
            service = self.declaration.bootstrap(settings)
            try:
                _run_job(args.name, self.declaration.jobs[args.name], service, reraise=True)
            finally:
                service.close()
        elif command == "scheduler":
            run_scheduler(self.declaration, settings)
        else:
            return self.extra[command](settings, list(args.args))
        return None


def _declare_queues(declaration: ServiceDeclaration[Any], settings: Settings) -> None:
    """On RabbitMQ, declare the service's own consumer queues before any process starts.

    ``migrate`` runs first on every deploy (a Helm pre-upgrade hook), so a consumer's queues
    exist before any publisher does: an image holds only its own service's declaration, and
    an event published to a queue nobody declared yet would be routed nowhere. The embedded
    broker keeps bindings per process, so there every process declares them itself.
    """
    if not declaration.consumes or not settings.broker_url.startswith(("amqp://", "amqps://")):
        return
    from keel_common.messaging.rabbitmq import RabbitMqBroker

    broker = RabbitMqBroker(
        settings.broker_url,
        exchange=settings.events_exchange,
        service=declaration.name,
        queues=declaration.queues,
    )
    try:
        broker.declare()
    finally:
        broker.close()
    log.info("queues declared", extra={"queues": [q.name for q in declaration.queues]})


def stop_event_on_signals() -> threading.Event:
    """An event set by SIGTERM (Kubernetes) or SIGINT (Ctrl-C)."""
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop


def _run_worker(declaration: ServiceDeclaration[Any], settings: Settings) -> None:
    from keel_common.metrics import serve_metrics
    from keel_common.worker import run_worker

    serve_metrics(settings.metrics_port, addr=settings.bind_host, service=declaration.name)
    stop = stop_event_on_signals()
    run_worker(declaration, declaration.bootstrap(settings), stop)


def _serve_grpc(factory: GrpcFactory, service: Service[Any]) -> None:
    from keel_common.discovery import ServiceRegistration
    from keel_common.grpc import serve

    server = factory(service)
    registration = ServiceRegistration.for_grpc(service.settings.service_name, service.settings)
    service.discovery.register(registration)
    try:
        # Leave discovery before draining, so no new calls are routed to a stopping instance.
        serve(server, on_stop=lambda: service.discovery.deregister(registration.id))
    finally:
        service.close()


def build_scheduler(jobs: Mapping[str, Job[Any]], service: Service[Any]) -> Any:
    """An APScheduler scheduler (not started) with one cron-triggered entry per scheduled job
    (UTC)."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    scheduler = BackgroundScheduler(timezone="UTC")
    for name, job in jobs.items():
        if job.schedule is None:
            continue
        scheduler.add_job(
            _run_job,
            CronTrigger.from_crontab(job.schedule, timezone="UTC"),
            args=(name, job, service),
            id=name,
            max_instances=1,
            coalesce=True,
        )
    return scheduler


def run_scheduler(declaration: ServiceDeclaration[Any], settings: Settings) -> None:
    """Run each job on its crontab schedule (UTC) until SIGTERM/SIGINT.

    Production runs the same jobs as Kubernetes CronJobs; this is the local runner of
    ``make run``. A failing run is logged and the next one happens on schedule.
    """
    service = declaration.bootstrap(settings)
    scheduler = build_scheduler(declaration.jobs, service)
    stop = stop_event_on_signals()
    scheduler.start()
    log.info("scheduler started", extra={"schedules": declaration.schedules})
    try:
        stop.wait()
        scheduler.shutdown(wait=True)
    finally:
        service.close()


def _run_job(name: str, job: Job[Any], service: Service[Any], *, reraise: bool = False) -> None:
    log.info("job starting", extra={"job": name})
    try:
        job.run(service)
    except Exception:
        log.exception("job failed", extra={"job": name})
        if reraise:
            raise
    else:
        log.info("job finished", extra={"job": name})
