"""Readiness checks for ``/readyz``: each is a callable that returns when its dependency
answers and raises when it does not.

``create_app(..., readiness={"database": database_check(engine), "broker":
broker_check(broker)})`` runs them on every probe; keep each one quick and bounded (the
engine's connect timeout, the broker's own timeout), because the kubelet gives up after its
``timeoutSeconds``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import sqlalchemy as sa

Check = Callable[[], object]  # returns anything; raises when the dependency is away


class Checkable(Protocol):
    """Anything that can say whether it is reachable, e.g. the messaging broker adapter."""

    def check(self) -> None:
        """Return when reachable; raise otherwise."""


def database_check(engine: sa.Engine) -> Check:
    """Passes when a connection from ``engine`` can run ``SELECT 1``."""

    def check() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    return check


def broker_check(broker: Checkable) -> Check:
    """Passes when ``broker.check()`` returns."""

    def check() -> None:
        broker.check()

    return check
