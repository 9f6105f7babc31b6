"""``keel-auth web|grpc|worker|migrate|job NAME|create-admin``."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
import threading
from pathlib import Path

from keel_auth import config
from keel_auth.adapters.housekeeping import purge_expired
from keel_auth.bootstrap import bootstrap
from keel_auth.domain.errors import InvalidInput
from keel_auth.service_layer import accounts
from keel_common.cli import ServiceCli

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def create_admin(settings: config.AuthSettings, argv: list[str]) -> int:
    """Make an account an admin, creating it (password asked, or read from stdin) if new."""
    parser = argparse.ArgumentParser(prog="keel-auth create-admin")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password-stdin", action="store_true", help="read the password")
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    auth = bootstrap(settings)
    with auth.uow_factory() as uow:
        exists = uow.users.get_by_email(args.email.strip().lower()) is not None
    if not exists and password is None:
        password = getpass.getpass("Password for the new admin: ")
    try:
        user = auth.run(accounts.create_admin, args.email, password)
    except InvalidInput as exc:
        print(f"keel-auth create-admin: {exc.field}: {exc.message}", file=sys.stderr)
        return 2
    print(f"{user.email} is an admin (id {user.id})")
    return 0


def rotate_signing_key(settings: config.AuthSettings) -> None:
    kid = bootstrap(settings).keys.rotate()
    log.info("signing key added", extra={"kid": kid})


def prune_signing_keys(settings: config.AuthSettings) -> None:
    removed = bootstrap(settings).keys.prune()
    log.info("retired signing keys deleted", extra={"count": removed})


def purge(settings: config.AuthSettings) -> None:
    auth = bootstrap(settings)
    log.info("expired rows deleted", extra={"count": purge_expired(auth.engine, auth.clock())})


def worker(settings: config.AuthSettings, stop: threading.Event) -> None:
    from keel_auth.entrypoints.consumer import run_worker

    run_worker(settings, stop)


def grpc_server(settings: config.AuthSettings) -> object:
    from keel_auth.entrypoints.grpc_server import create_server

    return create_server(settings)


CLI = ServiceCli(
    service="auth",
    settings=config.load,
    web="keel_auth.entrypoints.flask_app:create_app()",
    grpc=grpc_server,
    worker=worker,
    migrations_dir=MIGRATIONS,
    jobs={
        "rotate-signing-key": rotate_signing_key,
        "prune-signing-keys": prune_signing_keys,
        "purge-expired": purge,
    },
    extra={"create-admin": create_admin},
)


def main() -> int:
    return CLI.main()
