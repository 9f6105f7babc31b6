"""Each channel's ordered providers, built from its provider list (see ``provider_url``).

``EMAIL_PROVIDERS`` (smtp, smtp+starttls, smtps, file), ``SMS_PROVIDERS`` (twilio,
twilio+http, file) and ``PUSH_PROVIDERS`` (apns for iOS, fcm for Android, file for both)
list URLs in failover order; a channel (or push platform) with none writes files under
``FILE_DELIVERY_DIR/<channel>/``. The delivery log names each provider by its kind, numbered
when a chain holds several of one kind (``twilio-transactional-2``, ``apns-1``).
"""

from __future__ import annotations

import ssl
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from keel_common.settings import ConfigError
from keel_notification.adapters.apns import ApnsPushProvider
from keel_notification.adapters.failover import (
    ChannelSenders,
    CircuitBreaker,
    FailoverSender,
    M,
    Provider,
)
from keel_notification.adapters.fcm import FcmPushProvider
from keel_notification.adapters.files import (
    FileEmailProvider,
    FilePushProvider,
    FileSmsProvider,
    file_url,
)
from keel_notification.adapters.provider_url import file_directory
from keel_notification.adapters.smtp import SmtpEmailProvider
from keel_notification.adapters.twilio import TwilioSmsProvider
from keel_notification.config import NotificationSettings
from keel_notification.domain.messages import EmailMessage, PushMessage, SmsMessage
from keel_notification.domain.model import Category, Platform

PUSH_PLATFORMS = {"apns": Platform.IOS, "fcm": Platform.ANDROID}

#: Builds the provider of one URL, given the suffix that numbers it ("" or "-2").
Build = Callable[[str, str], "Provider[M] | None"]


def build_senders(settings: NotificationSettings) -> ChannelSenders:
    """Every channel's failover chain; ``ConfigError`` names the list holding a bad URL."""
    built: list[Provider[Any]] = []
    try:
        email = _chain(settings, "EMAIL_PROVIDERS", _email(settings), built)
        sms = {
            category: _chain(settings, "SMS_PROVIDERS", _sms(settings, category), built)
            for category in Category
        }
        push = {
            platform: _chain(settings, "PUSH_PROVIDERS", _push(settings, platform), built)
            for platform in Platform
        }
    except ConfigError:
        for provider in built:
            provider.close()
        raise
    return ChannelSenders(email=email, sms=sms, push=push)


def _chain(
    settings: NotificationSettings, variable: str, build: Build[M], built: list[Provider[Any]]
) -> FailoverSender[M]:
    """The providers ``build`` makes of the URLs in ``variable``, in order; its file route
    (``build("", "")``) when the list has none for this chain."""
    urls = settings.provider_urls(variable)
    kinds = Counter(_kind(url) for url in urls)
    seen: Counter[str] = Counter()
    providers: list[Provider[M]] = []
    for position, url in enumerate(urls, start=1):
        kind = _kind(url)
        seen[kind] += 1
        try:
            provider = build(url, f"-{seen[kind]}" if kinds[kind] > 1 else "")
        except ValueError as exc:
            raise ConfigError({variable: f"provider {position}: {exc}"}) from None
        if provider is not None:
            built.append(provider)
            providers.append(provider)
    if not providers:
        default = build("", "")
        assert default is not None
        built.append(default)
        providers.append(default)
    return FailoverSender(providers, breaker(settings))


def breaker(settings: NotificationSettings) -> Callable[[str], CircuitBreaker]:
    def make(name: str) -> CircuitBreaker:
        return CircuitBreaker(name, settings.breaker_failures, settings.breaker_cooldown_seconds)

    return make


def _kind(url: str) -> str:
    """``twilio`` for ``twilio+http://...``; ``file`` for the default route (no URL)."""
    return url.partition("://")[0].lower().split("+")[0] if url else "file"


def _email(settings: NotificationSettings) -> Build[EmailMessage]:
    context = ssl.create_default_context(cafile=settings.provider_ca_file)
    default = settings.file_delivery_dir / "email"

    def build(url: str, suffix: str) -> Provider[EmailMessage]:
        if _kind(url) == "file":
            directory = file_directory(file_url(url)) if url else default
            return FileEmailProvider(directory, settings.email_from, name=f"file{suffix}")
        return SmtpEmailProvider.from_url(url, sender=settings.email_from, ssl_context=context)

    return build


def _sms(settings: NotificationSettings, category: Category) -> Build[SmsMessage]:
    default = settings.file_delivery_dir / "sms"

    def build(url: str, suffix: str) -> Provider[SmsMessage]:
        name = f"{_kind(url)}-{category}{suffix}"
        if _kind(url) == "file":
            parsed = file_url(url) if url else None
            directory = file_directory(parsed) if parsed else default
            return FileSmsProvider.for_category(directory, category, parsed, name=name)
        return TwilioSmsProvider.from_url(url, category=category, name=name)

    return build


def _push(settings: NotificationSettings, platform: Platform) -> Build[PushMessage]:
    ca_file = settings.provider_ca_file
    default = settings.file_delivery_dir / "push"

    def build(url: str, suffix: str) -> Provider[PushMessage] | None:
        kind = _kind(url)
        if kind == "file":
            directory = file_directory(file_url(url)) if url else default
            return FilePushProvider(directory, name=f"file{suffix}")
        if kind not in PUSH_PLATFORMS:
            raise ValueError("use apns://, fcm:// or file:// URLs")
        if PUSH_PLATFORMS[kind] is not platform:
            return None  # the other platform's chain builds (and checks) it
        if kind == "apns":
            return ApnsPushProvider.from_url(url, name=f"apns{suffix}", ca_file=ca_file)
        return FcmPushProvider.from_url(url, name=f"fcm{suffix}", ca_file=ca_file)

    return build


def provider_problems(settings: NotificationSettings) -> dict[str, str]:
    """What is wrong with the provider lists, by variable (``config.load`` refuses them)."""
    try:
        senders = build_senders(settings)
    except ConfigError as exc:
        return dict(exc.problems)
    try:
        return _sender_problems(senders)
    finally:
        senders.close()


def _sender_problems(senders: ChannelSenders) -> dict[str, str]:
    transactional = _senders_of(senders.sms[Category.TRANSACTIONAL].providers)
    promotional = _senders_of(senders.sms[Category.PROMOTIONAL].providers)
    if transactional & promotional:
        # a promotion must never leave on an identity that transactional texts use
        return {"SMS_PROVIDERS": "promotional senders must differ from transactional ones"}
    return {}


def _senders_of(providers: Sequence[Provider[SmsMessage]]) -> set[str]:
    return {p.sender for p in providers if isinstance(p, TwilioSmsProvider)}
