"""``keel-notification web|grpc|worker|migrate|job NAME``."""

from __future__ import annotations

import threading
from pathlib import Path

from keel_common.cli import ServiceCli
from keel_notification import config
from keel_notification.entrypoints.jobs import JOBS, SCHEDULES

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def worker(settings: config.NotificationSettings, stop: threading.Event) -> None:
    from keel_notification.entrypoints.consumer import run_worker

    run_worker(settings, stop)


def grpc_server(settings: config.NotificationSettings) -> object:
    from keel_notification.entrypoints.grpc_server import create_server

    return create_server(settings)


CLI = ServiceCli(
    service="notification",
    settings=config.load,
    web="keel_notification.entrypoints.flask_app:create_app()",
    grpc=grpc_server,
    worker=worker,
    migrations_dir=MIGRATIONS,
    jobs=dict(JOBS),
    schedules=dict(SCHEDULES),
)


def main() -> int:
    return CLI.main()
