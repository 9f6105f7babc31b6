"""``keel-search web|grpc|worker|migrate|job reindex``: what each process kind runs."""

from __future__ import annotations

from pathlib import Path

from keel_common.cli import ServiceCli
from keel_search.bootstrap import DECLARATION
from keel_search.config import load_search_settings
from keel_search.entrypoints.grpc_server import create_server

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def main() -> int:
    return ServiceCli(
        declaration=DECLARATION,
        settings=load_search_settings,
        web="keel_search.entrypoints.flask_app:create_app()",
        grpc=create_server,
        migrations_dir=MIGRATIONS,
    ).main()
