"""The notification service's settings, read once from the environment.

Providers are optional: a channel with none configured writes its messages to
``OUTBOX_DIR/<channel>/`` (the development default); production refuses to start that way.
A secret may also be given as ``NAME_FILE`` (see keel_common.settings).

Each channel fails over along an ordered list of providers. Email lists its relays as URLs in
``SMTP_RELAYS``. SMS and push providers are given by comma-separated values read side by
side: item *i* of each variable describes provider *i*, and a variable with one value gives
it to every provider. Two Twilio accounts, the second on its own endpoint::

    TWILIO_ACCOUNT_SID=AC1...,AC2...   TWILIO_AUTH_TOKEN=tok1,tok2
    TWILIO_BASE_URL=https://api.twilio.com,https://sms-backup.example.com
    SMS_TRANSACTIONAL_SENDER=+15550100,+15550200   SMS_PROMOTIONAL_SENDER=MG1...,MG2...

APNs takes ``APNS_TEAM_ID``, ``APNS_KEY_ID``, ``APNS_PRIVATE_KEY`` and ``APNS_BASE_URL`` the
same way; ``FCM_SERVICE_ACCOUNT`` is one service-account JSON object or a JSON array of them,
read side by side with ``FCM_BASE_URL``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from keel_common.settings import ConfigError, ServiceSettings, env_name, load_settings
from keel_notification.domain.model import Category
from keel_notification.domain.policy import RetryPolicy
from keel_notification.service_layer.planning import Links


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _values(value: str | SecretStr | None) -> list[str]:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def side_by_side(columns: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Lists read in parallel: item i of each is provider i; a single item serves them all.

    ``columns`` maps environment variable names to their values; raises ConfigError naming
    each variable whose count matches neither 1 nor the longest list.
    """
    count = max(len(values) for values in columns.values())
    problems = {
        name: f"give 1 or {count} comma-separated values, not {len(values)}"
        for name, values in columns.items()
        if len(values) not in (1, count)
    }
    if problems:
        raise ConfigError(problems)
    return [
        {name: values[i] if len(values) > 1 else values[0] for name, values in columns.items()}
        for i in range(count)
    ]


@dataclass(frozen=True)
class TwilioAccount:
    """One Twilio-style account or endpoint, with its sender identity per category."""

    account_sid: str
    auth_token: str = field(repr=False)
    base_url: str
    senders: Mapping[Category, str]


@dataclass(frozen=True)
class ApnsKey:
    team_id: str
    key_id: str
    private_key: str = field(repr=False)
    base_url: str


@dataclass(frozen=True)
class FcmAccount:
    service_account: Mapping[str, Any] = field(repr=False)
    base_url: str


class NotificationSettings(ServiceSettings):
    service_name: str = "notification"
    http_port: int = Field(default=8003, ge=0, le=65535)
    grpc_port: int = Field(default=50053, ge=0, le=65535)
    metrics_port: int = Field(default=9103, ge=0, le=65535)

    email_from: str = "Keel <no-reply@keel.localhost>"
    # Ordered relays for failover, e.g. "smtp+starttls://user:pass@smtp.example.com:587,
    # smtps://user:pass@backup.example.com:465"; schemes: smtp, smtp+starttls, smtps.
    smtp_relays: SecretStr | None = None

    # SMS and push providers: comma-separated, read side by side (see the module docstring).
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
    fcm_service_account: SecretStr | None = None  # the service-account JSON key (or an array)
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

    def _side_by_side(self, columns: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
        """``side_by_side`` over fields, with problems named by their environment variable."""
        try:
            return side_by_side(columns)
        except ConfigError as exc:
            problems = {env_name(type(self), name): why for name, why in exc.problems.items()}
            raise ConfigError(problems) from None

    def twilio_accounts(self) -> list[TwilioAccount]:
        """The SMS providers in failover order; empty when Twilio is not configured."""
        if not self.twilio_configured:
            return []
        names = (
            "twilio_account_sid",
            "twilio_auth_token",
            "twilio_base_url",
            "sms_transactional_sender",
            "sms_promotional_sender",
        )
        rows = self._side_by_side({name: _values(getattr(self, name)) for name in names})
        return [
            TwilioAccount(
                account_sid=row["twilio_account_sid"],
                auth_token=row["twilio_auth_token"],
                base_url=row["twilio_base_url"],
                senders={
                    Category.TRANSACTIONAL: row["sms_transactional_sender"],
                    Category.PROMOTIONAL: row["sms_promotional_sender"],
                },
            )
            for row in rows
        ]

    def apns_keys(self) -> list[ApnsKey]:
        """The APNs providers in failover order; empty when APNs is not configured."""
        if not self.apns_configured:
            return []
        names = ("apns_team_id", "apns_key_id", "apns_private_key", "apns_base_url")
        rows = self._side_by_side({name: _values(getattr(self, name)) for name in names})
        return [ApnsKey(*(row[name] for name in names)) for row in rows]

    def fcm_accounts(self) -> list[FcmAccount]:
        """The FCM providers in failover order; empty when FCM is not configured."""
        if self.fcm_service_account is None:
            return []
        try:
            keys = json.loads(self.fcm_service_account.get_secret_value())
        except ValueError:
            keys = None
        if isinstance(keys, dict):
            keys = [keys]
        if not (isinstance(keys, list) and keys and all(isinstance(k, dict) for k in keys)):
            problem = "a service-account JSON object or an array of them"
            raise ConfigError({env_name(type(self), "fcm_service_account"): problem})
        columns = {"fcm_service_account": keys, "fcm_base_url": _values(self.fcm_base_url)}
        rows = self._side_by_side(columns)
        return [FcmAccount(row["fcm_service_account"], row["fcm_base_url"]) for row in rows]


def load(**values: Any) -> NotificationSettings:
    """The settings of this process (``values`` override the environment, for tests);
    production refuses to deliver into files."""
    settings = load_settings(NotificationSettings, **values)
    problems = _sms_problems(settings)
    if settings.apns_configured and not settings.apns_topic:
        problems["APNS_TOPIC"] = "required with APNs (the app's bundle id)"
    for providers in (settings.twilio_accounts, settings.apns_keys, settings.fcm_accounts):
        try:
            providers()
        except ConfigError as exc:
            problems.update(exc.problems)
    if settings.environment == "production":
        if settings.smtp_relays is None:
            problems["SMTP_RELAYS"] = "required in production"
        if not settings.twilio_configured:
            problems["TWILIO_ACCOUNT_SID"] = "required in production"
    if problems:
        raise ConfigError(problems)
    return settings


def _sms_problems(settings: NotificationSettings) -> dict[str, str]:
    transactional = set(_values(settings.sms_transactional_sender))
    promotional = set(_values(settings.sms_promotional_sender))
    if settings.twilio_configured and not (transactional and promotional):
        return {"SMS_TRANSACTIONAL_SENDER": "both SMS senders are needed with Twilio"}
    if transactional & promotional:
        # a promotion must never leave on an identity that transactional texts use
        return {"SMS_PROMOTIONAL_SENDER": "must differ from every transactional sender"}
    return {}
