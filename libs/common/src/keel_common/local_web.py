"""``keel-local web``: every installed service's HTTP API in one gunicorn, for ``make run`` only.

Production (Helm, compose.yaml) runs ``keel-<svc> web`` per service, each its own gunicorn
with ``WEB_CONCURRENCY`` workers. Locally that was a master and a worker per service, eight
Python processes of ~100 MiB holding the same libraries (#12). Here one gunicorn listens on
every service's ``HTTP_PORT`` and its worker holds each service's app, built in that
service's own environment (``<SERVICE>__<VAR>`` over the process's, as ``keel-local worker``
does); a request goes to the app of the port it arrived on, and its log lines name that
service. The master imports gunicorn and this module only: the apps are built in the worker.

What is shared that production keeps apart: the Prometheus registry (each service's
``/metrics`` shows its own share of it, ``keel_common.metrics_scope``) and the process's
tracer.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PortDispatcher:
    """The WSGI app of a gunicorn that listens on several ports: each port is one service."""

    def __init__(self, apps: dict[int, tuple[str, WsgiApp]]) -> None:
        self._apps = apps

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        from keel_common.logging import current_service

        # gunicorn sets SERVER_PORT from the listening socket (not the Host header).
        name, app = self._apps[int(environ["SERVER_PORT"])]
        token = current_service.set(name)
        try:
            return app(environ, start_response)
        finally:
            current_service.reset(token)


def service_apps(names: Sequence[str] = ()) -> dict[int, tuple[str, WsgiApp]]:
    """Each service's app by its ``HTTP_PORT``, each built in its own environment."""
    from keel_common.local import declarations, environment, service_environment

    apps: dict[int, tuple[str, WsgiApp]] = {}
    for declaration in declarations(names):
        env = service_environment(declaration.name, os.environ)
        module = importlib.import_module(f"keel_{declaration.name}.entrypoints.flask_app")
        with environment(env):
            apps[int(env["HTTP_PORT"])] = (declaration.name, module.create_app())
    return apps


def create_dispatcher() -> PortDispatcher:
    """gunicorn's app factory (runs in the worker, after the fork)."""
    names = [n for n in os.environ.get("KEEL_LOCAL_WEB_SERVICES", "").split(",") if n]
    return PortDispatcher(service_apps(names))


def installed(names: Sequence[str] = ()) -> list[str]:
    """The services to serve (default: every installed one), without importing them."""
    from importlib import metadata

    from keel_common.messaging.topology import ENTRY_POINT_GROUP

    found = sorted(ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP))
    unknown = set(names) - set(found)
    if unknown:
        raise SystemExit(f"keel-local: no such service {sorted(unknown)}; have {found}")
    return list(names) or found


def serve(names: Sequence[str] = ()) -> None:
    """One gunicorn on every service's ``BIND_HOST:HTTP_PORT`` until SIGTERM/SIGINT."""
    from keel_common.http.server import KeelGunicorn
    from keel_common.local import service_environment
    from keel_common.logging import configure_logging

    configure_logging("local", os.environ.get("LOG_LEVEL", "INFO"))
    services = installed(names)
    binds = []
    for name in services:
        env = service_environment(name, os.environ)
        binds.append(f"{env.get('BIND_HOST', '127.0.0.1')}:{env['HTTP_PORT']}")
    os.environ["KEEL_LOCAL_WEB_SERVICES"] = ",".join(services)
    options = {
        "bind": binds,
        "loglevel": os.environ.get("LOG_LEVEL", "INFO").lower(),
        "proc_name": "keel-local-web",
    }
    KeelGunicorn("keel_common.local_web:create_dispatcher()", options).run()
