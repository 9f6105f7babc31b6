"""The composition root: builds the adapters from settings and hands them to entrypoints.

Runs inside the factories (``create_app()``, ``create_server()``, the worker, the CLI),
never at import time; tests pass their own pieces (an index, a product source, settings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from keel_common.db import create_engine, make_session_factory
from keel_common.discovery import Discovery, create_discovery
from keel_common.grpc import channel_for
from keel_common.health import database_check
from keel_protos.core.v1 import core_pb2
from keel_search.adapters.orm import start_mappers
from keel_search.adapters.unit_of_work import SqlAlchemySearchUnitOfWork
from keel_search.config import SearchSettings, load_search_settings
from keel_search.service_layer.ports import ProductSource, SearchIndex, UnitOfWork


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Search:
    """Everything an entrypoint needs, wired."""

    settings: SearchSettings
    database: Engine
    index: SearchIndex
    discovery: Discovery
    new_uow: Callable[[], UnitOfWork]
    product_source: Callable[[], ProductSource]
    now: Callable[[], datetime] = utcnow

    @property
    def readiness(self) -> Mapping[str, Callable[[], None]]:
        return {"database": database_check(self.database), "index": self.index.document_count}


def bootstrap(
    settings: SearchSettings | None = None,
    *,
    index: SearchIndex | None = None,
    product_source: Callable[[], ProductSource] | None = None,
    discovery: Discovery | None = None,
) -> Search:
    settings = settings or load_search_settings()
    discovery = discovery or create_discovery(settings)
    database = create_engine(settings.database_url)
    start_mappers()
    session_factory = make_session_factory(database)
    return Search(
        settings=settings,
        database=database,
        index=index or create_index(settings),
        discovery=discovery,
        new_uow=lambda: SqlAlchemySearchUnitOfWork(session_factory),
        product_source=product_source or (lambda: _core_catalogue(settings, discovery)),
    )


def create_index(settings: SearchSettings) -> SearchIndex:
    """The engine ``SEARCH_ENGINE`` names; nothing is opened until first used."""
    if settings.search_engine == "opensearch":
        from keel_search.adapters.opensearch_client import connect
        from keel_search.adapters.opensearch_index import OpenSearchSearchIndex

        assert settings.opensearch_url is not None  # enforced by SearchSettings
        client = connect(settings.opensearch_url.get_secret_value())
        return OpenSearchSearchIndex(client, name=settings.opensearch_index)
    from keel_search.adapters.embedded.index import EmbeddedSearchIndex

    return EmbeddedSearchIndex(settings.search_index_dir)


def _core_catalogue(settings: SearchSettings, discovery: Discovery) -> ProductSource:
    from keel_search.adapters.catalog import GrpcProductSource

    timeout = settings.rebuild_timeout_seconds
    channel = channel_for("core", discovery, core_pb2.DESCRIPTOR, timeout=timeout)
    return GrpcProductSource(channel, timeout=timeout)
