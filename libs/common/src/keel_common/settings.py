"""Typed settings read once from the environment, with secrets from mounted files.

Each service subclasses ``ServiceSettings``, gives ``service_name`` a default and adds its own
fields; its composition root calls ``load_settings(MySettings)`` once. A value may be given as
``NAME`` or, for Kubernetes-mounted secrets, as ``NAME_FILE`` (a path whose content is the
value); giving both is an error rather than a silent choice. Secrets are ``SecretStr`` so that
``repr``, ``str`` and logs show ``**********``; credentials inside URLs (``DATABASE_URL``,
``BROKER_URL``, ``REDIS_URL``) are masked in ``repr`` too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from keel_common.logging import redact

DEFAULT_STATIC_SERVICES = (
    "auth=127.0.0.1:50051,core=127.0.0.1:50052,notification=127.0.0.1:50053,search=127.0.0.1:50054"
)

S = TypeVar("S", bound="ServiceSettings")
#: ``REQUIRE_MFA_FOR_ROLES`` when ``ENVIRONMENT=production`` and the variable is unset.
PRODUCTION_MFA_ROLES = frozenset({"admin", "staff"})


class ConfigError(Exception):
    """The environment does not describe a runnable service; ``problems`` maps each variable
    to what is wrong with it (never to its value)."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        listed = "; ".join(f"{name}: {problem}" for name, problem in self.problems.items())
        super().__init__(f"invalid configuration: {listed}")


def env_name(settings_cls: type[BaseSettings], field_name: str) -> str:
    """The environment variable that sets ``field_name``."""
    alias = settings_cls.model_fields[field_name].validation_alias
    if isinstance(alias, str):
        return alias.upper()
    return (settings_cls.model_config.get("env_prefix", "") + field_name).upper()


class FileSettingsSource(PydanticBaseSettingsSource):
    """Reads ``NAME`` from the file named by ``NAME_FILE`` (a mounted secret)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything happens in __call__

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field_name in self.settings_cls.model_fields:
            name = env_name(self.settings_cls, field_name)
            path = os.environ.get(f"{name}_FILE")
            if not path:
                continue
            if os.environ.get(name):
                raise ConfigError({name: f"set either {name} or {name}_FILE, not both"})
            try:
                # Files written by `echo` or editors end with a newline that is not the value.
                values[field_name] = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise ConfigError({f"{name}_FILE": f"cannot read {path}: {exc.strerror}"}) from None
        return values


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ServiceSettings(BaseSettings):
    """The settings every Keel process shares (docs/architecture.md, "Settings")."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        env_ignore_empty=True,
        hide_input_in_errors=True,
    )

    service_name: str
    environment: str = "development"
    database_url: str = ""  # "" means sqlite:///var/<service_name>.db, see below
    broker_url: str = "sqla+sqlite:///var/broker.db"
    events_exchange: str = "keel.events"
    redis_url: str | None = None
    discovery: Literal["static", "consul"] = "static"
    static_services: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=lambda: _parse_services(DEFAULT_STATIC_SERVICES)
    )
    consul_http_addr: str = "127.0.0.1:8500"
    # The service's own Consul ACL token (Consul runs default-deny outside development).
    consul_http_token: SecretStr | None = None
    # Proxies in front of every HTTP server that append to X-Forwarded-For: the nginx gateway
    # locally, the ingress controller in Kubernetes (network policy lets nothing else in).
    trusted_proxy_hops: int = Field(default=1, ge=0, le=5)
    # 0.0.0.0 in containers; .env.dev sets 127.0.0.1 so `make run` answers only on loopback.
    bind_host: str = "0.0.0.0"
    http_port: int = Field(default=8080, ge=0, le=65535)
    # Kubernetes' preStop hook creates this file: /readyz then answers 503, so the pod leaves
    # every load balancer while it still serves, before SIGTERM starts gunicorn's drain.
    drain_file: Path | None = None
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    metrics_port: int = Field(default=9100, ge=0, le=65535)
    # Service-to-service mTLS (keel_common.grpc.mtls): PEM files, as cert-manager mounts
    # them. Required outside ENVIRONMENT=development; unset there means plaintext.
    grpc_tls_cert_file: str = ""
    grpc_tls_key_file: str = ""
    grpc_tls_ca_file: str = ""
    # A plaintext port serving only gRPC health, for probes that hold no certificate.
    grpc_health_port: int | None = Field(default=None, ge=0, le=65535)
    log_level: LogLevel = "INFO"
    sentry_dsn: SecretStr | None = None
    jwks_url: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    jwt_issuer: str = "keel-auth"
    jwt_audience: str = "keel"
    # Roles whose tokens every admin API refuses without a second factor (comma list;
    # keel_common.second_factor). Unset: "admin,staff" in production, none elsewhere, so
    # `make run` stays usable ("none", a role nobody holds, turns it off in production).
    require_mfa_for_roles: Annotated[frozenset[str], NoDecode] = Field(
        default=None, validate_default=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # One way to configure: arguments (tests), then NAME, then NAME_FILE. No .env files.
        return init_settings, env_settings, FileSettingsSource(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _default_database_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("database_url"):
            service = data.get("service_name") or cls.model_fields["service_name"].default
            if isinstance(service, str):
                return {**data, "database_url": f"sqlite:///var/{service}.db"}
        return data

    @field_validator("static_services", mode="before")
    @classmethod
    def _read_services(cls, value: Any) -> Any:
        return _parse_services(value) if isinstance(value, str) else value

    @field_validator("require_mfa_for_roles", mode="before")
    @classmethod
    def _mfa_roles(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            production = info.data.get("environment") == "production"
            return PRODUCTION_MFA_ROLES if production else frozenset()
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # SecretStr masks itself; URLs with a password inside are plain strings, so mask them.
        for name, value in super().__repr_args__():
            yield name, redact(value) if isinstance(value, str) else value


def _parse_services(value: str) -> dict[str, str]:
    """``auth=host:port,core=host:port`` -> ``{"auth": "host:port", ...}``."""
    services: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, sep, address = item.partition("=")
        if not sep or not name.strip() or ":" not in address:
            raise ValueError("expected name=host:port pairs separated by commas")
        services[name.strip()] = address.strip()
    return services


def _describe(settings_cls: type[BaseSettings], exc: ValidationError) -> dict[str, str]:
    problems: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        name = env_name(settings_cls, field) if field in settings_cls.model_fields else field
        if error["type"] == "missing":
            problems[name] = f"missing (set {name} or {name}_FILE)"
        else:
            problems[name] = error["msg"]
    return problems


def load_settings(settings_cls: type[S], **values: Any) -> S:
    """Read ``settings_cls`` from the environment, or raise ``ConfigError`` naming each bad
    variable. ``values`` override the environment (tests)."""
    try:
        return settings_cls(**values)
    except ValidationError as exc:
        problems = _describe(settings_cls, exc)
    # Raised outside the except block so the ValidationError, which may hold the rejected
    # values, is not chained onto what gets printed or reported.
    raise ConfigError(problems)
