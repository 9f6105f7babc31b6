"""Which messages each occasion causes: templates, channels, recipients and their variables.

The planner only plans: the consumer has already turned the event into an ``Occasion``
(``entrypoints/consumer.py``) and intake keeps the contacts (``service_layer/contacts.py``).
Links put in messages are built from ``Links`` and the occasion's token or order id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keel_notification.domain.model import Channel
from keel_notification.domain.occasions import (
    AccountErasedNotice,
    EmailChange,
    ExportReady,
    LoginCode,
    OrderCancellation,
    OrderReceipt,
    OrderSummary,
    PasswordChangeNotice,
    PasswordReset,
    ProfileChange,
    SecurityAlert,
    SignUpAttempt,
    Welcome,
)
from keel_notification.service_layer.intake import IncomingEvent, Intent

EMAIL, SMS, PUSH = Channel.EMAIL, Channel.SMS, Channel.PUSH


@dataclass(frozen=True)
class Links:
    """Public URLs put in messages; ``{token}`` and ``{order_id}`` are filled in."""

    verify_email: str = "http://127.0.0.1:8080/verify-email?token={token}"
    reset_password: str = "http://127.0.0.1:8080/reset-password?token={token}"  # noqa: S105
    order: str = "http://127.0.0.1:8080/orders/{order_id}"
    confirm_email_change: str = "http://127.0.0.1:8080/confirm-email-change?token={token}"
    download_export: str = "http://127.0.0.1:8080/v1/auth/me/export/{token}"


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes (at least 1) for "valid for N minutes" lines."""
    return max(1, round((end - start).total_seconds() / 60))


class EventPlanner:
    """Maps an event's occasion to its intents; the ``plan`` of ``handle_event``."""

    def __init__(self, links: Links | None = None) -> None:
        self.links = links or Links()

    def __call__(self, event: IncomingEvent) -> list[Intent]:
        occasion, time = event.occasion, event.time
        match occasion:
            case Welcome():
                return [self._welcome(occasion)]
            case LoginCode():
                # the otp template is transactional, whatever channel the event asked for
                minutes = minutes_between(time, occasion.expires_at)
                context = {"code": occasion.code, "minutes": minutes}
                return [Intent(SMS, "otp", context, occasion.user_id, occasion.phone)]
            case PasswordReset():
                return [self._password_reset(occasion, time)]
            case PasswordChangeNotice():
                return [_account_notice("password_changed", occasion, time)]
            case SecurityAlert():
                return [_account_notice("security_alert", occasion, time)]
            case SignUpAttempt():
                return [self._signup_attempt(occasion, time)]
            case EmailChange():
                return self._email_change(occasion, time)
            case ExportReady():
                return [self._export_ready(occasion, time)]
            case ProfileChange():
                return []  # the consumer updated the contact; nothing to write about
            case OrderReceipt():
                context = self._order_context(occasion)
                return [
                    Intent(EMAIL, "order_receipt", context, occasion.buyer_id),
                    Intent(PUSH, "order_receipt", context, occasion.buyer_id),
                ]
            case OrderCancellation():
                context = self._order_context(occasion)
                return [Intent(EMAIL, "order_cancelled", context, occasion.buyer_id)]
            case AccountErasedNotice():
                # No user id: the account is gone, and the log row must not point at it.
                context = {"name": occasion.name or "", "time": time}
                locale = occasion.locale
                return [Intent(EMAIL, "account_erased", context, None, occasion.email, locale)]

    def _welcome(self, welcome: Welcome) -> Intent:
        token = welcome.verification_token
        context = {
            "name": welcome.name or "",
            "verification_url": self.links.verify_email.format(token=token),
        }
        return Intent(EMAIL, "welcome", context, welcome.user_id, welcome.email)

    def _password_reset(self, reset: PasswordReset, time: datetime) -> Intent:
        context = {
            "name": reset.name or "",
            "reset_url": self.links.reset_password.format(token=reset.reset_token),
            "minutes": minutes_between(time, reset.expires_at),
        }
        return Intent(EMAIL, "password_reset", context, reset.user_id, reset.email)

    def _signup_attempt(self, attempt: SignUpAttempt, time: datetime) -> Intent:
        # An unverified account may have been registered by someone else with this address:
        # the template tells the owner that a password reset takes it over.
        context = {"name": attempt.name or "", "time": time, "verified": attempt.email_verified}
        return Intent(EMAIL, "signup_attempt", context, attempt.user_id, attempt.email)

    def _email_change(self, change: EmailChange, time: datetime) -> list[Intent]:
        """A notice to the current address always; the link only when the new address is
        free (the event has no token otherwise), so nobody learns who is registered."""
        name = change.name or ""
        notice = {"name": name, "time": time, "new_email": change.new_email}
        intents = [Intent(EMAIL, "email_change_notice", notice, change.user_id, change.email)]
        if change.confirmation_token:
            context = {
                "name": name,
                "confirm_url": self.links.confirm_email_change.format(
                    token=change.confirmation_token
                ),
                "hours": max(1, round(minutes_between(time, change.expires_at) / 60)),
            }
            intents.append(
                Intent(EMAIL, "email_change_confirm", context, change.user_id, change.new_email)
            )
        return intents

    def _export_ready(self, ready: ExportReady, time: datetime) -> Intent:
        context = {
            "name": ready.name or "",
            "download_url": self.links.download_export.format(token=ready.download_token),
            "hours": max(1, round(minutes_between(time, ready.expires_at) / 60)),
        }
        return Intent(EMAIL, "export_ready", context, ready.user_id, ready.email)

    def _order_context(self, order: OrderSummary) -> dict[str, Any]:
        order_id = str(order.order_id)
        return {
            "order_id": order_id,
            "order_url": self.links.order.format(order_id=order_id),
            "currency": order.currency,
            "total": order.total_cents,
            "items": [
                {"name": item.name, "quantity": item.quantity, "unit_price": item.unit_price_cents}
                for item in order.items
            ],
        }


def _account_notice(
    template: str, notice: PasswordChangeNotice | SecurityAlert, time: datetime
) -> Intent:
    context = {"name": notice.name or "", "time": time}
    return Intent(EMAIL, template, context, notice.user_id, notice.email)
