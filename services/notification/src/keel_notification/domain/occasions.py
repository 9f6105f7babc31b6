"""Occasions: what happened elsewhere that this service writes to users about.

The consumer translates each event it takes (the ``keel_events`` contracts auth and core
publish) into one of these; the planner (``service_layer/planning.py``) decides the messages
each one causes. They hold what those messages need, in this service's words.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Welcome:
    """A user registered: welcome them and ask them to verify their address."""

    user_id: uuid.UUID
    email: str
    name: str | None
    verification_token: str


@dataclass(frozen=True)
class LoginCode:
    """A one-time login code to text to the user."""

    user_id: uuid.UUID
    phone: str
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class PasswordReset:
    """The user asked to reset a forgotten password: send the link."""

    user_id: uuid.UUID
    email: str
    name: str | None
    reset_token: str
    expires_at: datetime


@dataclass(frozen=True)
class PasswordChangeNotice:
    """The password was changed (every session signed out): tell the user."""

    user_id: uuid.UUID
    email: str
    name: str | None


@dataclass(frozen=True)
class SecurityAlert:
    """A stolen session was stopped (a spent refresh token came back): warn the user."""

    user_id: uuid.UUID
    email: str
    name: str | None


@dataclass(frozen=True)
class SignUpAttempt:
    """Someone signed up with the address of an existing account: tell its owner."""

    user_id: uuid.UUID
    email: str
    name: str | None
    email_verified: bool


@dataclass(frozen=True)
class EmailChange:
    """The user asked to move their account to ``new_email``: the link goes there (unless
    another account has it: no token then), a notice to the current ``email``."""

    user_id: uuid.UUID
    email: str
    new_email: str
    name: str | None
    confirmation_token: str | None
    expires_at: datetime


@dataclass(frozen=True)
class ProfileChange:
    """The user's name, locale or address changed: only the contact is updated, no message."""

    user_id: uuid.UUID


@dataclass(frozen=True)
class OrderItem:
    name: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class OrderSummary:
    order_id: uuid.UUID
    buyer_id: uuid.UUID
    currency: str
    total_cents: int
    items: tuple[OrderItem, ...]


@dataclass(frozen=True)
class OrderReceipt(OrderSummary):
    """An order was placed: the buyer gets a receipt."""


@dataclass(frozen=True)
class OrderCancellation(OrderSummary):
    """An order was cancelled: the buyer is told."""


@dataclass(frozen=True)
class AccountErasedNotice:
    """Every service erased the account: the last email, to an address kept nowhere."""

    user_id: uuid.UUID
    email: str
    name: str | None
    locale: str | None


@dataclass(frozen=True)
class ExportReady:
    """The user's data export is assembled: mail them the single-use download link."""

    user_id: uuid.UUID
    email: str
    name: str | None
    download_token: str
    expires_at: datetime


Occasion = (
    Welcome
    | LoginCode
    | PasswordReset
    | PasswordChangeNotice
    | SecurityAlert
    | SignUpAttempt
    | EmailChange
    | ExportReady
    | ProfileChange
    | OrderReceipt
    | OrderCancellation
    | AccountErasedNotice
)
