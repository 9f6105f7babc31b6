"""``keel-auth web|grpc|worker|migrate|job NAME|scheduler|create-admin``.

Everything but ``create-admin`` comes from ``keel_common.cli`` and ``bootstrap.DECLARATION``
(the worker runs the outbox relay; auth consumes no events).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from keel_auth import config
from keel_auth.bootstrap import DECLARATION, bootstrap
from keel_auth.domain.errors import InvalidInput
from keel_auth.entrypoints.grpc_server import create_server
from keel_auth.service_layer import accounts
from keel_common.cli import ServiceCli

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def create_admin(settings: config.AuthSettings, argv: list[str]) -> int:
    """Make an account an admin, creating it (password asked, or read from stdin) if new."""
    parser = argparse.ArgumentParser(prog="keel-auth create-admin")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password-stdin", action="store_true", help="read the password")
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    auth = bootstrap(settings)
    try:
        with auth.uow() as uow:
            exists = uow.users.get_by_email(args.email.strip().lower()) is not None
        if not exists and password is None:
            password = getpass.getpass("Password for the new admin: ")
        try:
            user = accounts.create_admin(
                args.email, password, auth.uow(), hasher=auth.hasher, clock=auth.clock
            )
        except InvalidInput as exc:
            print(f"keel-auth create-admin: {exc.field}: {exc.message}", file=sys.stderr)
            return 2
    finally:
        auth.close()
    print(f"{user.email} is an admin (id {user.id})")
    return 0


CLI = ServiceCli(
    declaration=DECLARATION,
    settings=config.load,
    web="keel_auth.entrypoints.flask_app:create_app()",
    grpc=create_server,
    migrations_dir=MIGRATIONS,
    extra={"create-admin": create_admin},
)


def main() -> int:
    return CLI.main()
