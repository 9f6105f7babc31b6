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
from keel_common.discovery import Discovery, create_discovery
from keel_common.grpc import channel_for
from keel_notification.adapters import orm
from keel_notification.adapters.auth_users import GrpcUserDirectory
from keel_notification.adapters.channels import build_senders
from keel_notification.adapters.core_purchases import GrpcPurchaseHistory
from keel_notification.adapters.templates import JinjaRenderer
from keel_notification.adapters.unit_of_work import SqlAlchemyUnitOfWork
from keel_notification.config import NotificationSettings
from keel_notification.domain.policy import RetryPolicy
from keel_notification.service_layer.failover import ChannelSenders
from keel_notification.service_layer.planning import EventPlanner
from keel_notification.service_layer.ports import (
    PurchaseHistory,
    TemplateRenderer,
    UnitOfWork,
    UserDirectory,
)
from keel_protos.auth.v1 import auth_pb2
from keel_protos.core.v1 import core_pb2


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
    purchase_history: PurchaseHistory
    # Where to reach a user no auth event introduced (registered before this service ran).
    directory: UserDirectory
    clock: Callable[[], datetime] = utcnow

    def uow(self) -> UnitOfWork:
        return self.uow_factory()

    def close(self) -> None:
        self.senders.close()
        self.purchase_history.close()
        self.directory.close()
        self.engine.dispose()


def bootstrap(settings: NotificationSettings, **overrides: Any) -> Notifications:
    """Build the adapters for ``settings``; ``overrides`` replace any of them (tests), and
    ``discovery`` (default: the one ``DISCOVERY`` names) is where the gRPC clients look."""
    orm.start_mappers()
    engine = overrides.pop("engine", None) or create_engine(settings.database_url)
    discovery = overrides.pop("discovery", None) or create_discovery(settings)
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
        **_service_clients(settings, discovery),
    }
    parts.update(overrides)
    if "senders" not in parts:
        parts["senders"] = build_senders(settings)
    return Notifications(settings=settings, engine=engine, **parts)


def _service_clients(settings: NotificationSettings, discovery: Discovery) -> dict[str, Any]:
    """Core's purchase history and auth's users over gRPC (channels open at the first call)."""
    core_timeout, auth_timeout = settings.core_timeout_seconds, settings.auth_timeout_seconds
    core = channel_for("core", discovery, core_pb2.DESCRIPTOR, timeout=core_timeout)
    auth = channel_for("auth", discovery, auth_pb2.DESCRIPTOR, timeout=auth_timeout)
    return {
        "purchase_history": GrpcPurchaseHistory(core, timeout=core_timeout),
        "directory": GrpcUserDirectory(auth, timeout=auth_timeout),
    }
