"""The composition root: builds the adapters from settings and hands them to entrypoints.

Runs inside the factories (``create_app()``, ``create_server()``, the worker), never at
import time; tests pass their own pieces (a verifier, a discovery, settings) to swap one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from keel_common.auth import TokenVerifier, create_token_verifier
from keel_common.db import create_engine, make_session_factory
from keel_common.discovery import Discovery, create_discovery
from keel_common.messaging import Broker, create_broker
from keel_common.outbox import OutboxRelay
from keel_core.adapters.app_versions import (
    CachedVersionPolicies,
    DocumentSource,
    consul_document,
    file_document,
)
from keel_core.adapters.orm import outbox, start_mappers
from keel_core.adapters.unit_of_work import SqlAlchemyCoreUnitOfWork
from keel_core.config import CoreSettings, load_core_settings
from keel_core.service_layer.ports import UnitOfWork, VersionPolicies


@dataclass(frozen=True)
class Core:
    """Everything an entrypoint needs, wired."""

    settings: CoreSettings
    engine: Engine
    discovery: Discovery
    verifier: TokenVerifier
    policies: VersionPolicies
    new_uow: Callable[[], UnitOfWork]

    @property
    def readiness(self) -> Mapping[str, Callable[[], None]]:
        return {"database": self._database_answers}

    def _database_answers(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))


def bootstrap(
    settings: CoreSettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    discovery: Discovery | None = None,
) -> Core:
    settings = settings or load_core_settings()
    discovery = discovery or create_discovery(settings)
    engine = create_engine(settings.database_url)
    start_mappers()
    session_factory = make_session_factory(engine)
    return Core(
        settings=settings,
        engine=engine,
        discovery=discovery,
        verifier=verifier or _token_verifier(settings),
        policies=CachedVersionPolicies(
            _thresholds_source(settings, discovery), ttl=settings.app_versions_cache_seconds
        ),
        new_uow=lambda: SqlAlchemyCoreUnitOfWork(session_factory),
    )


def _token_verifier(settings: CoreSettings) -> TokenVerifier:
    return create_token_verifier(
        jwks_url=settings.jwks_url,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        redis_url=settings.redis_url,
    )


def _thresholds_source(settings: CoreSettings, discovery: Discovery) -> DocumentSource:
    from_file = file_document(settings.app_versions_file)
    if settings.discovery == "consul":
        return consul_document(discovery, settings.app_versions_consul_key, from_file)
    return from_file


def outbox_relay(settings: CoreSettings, broker: Broker | None = None) -> OutboxRelay:
    """The relay that publishes the events the web and gRPC processes staged."""
    broker = broker or create_broker(
        settings.broker_url, exchange=settings.events_exchange, service=settings.service_name
    )
    engine = create_engine(settings.database_url)
    return OutboxRelay(engine, outbox, broker, settings.service_name)
