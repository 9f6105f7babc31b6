"""``keel-local worker [--grpc]``: every installed service's worker, scheduled jobs (and gRPC
server) in one process, for ``make run`` only; ``keel-local web``: their HTTP APIs in one
gunicorn (``keel_common.local_web``).

In production each service runs ``keel-<svc> worker`` (its relay, consumers and loops),
``keel-<svc> grpc``, and its jobs as Kubernetes CronJobs. Locally that was nine Python
processes of ~100 MiB each, and only notification's jobs ran on a schedule (#18). Here each
service found under the ``keel.services`` entry points is bootstrapped in its own
environment -- the process's, overlaid with the variables named ``<SERVICE>__<VAR>``
(``CORE__DATABASE_URL=...``), so each keeps its own database, metrics and gRPC port -- then
its worker threads, a scheduler for every job that has a schedule and, with ``--grpc``, its
gRPC server run side by side until SIGTERM/SIGINT. Log lines name the service whose thread
wrote them.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import metadata
from typing import Any

from keel_common.messaging.topology import ENTRY_POINT_GROUP
from keel_common.service import Job, Service, ServiceDeclaration

log = logging.getLogger(__name__)


def declarations(names: Sequence[str] = ()) -> list[ServiceDeclaration[Any]]:
    """The installed declarations, or only those named (in that order)."""
    found = {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    unknown = set(names) - set(found)
    if unknown:
        raise SystemExit(f"keel-local: no such service {sorted(unknown)}; have {sorted(found)}")
    return [found[name].load() for name in (names or sorted(found))]


def service_environment(name: str, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with each ``<NAME>__<VAR>`` copied over ``<VAR>``."""
    prefix = f"{name.upper()}__"
    own = {k[len(prefix) :]: v for k, v in environ.items() if k.startswith(prefix)}
    return {**environ, **own}


@contextmanager
def environment(overlay: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` is ``overlay`` for the block (settings are read from it at bootstrap)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(overlay)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def as_service(name: str, target: Callable[..., Any]) -> Callable[..., Any]:
    """``target`` with ``name`` as the ``service`` of every log line it writes."""
    from keel_common.logging import current_service

    def run(*args: Any, **kwargs: Any) -> Any:
        token = current_service.set(name)
        try:
            return target(*args, **kwargs)
        finally:
            current_service.reset(token)

    return run


def scheduled_jobs(declaration: ServiceDeclaration[Any]) -> dict[str, Job[Any]]:
    """The declaration's jobs that have a schedule, each logging as its service."""
    return {
        name: dataclasses.replace(job, run=as_service(declaration.name, job.run))
        for name, job in declaration.jobs.items()
        if job.schedule is not None
    }


def start_service(
    declaration: ServiceDeclaration[Any], stop: threading.Event
) -> tuple[Service[Any], list[threading.Thread], list[Any]]:
    """Bootstrap one service in its own environment; its worker threads (started), the
    scheduler of its scheduled jobs (started) and what to close afterwards."""
    from keel_common.cli import build_scheduler
    from keel_common.metrics import serve_metrics
    from keel_common.worker import worker_threads

    with environment(service_environment(declaration.name, os.environ)):
        service = declaration.bootstrap()
    settings = service.settings
    serve_metrics(settings.metrics_port, addr=settings.bind_host, service=declaration.name)
    threads, handlers = worker_threads(
        declaration, service, stop, wrap=lambda target: as_service(declaration.name, target)
    )
    for thread in threads:
        thread.start()
    closers = list(handlers)
    jobs = scheduled_jobs(declaration)
    if jobs:
        scheduler = build_scheduler(jobs, service)
        scheduler.start()
        closers.insert(0, _Shutdown(scheduler))
    log.info(
        "service started",
        extra={"worker": declaration.name, "threads": len(threads), "schedules": sorted(jobs)},
    )
    return service, threads, closers


class _Shutdown:
    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler

    def close(self) -> None:
        self.scheduler.shutdown(wait=True)


def grpc_thread(name: str, service: Service[Any], stop: threading.Event) -> threading.Thread:
    """Serve the service's gRPC API (``keel_<name>.entrypoints.grpc_server:create_server``,
    the factory every service's ``keel-<svc> grpc`` serves) on its ``GRPC_PORT`` until
    ``stop``; registered with discovery as ``keel-<svc> grpc`` does."""
    from keel_common.discovery import ServiceRegistration
    from keel_common.grpc import serve

    factory = importlib.import_module(f"keel_{name}.entrypoints.grpc_server").create_server
    server = factory(service)
    registration = ServiceRegistration.for_grpc(service.settings.service_name, service.settings)
    service.discovery.register(registration)
    return threading.Thread(
        target=as_service(name, serve),
        args=(server,),
        kwargs={"stop": stop, "on_stop": lambda: service.discovery.deregister(registration.id)},
        name=f"{name}-grpc",
    )


def run_all(names: Sequence[str] = (), *, grpc: bool = False) -> None:
    from keel_common.cli import stop_event_on_signals

    stop = stop_event_on_signals()
    started = []
    for declaration in declarations(names):
        service, threads, closers = start_service(declaration, stop)
        if grpc:
            threads.insert(0, grpc_thread(declaration.name, service, stop))
            threads[0].start()
        started.append((service, threads, closers))
    stop.wait()
    for service, threads, closers in started:
        for thread in threads:
            thread.join()
        for closer in closers:
            close = getattr(closer, "close", None)
            if callable(close):
                close()
        service.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="keel-local", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="every service's worker and scheduled jobs")
    worker.add_argument("services", nargs="*", help="only these (default: every installed)")
    worker.add_argument("--grpc", action="store_true", help="serve each one's gRPC API too")
    web = sub.add_parser("web", help="every service's HTTP API in one gunicorn")
    web.add_argument("services", nargs="*", help="only these (default: every installed)")
    args = parser.parse_args(argv)
    if args.command == "web":
        from keel_common.local_web import serve

        serve(args.services)
        return 0
    from keel_common.logging import configure_logging

    configure_logging("local", os.environ.get("LOG_LEVEL", "INFO"))
    run_all(args.services, grpc=args.grpc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
