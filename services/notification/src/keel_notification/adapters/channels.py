"""Building each channel's ordered providers from the settings."""

from __future__ import annotations

import json
import ssl
from urllib.parse import unquote, urlsplit

from keel_notification.adapters.apns import ApnsPushProvider
from keel_notification.adapters.fcm import FcmPushProvider
from keel_notification.adapters.files import FileEmailProvider, FilePushProvider, FileSmsProvider
from keel_notification.adapters.smtp import Security, SmtpEmailProvider
from keel_notification.adapters.twilio import TwilioSmsProvider
from keel_notification.config import NotificationSettings
from keel_notification.domain.messages import PushMessage, SmsMessage
from keel_notification.domain.model import Category, Platform
from keel_notification.service_layer.failover import (
    BreakerFactory,
    ChannelSenders,
    CircuitBreaker,
    FailoverSender,
)

_SMTP_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


def smtp_relays(urls: str, sender: str, ca_file: str | None) -> list[SmtpEmailProvider]:
    """``smtp+starttls://user:pass@host:587,smtps://...`` -> providers, in failover order."""
    context = ssl.create_default_context(cafile=ca_file)
    relays = []
    for url in filter(None, (u.strip() for u in urls.split(","))):
        parts = urlsplit(url)
        if parts.scheme not in _SMTP_SCHEMES or not parts.hostname:
            raise ValueError("SMTP_RELAYS: use smtp://, smtp+starttls:// or smtps:// host URLs")
        security, default_port = _SMTP_SCHEMES[parts.scheme]
        relays.append(
            SmtpEmailProvider(
                host=parts.hostname,
                port=parts.port or default_port,
                sender=sender,
                security=security,
                username=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password else None,
                ssl_context=context,
                name=f"smtp:{parts.hostname}",
            )
        )
    return relays


def build_senders(settings: NotificationSettings) -> ChannelSenders:
    def breaker(name: str) -> CircuitBreaker:
        return CircuitBreaker(name, settings.breaker_failures, settings.breaker_cooldown_seconds)

    return ChannelSenders(
        email=FailoverSender(_email(settings), breaker),
        sms=_sms(settings, breaker),
        push=_push(settings, breaker),
    )


def _email(settings: NotificationSettings) -> list[SmtpEmailProvider] | list[FileEmailProvider]:
    if settings.smtp_relays is None:
        return [FileEmailProvider(settings.outbox_dir, settings.email_from)]
    relays = settings.smtp_relays.get_secret_value()
    return smtp_relays(relays, settings.email_from, settings.provider_ca_file)


SmsRoutes = dict[Category, FailoverSender[SmsMessage]]
PushRoutes = dict[Platform, FailoverSender[PushMessage]]


def _sms(settings: NotificationSettings, breaker: BreakerFactory) -> SmsRoutes:
    senders = {
        Category.TRANSACTIONAL: settings.sms_transactional_sender or "KeelTx",
        Category.PROMOTIONAL: settings.sms_promotional_sender or "KeelPromo",
    }
    if not settings.twilio_configured:
        return {
            category: FailoverSender(
                [FileSmsProvider(settings.outbox_dir, sender, name=f"file-{category}")], breaker
            )
            for category, sender in senders.items()
        }
    assert settings.twilio_account_sid and settings.twilio_auth_token
    return {
        category: FailoverSender(
            [
                TwilioSmsProvider(
                    account_sid=settings.twilio_account_sid,
                    auth_token=settings.twilio_auth_token.get_secret_value(),
                    sender=sender,
                    category=category,
                    base_url=settings.twilio_base_url,
                )
            ],
            breaker,
        )
        for category, sender in senders.items()
    }


def _push(settings: NotificationSettings, breaker: BreakerFactory) -> PushRoutes:
    ios: ApnsPushProvider | FilePushProvider = FilePushProvider(settings.outbox_dir)
    android: FcmPushProvider | FilePushProvider = FilePushProvider(settings.outbox_dir)
    if settings.apns_configured:
        assert settings.apns_team_id and settings.apns_key_id and settings.apns_private_key
        ios = ApnsPushProvider(
            team_id=settings.apns_team_id,
            key_id=settings.apns_key_id,
            private_key=settings.apns_private_key.get_secret_value(),
            topic=settings.apns_topic or "",
            base_url=settings.apns_base_url,
            ca_file=settings.provider_ca_file,
        )
    if settings.fcm_service_account is not None:
        android = FcmPushProvider(
            service_account_info=json.loads(settings.fcm_service_account.get_secret_value()),
            base_url=settings.fcm_base_url,
            ca_file=settings.provider_ca_file,
        )
    return {
        Platform.IOS: FailoverSender([ios], breaker),
        Platform.ANDROID: FailoverSender([android], breaker),
    }
