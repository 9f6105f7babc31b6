"""Turning events and send requests into queued messages in the delivery log.

Intake only writes the log; delivery happens afterwards (right away for events, by the
dispatcher for everything else), so a crash between the two never loses a message: it stays
``queued`` and is picked up when its claim expires.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from keel_notification.domain.catalog import template_spec
from keel_notification.domain.commands import RememberContact, SendNotification
from keel_notification.domain.errors import InvalidSendRequest, TemplateRenderError
from keel_notification.domain.messages import Message, message_for
from keel_notification.domain.model import (
    Channel,
    Contact,
    Notification,
    Platform,
    Preferences,
)
from keel_notification.domain.occasions import Occasion
from keel_notification.domain.policy import RetryPolicy
from keel_notification.service_layer.contacts import remember_contact
from keel_notification.service_layer.ports import TemplateRenderer, UnitOfWork, UserDirectory

log = logging.getLogger(__name__)

SEND_REQUESTS = uuid.UUID("5d1b0f5e-6a57-4d5e-9a3c-3f4e0c1b7a21")  # uuid5 namespace


@dataclass(frozen=True)
class IncomingEvent:
    """An event from another service, translated by the consumer: its id and time, the
    occasion it is for the user, and the contact details it carries, if any."""

    id: uuid.UUID
    time: datetime
    occasion: Occasion
    contact: RememberContact | None = None
    #: The user's BCP 47 locale when the event carries one: their messages use it.
    locale: str | None = None


@dataclass(frozen=True)
class Intent:
    """One template on one channel for one user (their own addresses) or an explicit ``to``."""

    channel: Channel
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    user_id: uuid.UUID | None = None
    to: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class Accepted:
    """What intake did with an event or request: the messages to send now, or nothing."""

    duplicate: bool
    notifications: list[Notification]
    ready: list[Message]


Planner = Callable[[IncomingEvent], list[Intent]]


def handle_event(
    uow: UnitOfWork,
    event: IncomingEvent,
    *,
    plan: Planner,
    renderer: TemplateRenderer,
    now: datetime,
    policy: RetryPolicy,
    directory: UserDirectory | None = None,
) -> Accepted:
    """Keep the contact an event carries and log the messages it causes, once per event id;
    return those to send now.

    The ready ones are claimed for ``policy.lease``: the dispatcher leaves them to this
    caller unless it dies before recording the outcome. ``directory``: see ``queue``.
    """
    with uow:
        if not uow.inbox.first_time(event.id):
            return Accepted(duplicate=True, notifications=[], ready=[])
        if event.contact is not None:
            remember_contact(uow, event.contact)
        intents = [_in_locale(intent, event.locale) for intent in plan(event)]
        notifications = queue(
            uow,
            event_id=event.id,
            intents=intents,
            renderer=renderer,
            now=now,
            directory=directory,
        )
        ready = [n for n in notifications if n.is_due(now)]
        for n in ready:
            n.claim(now + policy.lease)
        messages = [message_for(n) for n in ready]
        uow.commit()
    return Accepted(duplicate=False, notifications=notifications, ready=messages)


def _in_locale(intent: Intent, locale: str | None) -> Intent:
    """The intent in the event's locale, unless the planner chose one."""
    return intent if intent.locale or not locale else replace(intent, locale=locale)


def send_direct(
    uow: UnitOfWork,
    command: SendNotification,
    *,
    renderer: TemplateRenderer,
    now: datetime,
    directory: UserDirectory | None = None,
) -> Accepted:
    """Queue a direct send request for the dispatcher, once per idempotency key.

    A repeated key answers with the messages the first request queued. ``directory``: see
    ``queue``.
    """
    _check_send_request(command)
    event_id = (
        uuid.uuid5(SEND_REQUESTS, command.idempotency_key)
        if command.idempotency_key
        else uuid.uuid4()
    )
    intent = Intent(
        command.channel,
        command.template,
        command.variables,
        command.user_id,
        command.to,
        command.locale,
    )
    with uow:
        if not uow.inbox.first_time(event_id):
            earlier = uow.notifications.page(
                user_id=None, event_id=event_id, limit=100, cursor=None
            ).items
            return Accepted(duplicate=True, notifications=earlier, ready=[])
        notifications = queue(
            uow,
            event_id=event_id,
            intents=[intent],
            renderer=renderer,
            now=now,
            directory=directory,
        )
        uow.commit()
    return Accepted(duplicate=False, notifications=notifications, ready=[])


def _check_send_request(command: SendNotification) -> None:
    template_spec(command.template, command.channel)
    if command.user_id is None and not command.to:
        raise InvalidSendRequest("a send request needs user_id or to")
    if command.channel is Channel.PUSH and (command.user_id is None or command.to):
        raise InvalidSendRequest("push goes to a user's devices: give user_id and no to")


