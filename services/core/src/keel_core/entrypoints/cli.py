"""``keel-core web|grpc|worker|migrate``: what each process kind of the service runs.

The worker relays core's outbox (``DECLARATION.outbox``); core consumes nothing.
"""

from __future__ import annotations

from pathlib import Path

from keel_common.cli import ServiceCli
from keel_core.bootstrap import DECLARATION
from keel_core.config import load_core_settings
from keel_core.entrypoints.grpc_server import create_server

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def main() -> int:
    return ServiceCli(
        declaration=DECLARATION,
        settings=load_core_settings,
        web="keel_core.entrypoints.flask_app:create_app()",
        grpc=create_server,
        migrations_dir=MIGRATIONS,
    ).main()
