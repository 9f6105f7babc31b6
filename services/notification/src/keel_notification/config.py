"""The notification service's settings, read once from the environment.

Each channel fails over along one ordered list of provider URLs (the adapters read them;
see ``adapters/provider_url.py``)::

    EMAIL_PROVIDERS=smtp+starttls://user:pass@smtp.example.com:587,smtps://user:pass@backup:465
    SMS_PROVIDERS=twilio://SID:TOKEN@api.twilio.com?tx=+15550100&promo=MG...
    PUSH_PROVIDERS=apns://KEY_ID:PEM@api.push.apple.com?team=TEAM&topic=app,fcm://P:JSON@fcm...

Secrets inside a URL are percent-encoded (a comma is ``%2C``); each list may also be given as
``NAME_FILE`` (a mounted secret, see keel_common.settings). A channel with no providers
writes its messages to ``FILE_DELIVERY_DIR/<channel>/`` (the development default);
production refuses to deliver email or SMS into files.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from keel_common.settings import ConfigError, ServiceSettings, load_settings
from keel_notification.domain.policy import RetryPolicy
from keel_notification.service_layer.planning import Links


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class NotificationSettings(ServiceSettings):
    service_name: str = "notification"
    http_port: int = Field(default=8003, ge=0, le=65535)
    grpc_port: int = Field(default=50053, ge=0, le=65535)
    metrics_port: int = Field(default=9103, ge=0, le=65535)

    email_from: str = "Keel <no-reply@keel.localhost>"
    # Provider URLs per channel, in failover order (see the module docstring).
    email_providers: SecretStr | None = None
    sms_providers: SecretStr | None = None
    push_providers: SecretStr | None = None
    # Extra CA bundle for provider endpoints (local stand-ins, corporate proxies).
    provider_ca_file: str | None = None
    # Development delivery: one file per message under <dir>/<channel>/.
    file_delivery_dir: Path = Path("var/outbox")

    admin_emails: Annotated[tuple[str, ...], NoDecode] = ()
    link_verify_email: str = Links.verify_email
    link_reset_password: str = Links.reset_password
    link_order: str = Links.order
    link_confirm_email_change: str = Links.confirm_email_change
    link_download_export: str = Links.download_export

    max_attempts: int = Field(default=6, ge=1, le=50)
    retry_base_seconds: float = Field(default=30, gt=0)
    retry_max_seconds: float = Field(default=7200, gt=0)
    claim_seconds: float = Field(default=300, gt=0)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_cooldown_seconds: float = Field(default=30, gt=0)
    dispatch_interval_seconds: float = Field(default=1.0, gt=0)
    dispatch_batch: int = Field(default=100, ge=1, le=1000)
    consumer_prefetch: int = Field(default=50, ge=1, le=1000)
    # each consumer thread has its own broker connection and handles one event at a time
    consumer_threads: int = Field(default=4, ge=1, le=64)
    # Deadlines of one call to auth's GetUsers (address of a user no event introduced) and
    # to core's ListPurchaseHistory (the weekly recommendations job).
    auth_timeout_seconds: float = Field(default=2.0, gt=0)
    core_timeout_seconds: float = Field(default=10.0, gt=0)

    _split_admins = field_validator("admin_emails", mode="before")(_comma_list)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base_delay=timedelta(seconds=self.retry_base_seconds),
            max_delay=timedelta(seconds=self.retry_max_seconds),
            lease=timedelta(seconds=self.claim_seconds),
        )

    def links(self) -> Links:
        return Links(
            self.link_verify_email,
            self.link_reset_password,
            self.link_order,
            self.link_confirm_email_change,
            self.link_download_export,
        )

    def provider_urls(self, variable: str) -> list[str]:
        """The URLs of ``EMAIL_PROVIDERS``, ``SMS_PROVIDERS`` or ``PUSH_PROVIDERS``, in order."""
        value: SecretStr | None = getattr(self, variable.lower())
        text = value.get_secret_value() if value is not None else ""
        return [url.strip() for url in text.split(",") if url.strip()]


def _link_problems(settings: NotificationSettings) -> dict[str, str]:
    """Links in production emails must point at the real public site over HTTPS: the
    defaults (``http://127.0.0.1``) would send users' tokens nowhere, or to a local attacker."""
    problems = {}
    links = (
        "link_verify_email",
        "link_reset_password",
        "link_order",
        "link_confirm_email_change",
        "link_download_export",
    )
    for field in links:
        url = urlsplit(getattr(settings, field))
        host = (url.hostname or "").lower()
        if url.scheme != "https" or not host or host == "localhost" or _is_loopback(host):
            problems[field.upper()] = "an https URL of the public site is required in production"
    return problems


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_private
    except ValueError:
        return host.endswith(".localhost") or host.endswith(".local")


def load(**values: Any) -> NotificationSettings:
    """The settings of this process (``values`` override the environment, for tests);
    refuses provider lists the adapters cannot read, and file delivery or local email links
    in production."""
    from keel_notification.adapters.channels import provider_problems

    settings = load_settings(NotificationSettings, **values)
    problems = provider_problems(settings)
    if settings.environment == "production":
        for variable in ("EMAIL_PROVIDERS", "SMS_PROVIDERS"):
            urls = settings.provider_urls(variable)
            if not urls or any(url.lower().startswith("file:") for url in urls):
                problems.setdefault(variable, "real providers are required in production")
        problems.update(_link_problems(settings))
    if problems:
        raise ConfigError(problems)
    return settings
