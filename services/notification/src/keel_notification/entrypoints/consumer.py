"""The handler of ``notification.events`` (see ``DECLARATION`` in bootstrap.py).

The generic worker parses each envelope into its ``keel_events`` contract; here the event
is translated into this service's words (an ``Occasion``, and the contact it carries), its
messages are logged once per event id, and those that may go out now are sent and their
outcomes recorded before the event is acked. Whatever cannot go out now (retries, quiet
hours, a sender that died) is left to the dispatcher.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from keel_common.messaging import DUPLICATE, Envelope, HandlerResult, InvalidMessage
from keel_events import Event
from keel_events.auth import (
    AccountErased,
    EmailChanged,
    EmailChangeRequested,
    EmailVerificationRequested,
    OtpRequested,
    PasswordChanged,
    PasswordResetRequested,
    PhoneVerificationRequested,
    SignUpAttempted,
    TokenReuseDetected,
    UserExportReady,
    UserProfileUpdated,
    UserRegistered,
)
from keel_events.core import OrderCancelled, OrderEvent, OrderPlaced
from keel_notification.domain.commands import RememberContact
from keel_notification.domain.occasions import (
    AccountErasedNotice,
    EmailChange,
    ExportReady,
    LoginCode,
    OrderCancellation,
    OrderItem,
    OrderReceipt,
    PasswordChangeNotice,
    PasswordReset,
    ProfileChange,
    SecurityAlert,
    SignUpAttempt,
    Welcome,
)
from keel_notification.entrypoints.dispatcher import count
from keel_notification.service_layer.delivery import deliver
from keel_notification.service_layer.intake import IncomingEvent, handle_event

AuthOccasion = (
    Welcome
    | LoginCode
    | SignUpAttempt
    | PasswordReset
    | PasswordChangeNotice
    | SecurityAlert
    | EmailChange
    | ExportReady
    | ProfileChange
)

if TYPE_CHECKING:
    from keel_common.service import EventHandler
    from keel_notification.bootstrap import Notifications


def incoming(event: Event, envelope: Envelope) -> IncomingEvent:
    """The event as intake takes it; ``InvalidMessage`` (dead-lettered) for a contract this
    queue does not take. An auth event's ``locale`` (the user's choice) picks the language
    of its messages and is kept on the contact for the messages no auth event causes."""
    id, time = uuid.UUID(envelope.id), datetime.fromisoformat(envelope.time)
    if isinstance(event, OrderPlaced | OrderCancelled):
        kind = OrderReceipt if isinstance(event, OrderPlaced) else OrderCancellation
        return IncomingEvent(id, time, kind(*_order(event)))
    if isinstance(event, AccountErased):
        # Never remembered as a contact: the address is forgotten once the mail is out.
        last = AccountErasedNotice(event.user_id, event.email, event.name, event.locale)
        return IncomingEvent(id, time, last, None, event.locale)
    occasion, contact = _from_auth(event, time)
    locale = getattr(event, "locale", None)
    if contact is None and locale:
        contact = RememberContact(occasion.user_id, locale=locale)
    elif contact is not None and locale:
        contact = replace(contact, locale=locale)
    return IncomingEvent(id, time, occasion, contact, locale)


def _from_auth(event: Event, time: datetime) -> tuple[AuthOccasion, RememberContact | None]:
    match event:
        case UserRegistered():
            welcome = Welcome(event.user_id, event.email, event.name, event.verification_token)
            return welcome, RememberContact(event.user_id, email=event.email, registered_at=time)
        case EmailVerificationRequested():
            welcome = Welcome(event.user_id, event.email, event.name, event.verification_token)
            return welcome, None
        case PhoneVerificationRequested():
            # Not a contact yet: the number is unproven until the code comes back.
            return LoginCode(event.user_id, event.phone, event.code, event.expires_at), None
        case SignUpAttempted():
            attempt = SignUpAttempt(event.user_id, event.email, event.name, event.email_verified)
            return attempt, None
        case OtpRequested():
            code = LoginCode(event.user_id, event.phone, event.code, event.expires_at)
            return code, RememberContact(event.user_id, phone=event.phone)
        case PasswordResetRequested():
            reset = PasswordReset(
                event.user_id, event.email, event.name, event.reset_token, event.expires_at
            )
            return reset, None
        case PasswordChanged():
            return PasswordChangeNotice(event.user_id, event.email, event.name), None
        case TokenReuseDetected():
            return SecurityAlert(event.user_id, event.email, event.name), None
        case EmailChangeRequested():
            change = EmailChange(
                event.user_id, event.email, event.new_email, event.name,
                event.confirmation_token, event.expires_at,
            )  # fmt: skip
            return change, None
        case UserExportReady():
            ready = ExportReady(
                event.user_id, event.email, event.name, event.download_token, event.expires_at
            )
            return ready, None
        case EmailChanged():
            # Mail goes to the confirmed address from now on (order receipts included).
            return ProfileChange(event.user_id), RememberContact(event.user_id, email=event.email)
        case UserProfileUpdated():
            return ProfileChange(event.user_id), None
    raise InvalidMessage(f"notification.events does not take {event.type}")


def _order(event: OrderEvent) -> tuple[uuid.UUID, uuid.UUID, str, int, tuple[OrderItem, ...]]:
    items = tuple(
        OrderItem(line.title, line.quantity, line.unit_price_cents) for line in event.items
    )
    return event.id, event.buyer_id, event.currency, event.total_cents, items


def events_handler(service: Notifications) -> EventHandler:
    """Log, send now what may go now, record the outcomes; ``DUPLICATE`` for a redelivery."""

    def handle(event: Event, envelope: Envelope) -> HandlerResult | None:
        accepted = handle_event(
            service.uow(),
            incoming(event, envelope),
            plan=service.planner,
            renderer=service.renderer,
            now=service.clock(),
            policy=service.policy,
            directory=service.directory,
        )
        if accepted.duplicate:
            return DUPLICATE
        report = deliver(
            service.uow(),
            accepted.ready,
            sender=service.senders,
            policy=service.policy,
            clock=service.clock,
        )
        count(report)
        return None

    return handle
