"""The console's settings: where the public API is, the cookie key, the idle limit."""

from __future__ import annotations

from pydantic import Field, SecretStr

from keel_common.settings import ServiceSettings, load_settings


class ConsoleSettings(ServiceSettings):
    service_name: str = "console"
    http_port: int = Field(default=8005, ge=0, le=65535)
    #: The public API the console is a client of: the gateway (or the ingress).
    console_api_url: str = "http://127.0.0.1:8080"
    #: Encrypts the session cookie; every replica needs the same one. At least 32 characters.
    console_secret_key: SecretStr = Field(min_length=32)
    #: The session ends after this long without a request.
    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    #: Send the cookie over HTTPS only; off only for `make run` on http://127.0.0.1.
    console_cookie_secure: bool = True
    #: Seconds one API call may take.
    console_api_timeout: float = Field(default=10.0, gt=0)


def load_console_settings() -> ConsoleSettings:
    return load_settings(ConsoleSettings)
