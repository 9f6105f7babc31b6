"""The composition root: adapters built from settings, wired into the use cases.

Nothing here runs at import time; ``bootstrap(settings)`` is called by each process's
factory (``create_app``, ``create_server``, the worker, a job) after gunicorn has forked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from keel_common.auth import TokenVerifier, create_token_verifier
from keel_common.db import create_engine, make_session_factory, utcnow
from keel_notification.adapters import orm
from keel_notification.adapters.channels import build_senders
from keel_notification.adapters.templates import JinjaRenderer
from keel_notification.adapters.unit_of_work import SqlAlchemyUnitOfWork
from keel_notification.config import NotificationSettings
from keel_notification.domain.policy import RetryPolicy
from keel_notification.service_layer.failover import ChannelSenders
from keel_notification.service_layer.planning import EventPlanner
from keel_notification.service_layer.ports import PurchaseHistory, TemplateRenderer, UnitOfWork


@dataclass
class Notifications:
    """Everything a process of the notification service needs, built once."""

    settings: NotificationSettings
    engine: Engine
    uow_factory: Callable[[], UnitOfWork]
    renderer: TemplateRenderer
    planner: EventPlanner
    senders: ChannelSenders
    policy: RetryPolicy
    verifier: TokenVerifier
    # None until core offers purchase history over gRPC (see the weekly job)
    purchase_history: PurchaseHistory | None = None
    clock: Callable[[], datetime] = utcnow

    def uow(self) -> UnitOfWork:
        return self.uow_factory()

    def close(self) -> None:
        self.senders.close()
        self.engine.dispose()


def bootstrap(settings: NotificationSettings, **overrides: Any) -> Notifications:
    """Build the adapters for ``settings``; ``overrides`` replace any of them (tests)."""
    orm.start_mappers()
    engine = overrides.pop("engine", None) or create_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    parts: dict[str, Any] = {
        "uow_factory": lambda: SqlAlchemyUnitOfWork(session_factory),
        "renderer": JinjaRenderer(),
        "planner": EventPlanner(settings.links()),
        "policy": settings.retry_policy(),
        "verifier": create_token_verifier(
            jwks_url=settings.jwks_url,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            redis_url=settings.redis_url,
        ),
    }
    parts.update(overrides)
    if "senders" not in parts:
        parts["senders"] = build_senders(settings)
    return Notifications(settings=settings, engine=engine, **parts)
