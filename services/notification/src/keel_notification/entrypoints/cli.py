"""``keel-notification web|grpc|worker|migrate|job NAME|scheduler``."""

from __future__ import annotations

from pathlib import Path

from keel_common.cli import ServiceCli
from keel_notification import config
from keel_notification.bootstrap import DECLARATION
from keel_notification.entrypoints.grpc_server import create_server

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"

CLI = ServiceCli(
    declaration=DECLARATION,
    settings=config.load,
    web="keel_notification.entrypoints.flask_app:create_app()",
    grpc=create_server,
    migrations_dir=MIGRATIONS,
)


def main() -> int:
    return CLI.main()
