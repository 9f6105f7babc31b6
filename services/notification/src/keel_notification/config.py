"""The notification service's settings, read once from the environment.

Providers are optional: a channel with none configured writes its messages to
``OUTBOX_DIR/<channel>/`` (the development default); production refuses to start that way.
A secret may also be given as ``NAME_FILE`` (see keel_common.settings).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

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
    # Ordered relays for failover, e.g. "smtp+starttls://user:pass@smtp.example.com:587,
    # smtps://user:pass@backup.example.com:465"; schemes: smtp, smtp+starttls, smtps.
    smtp_relays: SecretStr | None = None

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_base_url: str = "https://api.twilio.com"
    # A From number or a Messaging Service SID ("MG...") per category: never the same one.
    sms_transactional_sender: str | None = None
    sms_promotional_sender: str | None = None

    apns_team_id: str | None = None
    apns_key_id: str | None = None
    apns_private_key: SecretStr | None = None  # the .p8 file's PEM text
    apns_topic: str | None = None  # the app's bundle id
    apns_base_url: str = "https://api.push.apple.com"
    fcm_service_account: SecretStr | None = None  # the service-account JSON key
    fcm_base_url: str = "https://fcm.googleapis.com"
    # Extra CA bundle for provider endpoints (local stand-ins, corporate proxies).
    provider_ca_file: str | None = None

    admin_emails: Annotated[tuple[str, ...], NoDecode] = ()
    link_verify_email: str = Links.verify_email
    link_reset_password: str = Links.reset_password
    link_order: str = Links.order

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
        return Links(self.link_verify_email, self.link_reset_password, self.link_order)

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def apns_configured(self) -> bool:
        return bool(self.apns_team_id and self.apns_key_id and self.apns_private_key)


def load() -> NotificationSettings:
    """The settings of this process; production refuses to deliver into files."""
    settings = load_settings(NotificationSettings)
    problems: dict[str, str] = {}
    if settings.twilio_configured and not (
        settings.sms_transactional_sender and settings.sms_promotional_sender
    ):
        problems["SMS_TRANSACTIONAL_SENDER"] = "both SMS senders are needed with Twilio"
    if (
        settings.sms_transactional_sender
        and settings.sms_transactional_sender == settings.sms_promotional_sender
    ):
        problems["SMS_PROMOTIONAL_SENDER"] = "must differ from the transactional sender"
    if settings.apns_configured and not settings.apns_topic:
        problems["APNS_TOPIC"] = "required with APNs (the app's bundle id)"
    if settings.environment == "production":
        if settings.smtp_relays is None:
            problems["SMTP_RELAYS"] = "required in production"
        if not settings.twilio_configured:
            problems["TWILIO_ACCOUNT_SID"] = "required in production"
    if problems:
        raise ConfigError(problems)
    return settings
