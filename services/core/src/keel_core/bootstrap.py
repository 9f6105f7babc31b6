"""keel-core in one place: the composition root and what the service is to the platform.

``bootstrap()`` builds every adapter from settings (nothing connects until first used) and
returns the ``Core`` the entrypoints translate to; ``DECLARATION`` says what core publishes
(product, image and order events, relayed from its outbox), that it consumes only its own
upload-completed events (images are processed in the worker) and its one job (the sweep of
abandoned uploads), and its product-cache metrics. Nothing here runs at import time: every
worker process of the platform imports this module through the ``keel.services`` entry
point, so the adapters are imported inside ``bootstrap()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from keel_common.service import Job, Outbox, Service, ServiceDeclaration, Subscription
from keel_core.adapters.metrics import PRODUCT_CACHE_INVALIDATIONS, PRODUCT_CACHE_READS
from keel_core.config import CoreSettings, load_core_settings
from keel_core.domain.events import (
    OrderCancelled,
    OrderPlaced,
    ProductCreated,
    ProductDeleted,
    ProductUpdated,
)
from keel_core.entrypoints.image_worker import sweep_abandoned_uploads, uploaded_images_handler
from keel_core.entrypoints.privacy_consumer import erasure_handler
from keel_core.service_layer.caching import ProductCache
from keel_core.service_layer.image_ports import ImageProcessor, ObjectStore
from keel_core.service_layer.ports import UnitOfWork, UserDirectory, VersionPolicies
from keel_events.auth import AccountErasureRequested
from keel_events.core import ProductImageUploaded
from keel_events.privacy import CoreUserErased

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from keel_common.auth import TokenVerifier
    from keel_common.discovery import Discovery
    from keel_core.adapters.app_versions import DocumentSource
    from keel_core.domain.app_versions import Platform, VersionPolicy


@dataclass(kw_only=True, eq=False)
class Core(Service[UnitOfWork]):
    """Everything core's entrypoints need, wired."""

    settings: CoreSettings
    #: Checks the access tokens of HTTP callers.
    verifier: TokenVerifier
    #: The app-version thresholds in force (Consul KV or a file).
    policies: VersionPolicies
    #: Buyers' names and emails, from auth's ``GetUsers``.
    users: UserDirectory
    #: Where product images live (S3 or local files).
    media: ObjectStore
    #: Checks and re-encodes uploaded images (in the worker).
    image_processor: ImageProcessor
    #: The product read cache every unit of work reads through and invalidates.
    product_cache: ProductCache


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
    product_cache = overrides.pop("product_cache", None) or create_product_cache(settings, closers)
    start_mappers()
    session_factory = make_session_factory(engine)
    # Only what the caller did not pass is built (a test's broker declares no topology).
    adapters: dict[str, Callable[[], Any]] = {
        "uow_factory": lambda: partial(SqlAlchemyCoreUnitOfWork, session_factory, product_cache),
        "broker": lambda: create_broker(
            settings.broker_url, exchange=settings.events_exchange, service="core"
        ),
        "verifier": lambda: _token_verifier(settings),
        "policies": lambda: CachedVersionPolicies(
            _thresholds_source(settings, discovery, session_factory),
            ttl=settings.app_versions_cache_seconds,
        ),
        "users": lambda: _auth_users(settings, discovery, closers),
        "media": lambda: _object_store(settings),
        "image_processor": _image_processor,
    }
    built = {name: build() for name, build in adapters.items() if name not in overrides}
    wired: dict[str, Any] = {
        "settings": settings,
        "engine": engine,
        "discovery": discovery,
        "outbox": outbox,
        "closers": closers,
        "product_cache": product_cache,
    }
    return Core(**(wired | built | overrides))


