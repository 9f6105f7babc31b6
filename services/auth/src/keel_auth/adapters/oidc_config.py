"""The OpenID Connect providers of this deployment, read from the settings.

``OIDC_PROVIDERS`` is a JSON object naming each provider; ``google`` and ``apple`` (or any
name with ``"preset": "google"|"apple"``) start from the presets below, any other issuer is
described in full. Secrets never sit in that JSON: client secrets come from
``OIDC_CLIENT_SECRETS`` (JSON, provider -> secret) and Apple's key from
``OIDC_APPLE_PRIVATE_KEY``, both mountable as ``*_FILE``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from keel_common.settings import ConfigError

if TYPE_CHECKING:
    from keel_auth.config import AuthSettings

APPLE_ISSUER = "https://appleid.apple.com"
PRESETS: dict[str, dict[str, Any]] = {
    "google": {
        "issuer": "https://accounts.google.com",
        # Google's tokens carry either form (its documentation names both).
        "accepted_issuers": ["https://accounts.google.com", "accounts.google.com"],
        "token_auth": "client_secret_post",
        "scopes": "openid email profile",
    },
    "apple": {
        "issuer": APPLE_ISSUER,
        "token_auth": "apple_jwt",
        # Apple's SDKs put the SHA-256 of the app's nonce in the token.
        "nonce_hashed": True,
        "scopes": "openid email name",
        # Apple posts the callback (a form) when the name or email scope is asked for.
        "response_mode": "form_post",
    },
}
TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "apple_jwt", "none")


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    issuer: str
    client_ids: tuple[str, ...]
    web_client_id: str
    accepted_issuers: tuple[str, ...]
    discovery_url: str
    token_auth: str = "client_secret_basic"  # noqa: S105 - a method name
    nonce_hashed: bool = False
    scopes: str = "openid email profile"
    response_mode: str | None = None
    redirect_uris: frozenset[str] = frozenset()
    apple_team_id: str | None = None
    apple_key_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    apple_private_key: str | None = field(default=None, repr=False)


def provider_configs(settings: AuthSettings) -> dict[str, ProviderConfig]:
    """Every configured provider by name; ``ConfigError`` names what is missing."""
    secrets = _secrets(settings)
    apple_key = settings.oidc_apple_private_key
    configs = {}
    for name, raw in settings.oidc_providers.items():
        if not isinstance(raw, dict):
            raise ConfigError({"OIDC_PROVIDERS": f"{name}: expected an object"})
        values = {**PRESETS.get(str(raw.get("preset", name)), {}), **raw}
        configs[name] = _config(name, values, settings, secrets.get(name), apple_key)
    return configs


def _config(
    name: str, values: dict[str, Any], settings: AuthSettings, secret: str | None, key: Any
) -> ProviderConfig:
    issuer = str(values.get("issuer") or "").rstrip("/")
    client_ids = tuple(str(each) for each in values.get("client_ids") or ())
    token_auth = str(values.get("token_auth", "client_secret_basic"))
    if not issuer or not client_ids or token_auth not in TOKEN_AUTH_METHODS:
        raise ConfigError(
            {"OIDC_PROVIDERS": f"{name}: needs issuer, client_ids and a known token_auth"}
        )
    if token_auth == "apple_jwt" and not (  # noqa: S105 - a method name
        values.get("team_id") and values.get("key_id") and key is not None
    ):
        raise ConfigError(
            {"OIDC_APPLE_PRIVATE_KEY": f"{name}: Apple needs team_id, key_id and the key"}
        )
    return ProviderConfig(
        name=name,
        issuer=issuer,
        client_ids=client_ids,
        web_client_id=str(values.get("web_client_id") or client_ids[0]),
        accepted_issuers=tuple(values.get("accepted_issuers") or (issuer,)),
        discovery_url=str(
            values.get("discovery_url") or f"{issuer}/.well-known/openid-configuration"
        ),
        token_auth=token_auth,
        nonce_hashed=bool(values.get("nonce_hashed", False)),
        scopes=str(values.get("scopes", "openid email profile")),
        response_mode=values.get("response_mode"),
        redirect_uris=frozenset(settings.oidc_redirect_uris)
        | frozenset(values.get("redirect_uris") or ()),
        apple_team_id=values.get("team_id"),
        apple_key_id=values.get("key_id"),
        client_secret=secret,
        apple_private_key=key.get_secret_value() if key is not None else None,
    )


def _secrets(settings: AuthSettings) -> dict[str, str]:
    raw = settings.oidc_client_secrets
    if raw is None:
        return {}
    try:
        secrets = json.loads(raw.get_secret_value())
    except ValueError:
        secrets = None
    if not isinstance(secrets, dict):
        # The value itself is never echoed: it is a secret.
        raise ConfigError({"OIDC_CLIENT_SECRETS": "expected a JSON object provider -> secret"})
    return {str(name): str(secret) for name, secret in secrets.items()}
