"""The notification service: its composition root and its declaration.

``bootstrap(settings)`` builds every adapter (nothing connects until first used) and is
called by each process's factory after gunicorn has forked; ``DECLARATION`` is what the
service is to the platform: the events it consumes, on which queue and with which handler,
its dispatcher loop, its metrics and its jobs. It publishes only its erasure reports
(issue #14), through its outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from keel_common.service import Job, Outbox, Service, ServiceDeclaration, Subscription
from keel_events.auth import (
    AccountErased,
    AccountErasureRequested,
    EmailChanged,
    EmailChangeRequested,
    EmailVerificationRequested,
    OtpRequested,
    PasswordChanged,
    PasswordResetRequested,
    PhoneVerificationRequested,
    SignUpAttempted,
    TokenReuseDetected,
    UserExportReady,
    UserProfileUpdated,
    UserRegistered,
)
from keel_events.core import OrderCancelled, OrderPlaced
from keel_events.privacy import NotificationUserErased
from keel_notification.adapters.metrics import NOTIFICATION_DELIVERIES
from keel_notification.entrypoints import jobs
from keel_notification.entrypoints.consumer import events_handler
from keel_notification.entrypoints.dispatcher import run_dispatcher
from keel_notification.entrypoints.privacy_consumer import erasure_handler
from keel_notification.service_layer.ports import UnitOfWork

if TYPE_CHECKING:
    from keel_common.auth import TokenVerifier
    from keel_notification.config import NotificationSettings
    from keel_notification.domain.policy import RetryPolicy
    from keel_notification.service_layer.intake import Planner
    from keel_notification.service_layer.ports import (
        PurchaseHistory,
        Sender,
        TemplateRenderer,
        UserDirectory,
    )


@dataclass(kw_only=True, eq=False)
class Notifications(Service[UnitOfWork]):
    """Everything a process of the notification service needs, built once."""

    settings: NotificationSettings
    renderer: TemplateRenderer
    planner: Planner
    #: Every channel's providers, with failover between them.
    senders: Sender
    policy: RetryPolicy
    verifier: TokenVerifier
    #: Core's purchase history (the weekly recommendations job).
    purchase_history: PurchaseHistory
    #: Where to reach a user no auth event introduced (registered before this service ran).
    directory: UserDirectory


def bootstrap(settings: NotificationSettings | None = None, **overrides: Any) -> Notifications:
    """Build the service for ``settings`` (default: the environment's); ``overrides``
    replace any field (tests), and an overridden one is not built."""
    from keel_common.audit.sql import SqlAuditTrail
    from keel_common.auth import create_token_verifier
    from keel_common.db import create_engine, make_session_factory
    from keel_common.discovery import create_discovery
    from keel_common.messaging import create_broker
    from keel_notification import config
    from keel_notification.adapters import orm
    from keel_notification.adapters.channels import build_senders
    from keel_notification.adapters.templates import JinjaRenderer
    from keel_notification.adapters.unit_of_work import SqlAlchemyUnitOfWork
    from keel_notification.service_layer.planning import EventPlanner

    settings = settings or config.load()
    orm.start_mappers()
    engine = overrides.pop("engine", None) or create_engine(settings.database_url)
    discovery = overrides.pop("discovery", None) or create_discovery(settings)
    session_factory = make_session_factory(engine)
    parts: dict[str, Any] = {
        "uow_factory": lambda: SqlAlchemyUnitOfWork(session_factory),
        "renderer": JinjaRenderer(),
        "planner": EventPlanner(settings.links()),
        "policy": settings.retry_policy(),
        "outbox": orm.outbox,
        "audit": SqlAuditTrail(engine, orm.admin_audit),
        **overrides,
    }
    if "broker" not in parts:
        parts["broker"] = create_broker(
            settings.broker_url, exchange=settings.events_exchange, service="notification"
        )
    if "verifier" not in parts:
        parts["verifier"] = create_token_verifier(
            jwks_url=settings.jwks_url,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            redis_url=settings.redis_url,
        )
    for name, build in _clients(settings, discovery).items():
        if name not in parts:
            parts[name] = build()
    if "senders" not in parts:
        parts["senders"] = build_senders(settings)
    closers = [parts[name].close for name in ("senders", "purchase_history", "directory")]
    return Notifications(
        settings=settings, engine=engine, discovery=discovery, closers=closers, **parts
    )


def _clients(settings: NotificationSettings, discovery: Any) -> dict[str, Any]:
    """Core's purchase history and auth's users over gRPC (channels open at the first call)."""
    from keel_common.grpc import channel_for, mutual_tls
    from keel_notification.adapters.auth_users import GrpcUserDirectory
    from keel_notification.adapters.core_purchases import GrpcPurchaseHistory
    from keel_protos.auth.v1 import auth_pb2
    from keel_protos.core.v1 import core_pb2

    core_timeout, auth_timeout = settings.core_timeout_seconds, settings.auth_timeout_seconds
    tls = mutual_tls(settings)

    def purchase_history() -> GrpcPurchaseHistory:
        core = channel_for("core", discovery, core_pb2.DESCRIPTOR, timeout=core_timeout, tls=tls)
        return GrpcPurchaseHistory(core, timeout=core_timeout)

    def directory() -> GrpcUserDirectory:
        auth = channel_for("auth", discovery, auth_pb2.DESCRIPTOR, timeout=auth_timeout, tls=tls)
        return GrpcUserDirectory(auth, timeout=auth_timeout)

    return {"purchase_history": purchase_history, "directory": directory}


def _consumer_threads(service: Notifications) -> int:
    return service.settings.consumer_threads


def _consumer_prefetch(service: Notifications) -> int:
    return service.settings.consumer_prefetch


DECLARATION: ServiceDeclaration[Notifications] = ServiceDeclaration(
    name="notification",
    bootstrap=bootstrap,
    publishes=(NotificationUserErased,),
    outbox=Outbox(),
    consumes=(
        # Each event becomes its messages in the delivery log, and those that may go out now
        # are sent before the ack; the dispatcher sends the rest (retries, quiet hours).
        Subscription(
            queue="notification.events",
            events=(
                UserRegistered,
                OtpRequested,
                PasswordResetRequested,
                PasswordChanged,
                TokenReuseDetected,
                SignUpAttempted,
                EmailVerificationRequested,
                PhoneVerificationRequested,
                EmailChangeRequested,
                EmailChanged,
                UserExportReady,
                UserProfileUpdated,
                OrderPlaced,
                OrderCancelled,
                AccountErased,
            ),
            handler=events_handler,
            consumers=_consumer_threads,
            prefetch=_consumer_prefetch,
        ),
        # Account erasures (issue #14), apart from the messages: an erasure never waits
        # behind a backlog of mail, nor a mail behind an erasure.
        Subscription(
            queue="notification.erasure",
            events=(AccountErasureRequested,),
            handler=erasure_handler,
        ),
    ),
    background={"dispatcher": run_dispatcher},
    metrics=(NOTIFICATION_DELIVERIES,),
    jobs={
        "weekly-recommendations": Job(
            jobs.weekly_recommendations,
            schedule="0 9 * * 1",
            description="'buy again' email and push to users who bought in the last 180 days",
        ),
        "daily-signups-report": Job(
            jobs.daily_signups_report,
            schedule="0 6 * * *",
            description="email the admins yesterday's number of registrations",
        ),
    },
)