def create_product_cache(
    settings: CoreSettings, closers: list[Callable[[], None]] | None = None
) -> ProductCache:
    """The cache ``settings.product_cache`` names ("auto": see ``CoreSettings``). Its copies'
    lease, if any, ends with ``closers`` (core's ``close()``), not only at the process's exit."""
    from keel_common.cache import (
        KeyValueStore,
        LeasedCopies,
        NearCopies,
        RedisStore,
        SharedEpochCopies,
        SqliteStore,
    )
    from keel_common.db import sqlite_file
    from keel_core.adapters.product_cache import NEAR_PREFIX, GenerationalProductCache
    from keel_core.service_layer.caching import NoProductCache

    kind, ttl = settings.product_cache, settings.product_cache_ttl_seconds
    redis_url = settings.product_cache_url or settings.redis_url
    db_file = sqlite_file(settings.database_url)
    if kind == "auto":
        kind = "redis" if redis_url else "sqlite" if db_file else "off"
    near: NearCopies | None = None
    if kind == "redis":
        if not redis_url:
            raise ValueError("PRODUCT_CACHE=redis needs PRODUCT_CACHE_URL or REDIS_URL")
        if settings.product_cache_near:
            near = LeasedCopies(redis_url, NEAR_PREFIX, ttl)
        store: KeyValueStore = RedisStore(redis_url)
    elif kind == "sqlite":
        if not db_file:
            raise ValueError("PRODUCT_CACHE=sqlite needs a SQLite file DATABASE_URL")
        if settings.product_cache_near:
            near = SharedEpochCopies(db_file + ".cache.epoch", ttl)
        store = SqliteStore(db_file + ".cache")
    else:
        return NoProductCache()
    if near is not None and closers is not None:
        closers.append(near.stop)
    return GenerationalProductCache(store, ttl, near)


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
    from keel_common.grpc import channel_for, mutual_tls
    from keel_core.adapters.auth_users import GrpcUserDirectory
    from keel_protos.auth.v1 import auth_pb2

    timeout = settings.auth_timeout_seconds
    tls = mutual_tls(settings)
    channel = channel_for("auth", discovery, auth_pb2.DESCRIPTOR, timeout=timeout, tls=tls)
    closers.append(channel.close)
    return GrpcUserDirectory(channel, timeout=timeout)


def _object_store(settings: CoreSettings) -> ObjectStore:
    from keel_core.adapters.object_store import LocalObjectStore, S3ObjectStore

    if settings.media_store == "s3":
        import boto3

        client = boto3.client(
            "s3", region_name=settings.media_s3_region, endpoint_url=settings.media_s3_endpoint_url
        )
        return S3ObjectStore(client, settings.media_bucket, settings.media_public_url)
    secret = settings.media_signing_key.get_secret_value().encode()
    return LocalObjectStore(
        settings.media_dir, settings.media_upload_url, settings.media_public_url, secret
    )


def _image_processor() -> ImageProcessor:
    from keel_core.adapters.image_processing import PillowImageProcessor

    return PillowImageProcessor()


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
    publishes=(
        ProductCreated,
        ProductUpdated,
        ProductDeleted,
        OrderPlaced,
        OrderCancelled,
        ProductImageUploaded,
        CoreUserErased,
    ),
    # Core reads no other service's events; it consumes its own upload-completed events so
    # images are checked and processed in the worker, never in a web request.
    consumes=(
        Subscription(
            queue="core.images",
            events=(ProductImageUploaded,),
            handler=uploaded_images_handler,
            # Decoding is CPU and memory heavy: one image at a time per worker process.
            prefetch=1,
        ),
        # Account erasures (issue #14): the one event core takes from another service.
        Subscription(
            queue="core.erasure", events=(AccountErasureRequested,), handler=erasure_handler
        ),
    ),
    metrics=(PRODUCT_CACHE_READS, PRODUCT_CACHE_INVALIDATIONS),
    jobs={
        "sweep-abandoned-uploads": Job(
            sweep_abandoned_uploads,
            schedule="17 * * * *",
            description="delete product images pending for over a day, and their uploads",
        ),
    },
    # Published events are kept 7 days (no secrets in them), then pruned.
    outbox=Outbox(),
)
