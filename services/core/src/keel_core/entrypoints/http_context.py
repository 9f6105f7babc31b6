"""What every core route needs from the request context: the service and the caller."""

from __future__ import annotations

from flask import current_app, request

from keel_common.auth import require_principal
from keel_common.http import BEARER_AUTH
from keel_core.bootstrap import Core
from keel_core.domain.actors import Actor
from keel_core.service_layer.ports import UnitOfWork

EXTENSION = "keel_core"
BEARER: list[dict[str, list[str]]] = BEARER_AUTH


def core() -> Core:
    service: Core = current_app.extensions[EXTENSION]
    return service


def uow() -> UnitOfWork:
    """A new unit of work for the use case this request calls."""
    return core().uow()


def caller() -> Actor:
    """The authenticated caller, or a 401 problem (no, invalid, expired or revoked token)."""
    principal = require_principal()
    mfa_roles = core().settings.require_mfa_for_roles
    return Actor(principal.user_id, principal.roles, principal.amr, mfa_roles)


def optional_caller() -> Actor | None:
    """The caller when the request names one (a bad token still answers 401), else None:
    a public read that depends on who asks (an unlisted product) calls this lazily."""
    if "Authorization" not in request.headers:
        return None
    return caller()
