"""keel-core in one place: the composition root and what the service is to the platform.

``bootstrap()`` builds every adapter from settings (nothing connects until first used) and
returns the ``Core`` the entrypoints translate to; ``DECLARATION`` says what core publishes
(product and order events, relayed from its outbox) and that it consumes nothing, has no
metrics of its own and no jobs. Nothing here runs at import time: every worker process of
the platform imports this module through the ``keel.services`` entry point, so the adapters
are imported inside ``bootstrap()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from keel_common.service import Outbox, Service, ServiceDeclaration
from keel_core.config import CoreSettings, load_core_settings
from keel_core.domain.events import (
    OrderCancelled,
    OrderPlaced,
    ProductCreated,
    ProductDeleted,
    ProductUpdated,
)
from keel_core.service_layer.ports import UnitOfWork, UserDirectory, VersionPolicies

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from keel_common.auth import TokenVerifier
    from keel_common.discovery import Discovery
    from keel_core.adapters.app_versions import DocumentSource
    from keel_core.domain.app_versions import Platform, VersionPolicy


@dataclass(kw_only=True, eq=False)
class Core(Service[UnitOfWork]):
    """Everything core's entrypoints need, wired."""

    #: Checks the access tokens of HTTP callers.
    verifier: TokenVerifier
    #: The app-version thresholds in force (Consul KV or a file).
    policies: VersionPolicies
    #: Buyers' names and emails, from auth's ``GetUsers``.
    users: UserDirectory


def bootstrap(settings: CoreSettings | None = None, **overrides: Any) -> Core:
    """Core wired from ``settings`` (default: the environment's); ``overrides`` replace any
    field of ``Core`` (``verifier=``, ``discovery=``, ``users=``, ``broker=``, ...)."""
    from keel_common.db import create_engine, make_session_factory
    from keel_common.discovery import create_discovery
    from keel_common.messaging import create_broker
    from keel_core.adapters.app_versions import CachedVersionPolicies
    from keel_core.adapters.orm import outbox, start_mappers
    from keel_core.adapters.unit_of_work import SqlAlchemyCoreUnitOfWork

    settings = settings or load_core_settings()
    # Built first: the other adapters are wired to the ones the caller chose.
    discovery = overrides.pop("discovery", None) or create_discovery(settings)
    engine = overrides.pop("engine", None) or create_engine(settings.database_url)
    closers: list[Callable[[], None]] = overrides.pop("closers", [])
    start_mappers()
    session_factory = make_session_factory(engine)
    # Only what the caller did not pass is built (a test's broker declares no topology).
    adapters: dict[str, Callable[[], Any]] = {
        "uow_factory": lambda: partial(SqlAlchemyCoreUnitOfWork, session_factory),
        "broker": lambda: create_broker(
            settings.broker_url, exchange=settings.events_exchange, service="core"
        ),
        "verifier": lambda: _token_verifier(settings),
        "policies": lambda: CachedVersionPolicies(
            _thresholds_source(settings, discovery, session_factory),
            ttl=settings.app_versions_cache_seconds,
        ),
        "users": lambda: _auth_users(settings, discovery, closers),
    }
    built = {name: build() for name, build in adapters.items() if name not in overrides}
    wired: dict[str, Any] = {
        "settings": settings,
        "engine": engine,
        "discovery": discovery,
        "outbox": outbox,
        "closers": closers,
    }
    return Core(**(wired | built | overrides))


def _token_verifier(settings: CoreSettings) -> TokenVerifier:
    from keel_common.auth import create_token_verifier

    return create_token_verifier(
        jwks_url=settings.jwks_url,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        redis_url=settings.redis_url,
    )


def _auth_users(
    settings: CoreSettings, discovery: Discovery, closers: list[Callable[[], None]]
) -> UserDirectory:
    """Auth's ``GetUsers`` over a channel to its healthy instances (closed with core)."""
    from keel_common.grpc import channel_for
    from keel_core.adapters.auth_users import GrpcUserDirectory
    from keel_protos.auth.v1 import auth_pb2

    timeout = settings.auth_timeout_seconds
    channel = channel_for("auth", discovery, auth_pb2.DESCRIPTOR, timeout=timeout)
    closers.append(channel.close)
    return GrpcUserDirectory(channel, timeout=timeout)


def _thresholds_source(
    settings: CoreSettings, discovery: Discovery, session_factory: Callable[[], Session]
) -> DocumentSource:
    """The seed (file, or Consul KV over it) overlaid with the thresholds admins edited."""
    from keel_core.adapters.admin_repositories import read_thresholds
    from keel_core.adapters.app_versions import consul_document, edited_document, file_document

    seed = file_document(settings.app_versions_file)
    if settings.discovery == "consul":
        seed = consul_document(discovery, settings.app_versions_consul_key, seed)

    def read_edits() -> dict[Platform, VersionPolicy]:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with session_factory() as session:
                return read_thresholds(session)
        except SQLAlchemyError as exc:
            # Unreadable like a broken file: the last good thresholds stay in force.
            raise OSError(f"edited thresholds unreadable: {type(exc).__name__}") from exc

    return edited_document(read_edits, seed)


DECLARATION: ServiceDeclaration[Core] = ServiceDeclaration(
    name="core",
    bootstrap=bootstrap,
    publishes=(ProductCreated, ProductUpdated, ProductDeleted, OrderPlaced, OrderCancelled),
    # Core reads no other service's events: its worker only relays its outbox.
    consumes=(),
    metrics=(),
    jobs={},
    # Published events are kept 7 days (no secrets in them), then pruned.
    outbox=Outbox(),
)
