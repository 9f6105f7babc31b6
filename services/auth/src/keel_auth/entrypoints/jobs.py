"""The periodic jobs of ``bootstrap.DECLARATION``: ``keel-auth job NAME`` runs one (a
Kubernetes CronJob), ``keel-auth scheduler`` runs them on their schedules (local)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keel_auth.bootstrap import Auth

log = logging.getLogger(__name__)


def rotate_signing_key(auth: Auth) -> None:
    kid = auth.keys.rotate()
    log.info("signing key added", extra={"kid": kid})


def prune_signing_keys(auth: Auth) -> None:
    removed = auth.keys.prune()
    log.info("retired signing keys deleted", extra={"count": removed})


def purge_expired(auth: Auth) -> None:
    from keel_auth.adapters.housekeeping import purge_expired as purge

    log.info("expired rows deleted", extra={"count": purge(auth.engine, auth.clock())})
