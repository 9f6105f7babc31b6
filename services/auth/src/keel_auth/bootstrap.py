"""The composition root: adapters built from settings, wired into the use cases.

Nothing here runs at import time; ``bootstrap(settings)`` is called by each process's
factory (``create_app``, ``create_server``, the CLI) after gunicorn has forked.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from keel_auth.adapters import orm
from keel_auth.adapters.metrics import PrometheusOtpSmsMeter
from keel_auth.adapters.passwords import Argon2PasswordHasher
from keel_auth.adapters.repository import SqlAlchemyAuthUnitOfWork
from keel_auth.adapters.signing_keys import JwtAccessTokens, SigningKeyStore
from keel_auth.adapters.throttle import LimitsThrottle, create_storage
from keel_auth.config import AuthSettings
from keel_auth.domain.policy import AuthPolicy
from keel_auth.service_layer import ports
from keel_common.auth import (
    InvalidToken,
    Principal,
    RevocationList,
    TokenVerifier,
    create_revocation_list,
    principal_from_claims,
)
from keel_common.db import create_engine, make_session_factory, utcnow

T = TypeVar("T")


class LocalTokenVerifier(TokenVerifier):
    """Auth verifies its own tokens with the keys it holds, plus the shared denylist."""

    def __init__(self, tokens: ports.AccessTokens, revocations: RevocationList) -> None:
        self._tokens = tokens
        self._revocations = revocations

    def verify(self, token: str) -> Principal:
        principal = principal_from_claims(self._tokens.decode(token))
        if self._revocations.is_revoked(principal.session_id):
            raise InvalidToken("session revoked")
        return principal


@dataclass
class Auth:
    """Everything a process of the auth service needs, built once."""

    settings: AuthSettings
    engine: Engine
    uow_factory: Callable[[], ports.UnitOfWork]
    hasher: ports.PasswordHasher
    keys: SigningKeyStore
    tokens: ports.AccessTokens
    throttle: ports.Throttle
    revocations: RevocationList
    meter: ports.OtpSmsMeter
    policy: AuthPolicy
    clock: ports.Clock = utcnow
    verifier: TokenVerifier = field(init=False)

    def __post_init__(self) -> None:
        self.verifier = LocalTokenVerifier(self.tokens, self.revocations)

    def run(self, use_case: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``use_case`` with the ports its signature names (``uow``, ``hasher``, ...);
        each call gets its own unit of work."""
        for name in inspect.signature(use_case).parameters:
            if name in kwargs:
                continue
            if name == "uow":
                kwargs["uow"] = self.uow_factory()
            elif name in _INJECTABLE:
                kwargs[name] = getattr(self, name)
        return use_case(*args, **kwargs)


_INJECTABLE = frozenset({"hasher", "tokens", "throttle", "revocations", "meter", "policy", "clock"})


def outbox_table() -> Any:
    from keel_common.outbox import outbox_table as table

    return table(orm.metadata)


def bootstrap(settings: AuthSettings, **overrides: Any) -> Auth:
    """Build the adapters for ``settings``; ``overrides`` replace any of them (tests)."""
    orm.start_mappers()
    engine = overrides.pop("engine", None) or create_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    outbox = outbox_table()
    policy = overrides.pop("policy", None) or settings.policy()
    clock = overrides.pop("clock", utcnow)
    passphrase = settings.jwt_key_passphrase
    keys = overrides.pop("keys", None) or SigningKeyStore(
        engine,
        passphrase.get_secret_value().encode() if passphrase else None,
        clock,
        policy.access_ttl,
    )
    parts: dict[str, Any] = {
        "uow_factory": lambda: SqlAlchemyAuthUnitOfWork(session_factory, outbox),
        "hasher": Argon2PasswordHasher(
            settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
        ),
        "tokens": JwtAccessTokens(
            keys, settings.jwt_issuer, settings.jwt_audience, policy.access_ttl
        ),
        "throttle": LimitsThrottle(create_storage(settings.redis_url, settings.rate_limit_path)),
        "revocations": create_revocation_list(settings.redis_url, settings.revocations_path),
        "meter": PrometheusOtpSmsMeter(),
    }
    parts.update(overrides)
    return Auth(settings=settings, engine=engine, keys=keys, policy=policy, clock=clock, **parts)