def queue(
    uow: UnitOfWork,
    *,
    event_id: uuid.UUID,
    intents: Sequence[Intent],
    renderer: TemplateRenderer,
    now: datetime,
    directory: UserDirectory | None = None,
) -> list[Notification]:
    """Add the messages of ``intents`` to the log, inside the caller's transaction.

    Every message is logged, including those suppressed by preferences, held by quiet
    hours or failed at rendering; those that may go out now are the ones ``is_due(now)``.
    Users who need an email or SMS address and have no contact yet (they registered before
    this service ran) are looked up in ``directory`` in one call and remembered as contacts;
    its ``ContactsUnavailable`` propagates, so nothing is logged and the caller retries.
    """
    created: list[Notification] = []
    users = _users(uow, intents, directory)
    for intent in intents:
        user = _nobody() if intent.user_id is None else users[intent.user_id]
        for notification in _notifications_for(uow, event_id, intent, user, renderer, now):
            uow.notifications.add(notification)
            created.append(notification)
    return created


@dataclass(frozen=True)
class _User:
    contact: Contact | None
    preferences: Preferences


def _nobody() -> _User:
    """The "user" of a message sent to an explicit address only."""
    return _User(None, Preferences(user_id=uuid.UUID(int=0)))


def _users(
    uow: UnitOfWork, intents: Sequence[Intent], directory: UserDirectory | None
) -> dict[uuid.UUID, _User]:
    """Contact and preferences of every user the intents name, each read once."""
    ids = list(dict.fromkeys(i.user_id for i in intents if i.user_id is not None))
    contacts = {user_id: uow.contacts.get(user_id) for user_id in ids}
    # Push goes to devices and an explicit ``to`` needs no contact: only these are asked for.
    unknown = {
        i.user_id
        for i in intents
        if i.user_id is not None and contacts[i.user_id] is None and _needs_address(i)
    }
    if unknown and directory is not None:
        for user_id, contact in directory.contacts(unknown).items():
            uow.contacts.add(contact)
            contacts[user_id] = contact
    return {
        user_id: _User(contact, uow.preferences.get(user_id) or Preferences(user_id=user_id))
        for user_id, contact in contacts.items()
    }


def _needs_address(intent: Intent) -> bool:
    return intent.to is None and intent.channel is not Channel.PUSH


def _notifications_for(
    uow: UnitOfWork,
    event_id: uuid.UUID,
    intent: Intent,
    user: _User,
    renderer: TemplateRenderer,
    now: datetime,
) -> list[Notification]:
    spec = template_spec(intent.template, intent.channel)
    contact, prefs = user.contact, user.preferences
    locale = intent.locale or (contact.locale if contact else None) or "en"
    notifications = [
        Notification(
            user_id=intent.user_id,
            event_id=event_id,
            channel=intent.channel,
            category=spec.category,
            template=spec.name,
            locale=locale,
            recipient=recipient,
            platform=platform,
            content=None,
            next_attempt_at=now,
        )
        for recipient, platform in _recipients(uow, intent, contact)
    ]
    if not prefs.accepts(intent.channel, spec.category):
        for n in notifications:
            n.suppress(f"user opted out of {spec.category} {intent.channel}")
        return notifications
    addressed = [n for n in notifications if n.recipient]
    for n in notifications:
        if not n.recipient:
            n.reject(f"no {intent.channel} address known for this user")
    content = _render(renderer, intent, locale, addressed) if addressed else None
    hold = prefs.hold_until(spec.category, now)
    for n in addressed if content is not None else []:
        n.content = content
        if hold:
            n.defer(hold)
    return notifications


def _recipients(
    uow: UnitOfWork, intent: Intent, contact: Contact | None
) -> list[tuple[str, Platform | None]]:
    """(address or token, platform) pairs; an unknown address yields one ("", None) to log."""
    if intent.channel is Channel.PUSH:
        if intent.user_id is None:
            return []
        return [(d.token, d.platform) for d in uow.devices.active_for_user(intent.user_id)]
    if intent.to:
        return [(intent.to, None)]
    if intent.channel is Channel.EMAIL:
        return [((contact.email if contact else None) or "", None)]
    return [((contact.phone if contact else None) or "", None)]


def _render(
    renderer: TemplateRenderer, intent: Intent, locale: str, notifications: list[Notification]
) -> dict[str, Any] | None:
    try:
        return renderer.render(intent.channel, intent.template, locale, intent.context)
    except TemplateRenderError as exc:
        # Loud on purpose: a broken template is a defect to fix, not a message to retry.
        log.error(
            "template failed to render",
            extra={"template": intent.template, "channel": str(intent.channel), "error": str(exc)},
        )
        for n in notifications:
            n.reject(f"template error: {exc}")
        return None
