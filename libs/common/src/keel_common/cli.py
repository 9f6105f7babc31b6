"""The one command line every service shares: ``keel-<svc> web|grpc|worker|migrate|job NAME``
(and ``scheduler`` for a service with periodic jobs).

A service's ``entrypoints/cli.py`` only says what each process kind runs; this module parses
the arguments, loads settings once, configures logging and error reporting, handles signals
and exit codes, so the container entry points and the local process runner look the same
for all four services.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Settings = Any
GrpcFactory = Callable[[Settings], Any]
Worker = Callable[[Settings, threading.Event], None]
Job = Callable[[Settings], None]
Extra = Callable[[Settings, list[str]], int | None]


@dataclass(frozen=True)
class ServiceCli:
    service: str
    settings: Callable[[], Settings]
    web: str | None = None
    grpc: GrpcFactory | None = None
    worker: Worker | None = None
    migrations_dir: Path | None = None
    jobs: dict[str, Job] = field(default_factory=dict)
    # Crontab expressions by job name: the one schedule that both the local ``scheduler``
    # (make run) and the Helm CronJobs use.
    schedules: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Extra] = field(default_factory=dict)

    def parser(self) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=f"keel-{self.service}")
        sub = parser.add_subparsers(dest="command", required=True)
        if self.web:
            sub.add_parser("web", help="serve the HTTP API with gunicorn")
        if self.grpc:
            sub.add_parser("grpc", help="serve the gRPC API")
        if self.worker:
            sub.add_parser("worker", help="run consumers and the outbox relay")
        if self.migrations_dir:
            sub.add_parser("migrate", help="upgrade the database to the newest migration")
        if self.jobs:
            job = sub.add_parser("job", help="run one periodic job once")
            job.add_argument("name", choices=sorted(self.jobs))
        if self.schedules:
            sub.add_parser("scheduler", help="run the periodic jobs on their schedules (local)")
        for name in self.extra:
            extra = sub.add_parser(name, help=f"{name} (see --help)", add_help=False)
            extra.add_argument("args", nargs=argparse.REMAINDER)
        return parser

    def main(self, argv: Sequence[str] | None = None) -> int:
        args = self.parser().parse_args(argv)
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
            _serve_grpc(self.service, self.grpc, settings)
        elif command == "worker":
            assert self.worker is not None
            _run_worker(self.worker, settings)
        elif command == "migrate":
            from keel_common.db.alembic import upgrade

            assert self.migrations_dir is not None
            upgrade(settings.database_url, self.migrations_dir)
            log.info("migrations applied", extra={"service": self.service})
        elif command == "job":
            log.info("job starting", extra={"job": args.name})
            self.jobs[args.name](settings)
            log.info("job finished", extra={"job": args.name})
        elif command == "scheduler":
            run_scheduler(self.jobs, self.schedules, settings)
        else:
            return self.extra[command](settings, list(args.args))
        return None


def stop_event_on_signals() -> threading.Event:
    """An event set by SIGTERM (Kubernetes) or SIGINT (Ctrl-C)."""
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop


def _run_worker(worker: Worker, settings: Settings) -> None:
    from keel_common.metrics import serve_metrics

    serve_metrics(settings.metrics_port, addr=settings.bind_host)
    worker(settings, stop_event_on_signals())


def _serve_grpc(service: str, factory: GrpcFactory, settings: Settings) -> None:
    from keel_common.discovery import ServiceRegistration, create_discovery
    from keel_common.grpc import serve

    server = factory(settings)
    discovery = create_discovery(settings)
    registration = ServiceRegistration.for_grpc(service, settings)
    discovery.register(registration)
    # Leave discovery before draining, so no new calls are routed to a stopping instance.
    serve(server, on_stop=lambda: discovery.deregister(registration.id))


def build_scheduler(jobs: dict[str, Job], schedules: dict[str, str], settings: Settings) -> Any:
    """An APScheduler scheduler (not started) with one cron-triggered entry per job (UTC)."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    scheduler = BackgroundScheduler(timezone="UTC")
    for name, crontab in schedules.items():
        scheduler.add_job(
            _run_job,
            CronTrigger.from_crontab(crontab, timezone="UTC"),
            args=(name, jobs[name], settings),
            id=name,
            max_instances=1,
            coalesce=True,
        )
    return scheduler


def run_scheduler(jobs: dict[str, Job], schedules: dict[str, str], settings: Settings) -> None:
    """Run each job on its crontab schedule (UTC) until SIGTERM/SIGINT.

    Production runs the same jobs as Kubernetes CronJobs; this is the local runner of
    ``make run``. A failing run is logged and the next one happens on schedule.
    """
    scheduler = build_scheduler(jobs, schedules, settings)
    stop = stop_event_on_signals()
    scheduler.start()
    log.info("scheduler started", extra={"schedules": schedules})
    stop.wait()
    scheduler.shutdown(wait=True)


def _run_job(name: str, job: Job, settings: Settings) -> None:
    log.info("job starting", extra={"job": name})
    try:
        job(settings)
    except Exception:
        log.exception("job failed", extra={"job": name})
    else:
        log.info("job finished", extra={"job": name})
