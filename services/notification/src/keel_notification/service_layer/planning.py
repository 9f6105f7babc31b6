"""Which messages each event causes: the one place that reads other services' event data.

Fields read, as auth and core publish them (``keel_auth.domain.events``,
``keel_core.domain.events``):

- ``auth.user.registered.v1``: user_id, email, name?, verification_token, locale?
- ``auth.otp.requested.v1``: phone, code, expires_at, user_id?
- ``auth.password.reset_requested.v1``: user_id, email, name?, reset_token, expires_at
- ``auth.password.changed.v1``: user_id, email, name?
- ``auth.security.token_reuse_detected.v1``: user_id, email, name?
- ``core.order.placed.v1`` / ``core.order.cancelled.v1``: id, buyer_id, currency,
  total_cents, items [{title, quantity, unit_price_cents}]

Links put in messages are built from ``Links`` and the event's token or id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keel_notification.domain.errors import MalformedEvent
from keel_notification.domain.model import Channel, Contact
from keel_notification.service_layer.intake import IncomingEvent, Intent
from keel_notification.service_layer.ports import UnitOfWork

EMAIL, SMS, PUSH = Channel.EMAIL, Channel.SMS, Channel.PUSH


@dataclass(frozen=True)
class Links:
    """Public URLs put in messages; ``{token}`` and ``{order_id}`` are filled in."""

    verify_email: str = "http://127.0.0.1:8080/verify-email?token={token}"
    reset_password: str = "http://127.0.0.1:8080/reset-password?token={token}"  # noqa: S105
    order: str = "http://127.0.0.1:8080/orders/{order_id}"


def _get(event: IncomingEvent, key: str) -> Any:
    value = event.data.get(key)
    if value is None or value == "":
        raise MalformedEvent(f"{event.type} {event.id} has no {key!r}")
    return value


def _user_id(event: IncomingEvent, key: str = "user_id") -> uuid.UUID:
    try:
        return uuid.UUID(str(_get(event, key)))
    except ValueError as exc:
        raise MalformedEvent(f"{event.type} {event.id}: {key} is not a UUID") from exc


def _minutes_left(event: IncomingEvent, default: int) -> int:
    """Minutes from the event to its ``expires_at``, for "valid for N minutes" lines."""
    raw = event.data.get("expires_at")
    try:
        expires = datetime.fromisoformat(str(raw)) if raw else None
    except ValueError as exc:
        raise MalformedEvent(f"{event.type} {event.id}: expires_at is not a time") from exc
    if expires is None:
        return default
    return max(1, round((expires - event.time).total_seconds() / 60))


class EventPlanner:
    """Maps an event to its intents; callable as the ``plan`` of ``handle_event``."""

    def __init__(self, links: Links | None = None) -> None:
        self.links = links or Links()
        self._plans: dict[str, Callable[[UnitOfWork, IncomingEvent], list[Intent]]] = {
            "auth.user.registered.v1": self._user_registered,
            "auth.otp.requested.v1": self._otp_requested,
            "auth.password.reset_requested.v1": self._password_reset,
            # the name in the issue; the topology binds both, so both are understood
            "auth.password_reset.requested.v1": self._password_reset,
            "auth.password.changed.v1": self._password_changed,
            "auth.security.token_reuse_detected.v1": self._token_reuse,
            "core.order.placed.v1": self._order_placed,
            "core.order.cancelled.v1": self._order_cancelled,
        }

    @property
    def event_types(self) -> list[str]:
        return sorted(self._plans)

    def __call__(self, uow: UnitOfWork, event: IncomingEvent) -> list[Intent]:
        plan = self._plans.get(event.type)
        return plan(uow, event) if plan else []

    def _user_registered(self, uow: UnitOfWork, event: IncomingEvent) -> list[Intent]:
        user_id, email = _user_id(event), str(_get(event, "email"))
        contact = uow.contacts.get(user_id)
        if contact is None:
            contact = Contact(user_id=user_id, registered_at=event.time)
            uow.contacts.add(contact)
        contact.email = email
        contact.locale = event.data.get("locale") or contact.locale  # if auth ever sends it
        token = _get(event, "verification_token")
        context = {
            "name": event.data.get("name") or "",
            "verification_url": self.links.verify_email.format(token=token),
        }
        return [Intent(EMAIL, "welcome", context, user_id, email)]

    def _otp_requested(self, uow: UnitOfWork, event: IncomingEvent) -> list[Intent]:
        # The event's own "channel" field is not read: the otp template is transactional.
        user_id = _user_id(event) if event.data.get("user_id") else None
        phone = str(_get(event, "phone"))
        if user_id and (contact := uow.contacts.get(user_id)):
            contact.phone = phone
        context = {"code": str(_get(event, "code")), "minutes": _minutes_left(event, 5)}
        return [Intent(SMS, "otp", context, user_id, phone)]

    def _password_reset(self, uow: UnitOfWork, event: IncomingEvent) -> list[Intent]:
        token = _get(event, "reset_token")
        context = {
            "name": event.data.get("name") or "",
            "reset_url": self.links.reset_password.format(token=token),
            "minutes": _minutes_left(event, 60),
        }
        return [Intent(EMAIL, "password_reset", context, _user_id(event), event.data.get("email"))]

    def _password_changed(self, uow: UnitOfWork, event: IncomingEvent) -> list[Intent]:
        context = {"name": event.data.get("name") or "", "time": event.time}
        user_id = _user_id(event)
        return [Intent(EMAIL, "password_changed", context, user_id, event.data.get("email"))]

    def _token_reuse(self, uow: UnitOfWork, event: IncomingEvent) -> list[Intent]:
        context = {"name": event.data.get("name") or "", "time": event.time}
        user_id = _user_id(event)
        return [Intent(EMAIL, "security_alert", context, user_id, event.data.get("email"))]

    def _order_context(self, event: IncomingEvent) -> dict[str, Any]:
        order_id = str(_get(event, "id"))
        return {
            "order_id": order_id,
            "order_url": self.links.order.format(order_id=order_id),
            "currency": str(_get(event, "currency")),
            "total": int(_get(event, "total_cents")),
            "items": [_item(item) for item in event.data.get("items") or []],
        }

    def _order_placed(self, uow: UnitOfWork, event: IncomingEvent) -> list[Intent]:
        buyer, context = _user_id(event, "buyer_id"), self._order_context(event)
        return [
            Intent(EMAIL, "order_receipt", context, buyer),
            Intent(PUSH, "order_receipt", context, buyer),
        ]

    def _order_cancelled(self, uow: UnitOfWork, event: IncomingEvent) -> list[Intent]:
        buyer, context = _user_id(event, "buyer_id"), self._order_context(event)
        return [Intent(EMAIL, "order_cancelled", context, buyer)]


def _item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": str(item.get("title") or item.get("product_id") or "item"),
        "quantity": int(item.get("quantity") or 1),
        "unit_price": int(item.get("unit_price_cents") or 0),
    }
