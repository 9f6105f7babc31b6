"""The search service: its composition root and what it is to the rest of the platform.

``bootstrap()`` builds every adapter from settings (nothing connects or opens until first
used) and returns the ``Search`` the entrypoints take; tests pass ``overrides`` (an index,
a product source, a discovery). ``DECLARATION`` says what search consumes (core's product
events, account erasures), its metrics and its jobs; it publishes only its erasure reports,
through its outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from keel_common.health import Check
from keel_common.service import Job, Outbox, Service, ServiceDeclaration, Subscription
from keel_events.auth import AccountErasureRequested
from keel_events.core import ProductCreated, ProductDeleted, ProductUpdated
from keel_events.privacy import SearchUserErased
from keel_search.adapters.metrics import INDEX_LAG, RESULT_CACHE_LOOKUPS
from keel_search.config import SearchSettings, load_search_settings
from keel_search.entrypoints.consumer import product_events_handler
from keel_search.entrypoints.jobs import reindex
from keel_search.entrypoints.privacy_consumer import erasure_handler
from keel_search.service_layer.ports import ProductSource, ResultCache, SearchIndex, UnitOfWork

if TYPE_CHECKING:
    from keel_common.auth import TokenVerifier
    from keel_common.discovery import Discovery

T = TypeVar("T")


@dataclass(kw_only=True, eq=False)
class Search(Service[UnitOfWork]):
    """Everything a search process needs, wired."""

    settings: SearchSettings
    index: SearchIndex
    #: Core's catalogue (``CatalogService.ListProducts``), read by rebuilds.
    product_source: ProductSource
    #: Access tokens of the admin API (nothing fetches the keys until the first admin call).
    verifier: TokenVerifier
    #: Search answers of this process per index state; None: every search runs.
    result_cache: ResultCache | None = None

    def extra_readiness(self) -> Mapping[str, Check]:
        return {"index": self.index.document_count}


def bootstrap(settings: SearchSettings | None = None, **overrides: Any) -> Search:
    from keel_common.db import create_engine, make_session_factory
    from keel_common.discovery import create_discovery
    from keel_common.messaging import create_broker
    from keel_search.adapters.orm import start_mappers
    from keel_search.adapters.unit_of_work import SqlAlchemySearchUnitOfWork

    settings = settings or load_search_settings()

    def part(name: str, build: Callable[[], T]) -> T:
        return overrides.pop(name) if name in overrides else build()

    from keel_search.adapters.orm import outbox

    engine = part("engine", lambda: create_engine(settings.database_url))
    start_mappers()
    session_factory = make_session_factory(engine)
    discovery = part("discovery", lambda: create_discovery(settings))
    index = part("index", lambda: create_index(settings))
    closers: list[Callable[[], None]] = [index.close]
    product_source = part("product_source", lambda: _core_catalogue(settings, discovery, closers))
    verifier = part("verifier", lambda: _token_verifier(settings))
    result_cache = part("result_cache", lambda: _result_cache(settings))
    return Search(
        settings=settings,
        engine=engine,
        uow_factory=part(
            "uow_factory", lambda: partial(SqlAlchemySearchUnitOfWork, session_factory)
        ),
        broker=part(
            "broker",
            lambda: create_broker(
                settings.broker_url, exchange=settings.events_exchange, service="search"
            ),
        ),
        discovery=discovery,
        audit=part("audit", lambda: _audit_trail(engine)),
        index=index,
        product_source=product_source,
        verifier=verifier,
        result_cache=result_cache,
        outbox=part("outbox", lambda: outbox),
        closers=closers,
        **overrides,
    )


def _audit_trail(engine: Any) -> Any:
    from keel_common.audit.sql import SqlAuditTrail
    from keel_search.adapters.orm import admin_audit

    return SqlAuditTrail(engine, admin_audit)


def _result_cache(settings: SearchSettings) -> ResultCache | None:
    """Off with a zero bound, and with OpenSearch: its state changes on the cluster (any
    replica writes, refreshes come later) with nothing a reader could key an answer on
    without asking the cluster, which costs what the search costs."""
    from keel_search.adapters.result_cache import InMemoryResultCache

    entries, max_bytes = settings.search_cache_entries, settings.search_cache_bytes
    if not entries or not max_bytes or settings.search_engine == "opensearch":
        return None
    return InMemoryResultCache(entries, max_bytes, service=settings.service_name)


def _token_verifier(settings: SearchSettings) -> TokenVerifier:
    from keel_common.auth import create_token_verifier

    return create_token_verifier(
        jwks_url=settings.jwks_url,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        redis_url=settings.redis_url,
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

    return EmbeddedSearchIndex(
        settings.search_index_dir, refresh_seconds=settings.search_refresh_seconds
    )


def _core_catalogue(
    settings: SearchSettings, discovery: Discovery, closers: list[Callable[[], None]]
) -> ProductSource:
    """A channel to core (not connected until a rebuild streams) and the source over it."""
    from keel_common.grpc import channel_for, mutual_tls
    from keel_protos.core.v1 import core_pb2
    from keel_search.adapters.catalog import GrpcProductSource

    timeout = settings.rebuild_timeout_seconds
    tls = mutual_tls(settings)
    channel = channel_for("core", discovery, core_pb2.DESCRIPTOR, timeout=timeout, tls=tls)
    closers.append(channel.close)
    return GrpcProductSource(channel, timeout=timeout)


#: Core's product events, whatever their order or repetition (versions decide), applied by
#: ``search_consumers`` threads sharing one group-committing index.
PRODUCT_EVENTS = Subscription[Search](
    queue="search.products",
    events=(ProductCreated, ProductUpdated, ProductDeleted),
    handler=product_events_handler,
    consumers=lambda search: search.settings.search_consumers,
    prefetch=10,
)

DECLARATION = ServiceDeclaration[Search](
    name="search",
    bootstrap=bootstrap,
    publishes=(SearchUserErased,),
    consumes=(
        PRODUCT_EVENTS,
        # Account erasures (issue #14): the user's products leave the index at once.
        Subscription[Search](
            queue="search.erasure", events=(AccountErasureRequested,), handler=erasure_handler
        ),
    ),
    metrics=(INDEX_LAG, RESULT_CACHE_LOOKUPS),
    jobs={
        # On demand only (deploy/helm has no CronJob for it): after an outage or a mapping
        # change, ``keel-search job reindex``.
        "reindex": Job(reindex, description="rebuild the index from core's catalogue"),
    },
    outbox=Outbox(),
)
