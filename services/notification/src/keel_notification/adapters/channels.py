"""Building each channel's ordered providers from the settings."""

from __future__ import annotations

import ssl
from urllib.parse import unquote, urlsplit

from keel_notification.adapters.apns import ApnsPushProvider
from keel_notification.adapters.fcm import FcmPushProvider
from keel_notification.adapters.files import FileEmailProvider, FilePushProvider, FileSmsProvider
from keel_notification.adapters.smtp import Security, SmtpEmailProvider
from keel_notification.adapters.twilio import TwilioSmsProvider
from keel_notification.config import NotificationSettings, TwilioAccount
from keel_notification.domain.messages import PushMessage, SmsMessage
from keel_notification.domain.model import Category, Platform
from keel_notification.service_layer.failover import (
    BreakerFactory,
    ChannelSenders,
    CircuitBreaker,
    FailoverSender,
)
from keel_notification.service_layer.ports import Provider

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


def provider_names(base: str, count: int) -> list[str]:
    """One name per provider in a channel's list, as the delivery log records it; a lone
    provider keeps the plain name."""
    return [base] if count == 1 else [f"{base}-{i}" for i in range(1, count + 1)]


def _sms(settings: NotificationSettings, breaker: BreakerFactory) -> SmsRoutes:
    accounts = settings.twilio_accounts()
    if not accounts:
        senders = {
            Category.TRANSACTIONAL: settings.sms_transactional_sender or "KeelTx",
            Category.PROMOTIONAL: settings.sms_promotional_sender or "KeelPromo",
        }
        return {
            category: FailoverSender(
                [FileSmsProvider(settings.outbox_dir, sender, name=f"file-{category}")], breaker
            )
            for category, sender in senders.items()
        }
    # Each category gets its own chain, built only from that category's sender identities.
    return {category: _twilio_chain(accounts, category, breaker) for category in Category}


def _twilio_chain(
    accounts: list[TwilioAccount], category: Category, breaker: BreakerFactory
) -> FailoverSender[SmsMessage]:
    names = provider_names(f"twilio-{category}", len(accounts))
    providers = [
        TwilioSmsProvider(
            account_sid=account.account_sid,
            auth_token=account.auth_token,
            sender=account.senders[category],
            category=category,
            base_url=account.base_url,
            name=name,
        )
        for account, name in zip(accounts, names, strict=True)
    ]
    return FailoverSender(providers, breaker)


def _push(settings: NotificationSettings, breaker: BreakerFactory) -> PushRoutes:
    return {
        Platform.IOS: FailoverSender(_apns(settings), breaker),
        Platform.ANDROID: FailoverSender(_fcm(settings), breaker),
    }


def _apns(settings: NotificationSettings) -> list[Provider[PushMessage]]:
    keys = settings.apns_keys()
    if not keys:
        return [FilePushProvider(settings.outbox_dir)]
    return [
        ApnsPushProvider(
            team_id=key.team_id,
            key_id=key.key_id,
            private_key=key.private_key,
            topic=settings.apns_topic or "",
            base_url=key.base_url,
            ca_file=settings.provider_ca_file,
            name=name,
        )
        for key, name in zip(keys, provider_names("apns", len(keys)), strict=True)
    ]


def _fcm(settings: NotificationSettings) -> list[Provider[PushMessage]]:
    accounts = settings.fcm_accounts()
    if not accounts:
        return [FilePushProvider(settings.outbox_dir)]
    return [
        FcmPushProvider(
            service_account_info=dict(account.service_account),
            base_url=account.base_url,
            ca_file=settings.provider_ca_file,
            name=name,
        )
        for account, name in zip(accounts, provider_names("fcm", len(accounts)), strict=True)
    ]
