"""Run a Flask app factory under gunicorn, in-process: what ``keel-<svc> web`` calls."""

from __future__ import annotations

from typing import Any

from gunicorn import util
from gunicorn.app.base import BaseApplication

from keel_common.logging import configure_logging
from keel_common.settings import ServiceSettings


class KeelGunicorn(BaseApplication):
    """gunicorn configured from ``keel_common.http.gunicorn_conf`` plus ``options``."""

    def __init__(self, app_factory: str, options: dict[str, Any]) -> None:
        self.app_factory = app_factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        from keel_common.http import gunicorn_conf

        for name, value in vars(gunicorn_conf).items():
            if name in self.cfg.settings and value is not None:
                self.cfg.set(name, value)
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        return util.import_app(self.app_factory)


def serve(app_factory: str, settings: ServiceSettings, *, host: str | None = None) -> None:
    """Serve ``app_factory`` (``"keel_core.entrypoints.flask_app:create_app()"``) on
    ``host:settings.http_port`` until gunicorn is told to stop.

    The factory runs in each worker after the fork, so no connection is shared between
    processes; ``PROMETHEUS_MULTIPROC_DIR`` is prepared by the master before that.
    """
    configure_logging(settings.service_name, settings.log_level)
    options = {
        "bind": [f"{host or settings.bind_host}:{settings.http_port}"],
        "loglevel": settings.log_level.lower(),
        "proc_name": f"keel-{settings.service_name}",
    }
    KeelGunicorn(app_factory, options).run()
