"""Every template the service can send, with its category and channels, defined once.

The category belongs to the template, never to the caller: a promotional template is
promotional however it is requested, so it honours opt-outs and quiet hours and can only
leave through the promotional SMS sender.
"""

from __future__ import annotations

from dataclasses import dataclass

from keel_notification.domain.errors import UnknownTemplate
from keel_notification.domain.model import Category, Channel

EMAIL, SMS, PUSH = Channel.EMAIL, Channel.SMS, Channel.PUSH
TRANSACTIONAL, PROMOTIONAL = Category.TRANSACTIONAL, Category.PROMOTIONAL


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    category: Category
    channels: frozenset[Channel]


def _spec(name: str, category: Category, *channels: Channel) -> TemplateSpec:
    return TemplateSpec(name, category, frozenset(channels))


TEMPLATES: dict[str, TemplateSpec] = {
    spec.name: spec
    for spec in (
        _spec("welcome", TRANSACTIONAL, EMAIL),
        _spec("otp", TRANSACTIONAL, SMS),
        _spec("password_reset", TRANSACTIONAL, EMAIL),
        _spec("password_changed", TRANSACTIONAL, EMAIL),
        _spec("security_alert", TRANSACTIONAL, EMAIL),
        _spec("signup_attempt", TRANSACTIONAL, EMAIL),
        _spec("email_change_confirm", TRANSACTIONAL, EMAIL),
        _spec("email_change_notice", TRANSACTIONAL, EMAIL),
        _spec("export_ready", TRANSACTIONAL, EMAIL),
        _spec("order_receipt", TRANSACTIONAL, EMAIL, PUSH),
        _spec("order_cancelled", TRANSACTIONAL, EMAIL),
        _spec("daily_signups", TRANSACTIONAL, EMAIL),
        _spec("account_erased", TRANSACTIONAL, EMAIL),
        _spec("weekly_recommendations", PROMOTIONAL, EMAIL, PUSH),
        _spec("promotion", PROMOTIONAL, EMAIL, SMS, PUSH),
    )
}


def template_spec(name: str, channel: Channel) -> TemplateSpec:
    """The spec of ``name`` if it exists for ``channel``; UnknownTemplate otherwise."""
    spec = TEMPLATES.get(name)
    if spec is None or channel not in spec.channels:
        raise UnknownTemplate(f"no {channel} template named {name!r}")
    return spec
