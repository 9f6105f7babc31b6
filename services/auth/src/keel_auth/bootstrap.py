"""The composition root and the declaration of the auth service.

``bootstrap(settings)`` builds every adapter a process needs (nothing connects until first
used) and returns the ``Auth`` service its entrypoints call the use cases with; it runs in
each process's factory (``create_app``, ``create_server``, the CLI), never at import time.

``DECLARATION`` is what auth is to the rest of the platform: the events it publishes
(through its outbox, whose published rows hold one-time secrets and so are kept only 30
minutes), no consumed events, its metrics and its periodic jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from keel_auth.adapters.metrics import METRICS
from keel_auth.domain.export import EXPORT_ATTEMPTS
from keel_auth.entrypoints import jobs
from keel_auth.entrypoints.export_consumer import export_events_handler
from keel_auth.entrypoints.privacy_consumer import erasure_events_handler
from keel_auth.service_layer.oidc_ports import IdentityProviders
from keel_auth.service_layer.ports import (
    AccessTokens,
    OtpSmsMeter,
    PasswordHasher,
    SecretBox,
    Throttle,
    UnitOfWork,
    UserDataSource,
    WebAuthn,
)
from keel_auth.service_layer.views import AccountViews
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
    SessionRevoked,
    SignUpAttempted,
    TokenReuseDetected,
    UserExportReady,
    UserExportRequested,
    UserProfileUpdated,
    UserRegistered,
    UserRolesChanged,
)
from keel_events.privacy import ERASURE_REPORTS

if TYPE_CHECKING:
    from keel_auth.adapters.signing_keys import SigningKeyStore
    from keel_auth.config import AuthSettings
    from keel_auth.domain.policy import AuthPolicy
    from keel_common.auth import RevocationList, TokenVerifier
    from keel_common.cache import NearCopies


@dataclass(kw_only=True, eq=False)
class Auth(Service[UnitOfWork]):
    """Everything a process of the auth service needs, built once by ``bootstrap``."""

    hasher: PasswordHasher
    keys: SigningKeyStore
    tokens: AccessTokens
    throttle: Throttle
    revocations: RevocationList
    meter: OtpSmsMeter
    policy: AuthPolicy
    box: SecretBox
    webauthn: WebAuthn
    #: Verifies bearer tokens on auth's own routes (its keys, plus the shared denylist).
    verifier: TokenVerifier
    #: A token's signature and expiry only, for ``GET /v1/auth/me``: its read of the session
    #: (``views``) is the denylist check, in the same round trip.
    signatures: TokenVerifier
    #: The read side: plain data for the calls that change nothing (``GET /v1/auth/me``).
    views: AccountViews
    #: The OpenID Connect providers users sign in with (Google, Apple, any issuer).
    identity_providers: IdentityProviders
    #: Core, notification and search's ``ExportUserData`` (the worker's data exports).
    export_sources: UserDataSource


def bootstrap(settings: AuthSettings | None = None, **overrides: Any) -> Auth:
    """Build the adapters for ``settings`` (loaded from the environment if None);
    ``overrides`` replace any field of ``Auth`` (tests)."""
    from keel_auth import config
    from keel_auth.adapters import orm, view_changes
    from keel_auth.adapters.metrics import PrometheusOtpSmsMeter
    from keel_auth.adapters.oidc import HttpIdentityProviders
    from keel_auth.adapters.oidc_config import provider_configs
    from keel_auth.adapters.passwords import Argon2PasswordHasher
    from keel_auth.adapters.repository import SqlAlchemyAuthUnitOfWork
    from keel_auth.adapters.secret_box import FernetSecretBox
    from keel_auth.adapters.signing_keys import JwtAccessTokens, LocalTokenVerifier, SigningKeyStore
    from keel_auth.adapters.throttle import LimitsThrottle, create_storage, pseudonym_key
    from keel_auth.adapters.views import SqlAlchemyAccountViews
    from keel_auth.adapters.webauthn import PyWebAuthn
    from keel_common.auth import create_revocation_list
    from keel_common.clock import utcnow
    from keel_common.db import create_engine, make_session_factory
    from keel_common.discovery import create_discovery
    from keel_common.messaging import create_broker

    settings = settings or config.load()

    def make(name: str, build: Callable[[], Any]) -> Any:
        # An override replaces the part without building it (no Redis client, no broker).
        return overrides.pop(name) if name in overrides else build()

    orm.start_mappers()
    engine = make("engine", lambda: create_engine(settings.database_url))
    session_factory = make_session_factory(engine)
    # Every write through it tells the account views whom it changed (after each commit).
    view_changes.watch(session_factory)
    policy = make("policy", settings.policy)
    clock = make("clock", lambda: utcnow)
    passphrase = settings.jwt_key_passphrase
    keys = make(
        "keys",
        lambda: SigningKeyStore(
            engine,
            passphrase.get_secret_value().encode() if passphrase else None,
            clock,
            policy.access_ttl,
        ),
    )
    tokens = make(
        "tokens",
        lambda: JwtAccessTokens(
            keys, settings.jwt_issuer, settings.jwt_audience, policy.access_ttl
        ),
    )
    near = _account_view_copies(settings)
    revocations = make(
        "revocations",
        lambda: announced(
            create_revocation_list(settings.redis_url, settings.revocations_path), settings, near
        ),
    )
    discovery = make("discovery", lambda: create_discovery(settings))
    own_verifier = "verifier" not in overrides
    verifier = make("verifier", lambda: LocalTokenVerifier(tokens, revocations))
    views = make(
        "views", lambda: create_account_views(settings, SqlAlchemyAccountViews(engine), near)
    )
    auth = Auth(
        settings=settings,
        engine=engine,
        uow_factory=make(
            "uow_factory",
            lambda: lambda: SqlAlchemyAuthUnitOfWork(session_factory, orm.outbox, views),
        ),
        broker=make(
            "broker",
            lambda: create_broker(
                settings.broker_url, exchange=settings.events_exchange, service="auth"
            ),
        ),
        discovery=discovery,
        outbox=orm.outbox,
        clock=clock,
        policy=policy,
        keys=keys,
        tokens=tokens,
        revocations=revocations,
        hasher=make(
            "hasher",
            lambda: Argon2PasswordHasher(
                settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
            ),
        ),
        throttle=make(
            "throttle",
            lambda: LimitsThrottle(
                create_storage(settings.redis_url, settings.rate_limit_path),
                pseudonym_key(settings.mfa_key()),
            ),
        ),
        meter=make("meter", PrometheusOtpSmsMeter),
        verifier=verifier,
        # A replaced verifier (tests, benches) serves both. The denylist is skipped only where
        # the view reads it itself or the database answers (``_views_refuse_revoked``).
        signatures=make(
            "signatures",
            lambda: (
                LocalTokenVerifier(tokens, None)
                if own_verifier and _views_refuse_revoked(settings)
                else verifier
            ),
        ),
        views=views,
        identity_providers=make(
            "identity_providers",
            lambda: HttpIdentityProviders(
                provider_configs(settings),
                settings.oidc_callback_base_url,
                settings.oidc_jwks_min_refresh_seconds,
            ),
        ),
        box=make("box", lambda: FernetSecretBox(settings.mfa_key())),
        webauthn=make(
            "webauthn",
            lambda: PyWebAuthn(
                settings.webauthn_rp_id,
                settings.webauthn_rp_name,
                sorted(settings.webauthn_origins),
            ),
        ),
        export_sources=make("export_sources", lambda: _export_sources(settings, discovery)),
        **overrides,
    )
    if near is not None:
        auth.closers.append(near.stop)  # the copies' lease ends with ``close()``, not at exit
    return auth


def create_account_views(
    settings: AuthSettings, database: AccountViews, near: NearCopies | None = None
) -> AccountViews:
    """``database`` behind the cache ``settings.account_view_cache`` names, if any, with
    ``near``'s copies in the process (``_account_view_copies``); on the embedded default,
    ``database`` with its reads copied (``near``), or alone."""
    from keel_auth.adapters.view_cache import CachedAccountViews, CopiedAccountViews
    from keel_common.auth import RedisRevocationList
    from keel_common.cache import RedisStore

    redis_url = _view_cache_url(settings)
    if redis_url is None:
        return database if near is None else CopiedAccountViews(database, near)
    return CachedAccountViews(
        database,
        RedisStore(redis_url),
        settings.account_view_cache_ttl_seconds,
        revoked_key=RedisRevocationList.key if _denylist_beside_views(settings) else None,
        near=near,
    )


def announced(
    revocations: RevocationList, settings: AuthSettings, near: NearCopies | None
) -> RevocationList:
    """The denylist, announcing what it writes when the views keep copies of reads that
    also read it (``view_cache.AnnouncedRevocations``)."""
    from keel_auth.adapters.view_cache import AnnouncedRevocations
    from keel_common.auth import RedisRevocationList

    if near is None or not _denylist_beside_views(settings):
        return revocations
    return AnnouncedRevocations(revocations, near, RedisRevocationList.key)


def _account_view_copies(settings: AuthSettings) -> NearCopies | None:
    """What the account views' copies are kept under (one per process): with the view
    cache, the leases (shared by the views and the denylist's announcements); with neither
    Redis nor ``ACCOUNT_VIEW_CACHE=off``, on a SQLite database, an epoch next to its file.
    None with ``ACCOUNT_VIEW_CACHE_NEAR=false``."""
    from keel_auth.adapters.view_cache import NEAR_PREFIX
    from keel_common.cache import LeasedCopies, SharedEpochCopies
    from keel_common.db import sqlite_file

    if not settings.account_view_cache_near or settings.account_view_cache == "off":
        return None
    ttl = settings.account_view_cache_ttl_seconds
    redis_url = _view_cache_url(settings)
    if redis_url is not None:
        return LeasedCopies(redis_url, NEAR_PREFIX, ttl)
    db_file = sqlite_file(settings.database_url)
    return None if db_file is None else SharedEpochCopies(db_file + ".views.epoch", ttl)


def _view_cache_url(settings: AuthSettings) -> str | None:
    """The Redis the account views are cached in; None when they are read from the database."""
    if settings.account_view_cache == "off":
        return None
    return settings.account_view_cache_url or settings.redis_url


def _denylist_beside_views(settings: AuthSettings) -> bool:
    """Whether the view cache's Redis also holds the denylist (REDIS_URL's): then it is read
    in the same ``MGET`` as the view."""
    return settings.redis_url is not None and settings.account_view_cache_url in (
        None,
        settings.redis_url,
    )


def _views_refuse_revoked(settings: AuthSettings) -> bool:
    """Whether the account views alone refuse a revoked session at once: true when they read
    the database (no cache) or a cache whose Redis holds the denylist. A cache in a Redis of
    its own is not enough: until the commit's invalidation reaches it, or for up to its TTL
    when that invalidation is lost in an outage, a process could serve a revoked session's
    cached view; the denylist, written before the commit, refuses it all the same."""
    return _view_cache_url(settings) is None or _denylist_beside_views(settings)


def _export_sources(settings: AuthSettings, discovery: Any) -> UserDataSource:
    """The other services over gRPC, channels opened on first use (the worker only)."""
    from keel_auth.adapters.export_sources import GrpcUserDataSource
    from keel_common.grpc import channel_for, mutual_tls

    timeout = settings.export_timeout_seconds
    tls = mutual_tls(settings)

    def connect(service: str, descriptor: Any) -> Any:
        return channel_for(service, discovery, descriptor, timeout=timeout, tls=tls)

    return GrpcUserDataSource(connect, timeout=timeout)


DECLARATION: ServiceDeclaration[Auth] = ServiceDeclaration(
    name="auth",
    bootstrap=bootstrap,
    publishes=(
        UserRegistered,
        OtpRequested,
        PasswordResetRequested,
        PasswordChanged,
        SessionRevoked,
        TokenReuseDetected,
        UserRolesChanged,
        SignUpAttempted,
        EmailVerificationRequested,
        PhoneVerificationRequested,
        UserProfileUpdated,
        EmailChangeRequested,
        EmailChanged,
        AccountErasureRequested,
        AccountErased,
        UserExportRequested,
        UserExportReady,
    ),
    # Auth erases its own part of an account in its worker and collects the other services'
    # reports (issue #14); one consumer, so reports of one erasure are recorded in turn.
    consumes=(
        Subscription(
            queue="auth.erasure",
            events=(AccountErasureRequested, *ERASURE_REPORTS),
            handler=erasure_events_handler,
        ),
        # Data exports (issue #14): assembled here so the request stays fast.
        Subscription(
            queue="auth.export",
            events=(UserExportRequested,),
            handler=export_events_handler,
            max_attempts=EXPORT_ATTEMPTS,  # then the job counts as failed (domain.export)
        ),
    ),
    # Published rows still hold one-time codes and tokens in their payload: keep them only
    # briefly (the relay deletes published rows older than this, checking every 5 minutes).
    outbox=Outbox(retention=timedelta(minutes=30), prune_interval=300.0),
    metrics=METRICS,
    # The schedules are the Helm chart's CronJobs (deploy/helm/keel/values.yaml): a new key
    # signs 10 minutes after rotation and the old one may go once its last access token
    # expired (at most 1 h + 30 s leeway), so pruning runs daily 90 minutes after rotating.
    jobs={
        "rotate-signing-key": Job(
            jobs.rotate_signing_key, "0 3 1 * *", "add a signing key (signs 10 minutes later)"
        ),
        "prune-signing-keys": Job(
            jobs.prune_signing_keys, "30 4 * * *", "delete keys whose last token expired"
        ),
        "purge-expired": Job(
            jobs.purge_expired, "15 2 * * *", "delete expired refresh tokens and secrets"
        ),
    },
)
