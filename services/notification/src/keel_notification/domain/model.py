"""Entities of the notification service: what was sent, to whom, and what users asked for.

``Notification`` is one row of the delivery log: a single message on a single channel to a
single address or device. Its lifecycle is ``queued`` → ``sent`` | ``failed`` | ``suppressed``;
retries keep it ``queued`` with a later ``next_attempt_at``. The rendered content is kept only
while the message may still be sent: it can hold one-time codes and reset links, which have
no business staying at rest once delivery is settled. The one exception are the failed
messages of templates that carry no secret (``RESENDABLE_WHEN_FAILED``): they keep their
content until support resends it once, to the recipient's current address.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from keel_notification.domain.errors import InvalidPreferences, NotResendable


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


class Category(StrEnum):
    TRANSACTIONAL = "transactional"
    PROMOTIONAL = "promotional"


class Status(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class Platform(StrEnum):
    IOS = "ios"
    ANDROID = "android"


# APNs device tokens are hex (32 bytes today; Apple warns they may grow), FCM registration
# tokens are base64url-ish with ":" (about 160 characters). Nothing else may reach a push
# provider, whose request URL (APNs) or body carries the token.
_PUSH_TOKEN_FORMATS = {
    Platform.IOS: re.compile(r"(?:[0-9a-fA-F]{2}){32,100}"),
    Platform.ANDROID: re.compile(r"[A-Za-z0-9_:-]{64,4096}"),
}


def is_push_token(platform: Platform, token: str) -> bool:
    """Whether ``token`` has the shape of a ``platform`` push token."""
    return _PUSH_TOKEN_FORMATS[platform].fullmatch(token) is not None


#: What the delivery log keeps instead of the address of an erased user (issue #14).
ERASED_RECIPIENT = "[erased]"
#: Templates whose address is forgotten as soon as the message settles (sent or failed):
#: the erasure confirmation goes to someone the platform must no longer know.
FORGET_RECIPIENT_WHEN_SETTLED = frozenset({"account_erased"})
#: Transactional templates whose content holds no code, token or link with a token: a failed
#: one may be resent as it was rendered. The others (a login code, a reset or verification
#: link, an export link) are never resent: the code or link has expired, the user asks anew.
RESENDABLE_WHEN_FAILED = frozenset(
    {
        "password_changed",
        "security_alert",
        "signup_attempt",
        "email_change_notice",
        "order_receipt",
        "order_cancelled",
        "daily_signups",
    }
)


class Notification:
    """One message on one channel; the delivery log is the set of these."""

    def __init__(
        self,
        *,
        user_id: uuid.UUID | None,
        event_id: uuid.UUID,
        channel: Channel,
        category: Category,
        template: str,
        locale: str,
        recipient: str,
        content: dict[str, Any] | None,
        next_attempt_at: datetime,
        platform: Platform | None = None,
        id: uuid.UUID | None = None,
    ) -> None:
        self.id = id or uuid.uuid4()
        self.created_at = next_attempt_at
        self.user_id = user_id
        self.event_id = event_id
        self.channel = channel
        self.category = category
        self.template = template
        self.locale = locale
        self.recipient = recipient
        self.platform = platform
        self.content = content
        self.status = Status.QUEUED
        self.attempts = 0
        self.next_attempt_at: datetime | None = next_attempt_at
        self.provider: str | None = None
        self.provider_message_id: str | None = None
        self.error: str | None = None
        self.sent_at: datetime | None = None
        self.dead_lettered_at: datetime | None = None

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.channel}/{self.template} {self.status}>"

    def is_due(self, now: datetime) -> bool:
        return (
            self.status is Status.QUEUED
            and self.next_attempt_at is not None
            and self.next_attempt_at <= now
        )

    def claim(self, until: datetime) -> None:
        """Reserve the message for one sender until ``until``; after that anyone may retry it."""
        self.next_attempt_at = until

    def defer(self, until: datetime) -> None:
        self.next_attempt_at = until

    def suppress(self, reason: str) -> None:
        self._settle(Status.SUPPRESSED, reason)

    def mark_sent(self, provider: str, provider_message_id: str, at: datetime) -> None:
        self.attempts += 1
        self.provider = provider
        self.provider_message_id = provider_message_id
        self.sent_at = at
        self._settle(Status.SENT, None)

    def reject(self, error: str) -> None:
        """Fail before any attempt: no address to send to, or a template that cannot render."""
        self._settle(Status.FAILED, error)

    def fail(self, error: str) -> None:
        """A permanent failure: retrying cannot help (bad address, unregistered device)."""
        self.attempts += 1
        self._settle(Status.FAILED, error)

    def retry_later(self, error: str, at: datetime) -> None:
        self.attempts += 1
        self.error = error
        self.next_attempt_at = at

    def dead_letter(self, error: str, at: datetime) -> None:
        """Give up after the last allowed attempt; kept in the log for support to see."""
        self.attempts += 1
        self.dead_lettered_at = at
        self._settle(Status.FAILED, f"dead-lettered after {self.attempts} attempts: {error}")

    def resendable(self) -> None:
        """Return when support may resend this message; ``NotResendable`` says why not."""
        if self.category is not Category.TRANSACTIONAL:
            raise NotResendable("promotional messages are never resent")
        if self.status is not Status.FAILED:
            raise NotResendable(f"only a failed message is resent; this one is {self.status}")
        if self.template not in RESENDABLE_WHEN_FAILED:
            raise NotResendable(
                f"{self.template} carries a code or a link that has expired: "
                "the user must ask for a new one"
            )
        if self.content is None:
            raise NotResendable(
                "this message was already resent, or failed before it kept its content"
            )

    def resend(
        self, recipients: list[tuple[str, Platform | None]], at: datetime
    ) -> list[Notification]:
        """New messages with this one's content, due ``at``, one per current address (a
        user's devices for push); the content moves to them, so it is resent once."""
        self.resendable()
        if not recipients:
            raise NotResendable(f"no {self.channel} address or device is known for this user")
        copies = [
            Notification(
                user_id=self.user_id,
                event_id=self.event_id,
                channel=self.channel,
                category=self.category,
                template=self.template,
                locale=self.locale,
                recipient=recipient,
                platform=platform,
                content=self.content,
                next_attempt_at=at,
            )
            for recipient, platform in recipients
        ]
        self.content = None
        return copies

    def _settle(self, status: Status, error: str | None) -> None:
        self.status = status
        self.error = error
        self.next_attempt_at = None
        if not (status is Status.FAILED and self.template in RESENDABLE_WHEN_FAILED):
            self.content = None
        if self.template in FORGET_RECIPIENT_WHEN_SETTLED:
            self.forget_recipient()

    def forget_recipient(self) -> None:
        """The person is erased: a queued message is not sent, and the log keeps what was
        sent when, never to whom (a provider's error may quote the address: dropped too)."""
        if self.status is Status.QUEUED:
            self._settle(Status.SUPPRESSED, "the user was erased")
        if self.error and self.recipient and self.recipient in self.error:
            self.error = self.error.replace(self.recipient, ERASED_RECIPIENT)
        self.recipient = ERASED_RECIPIENT
        self.provider_message_id = None
        self.content = None  # a failed message kept for resending names its person


class Device:
    """A push token registered by a user's app; one token belongs to one user at a time."""

    def __init__(
        self, *, user_id: uuid.UUID, platform: Platform, token: str, id: uuid.UUID | None = None
    ) -> None:
        self.id = id or uuid.uuid4()
        self.user_id = user_id
        self.platform = platform
        self.token = token
        self.active = True
        self.deleted_at: datetime | None = None

    def register(self, user_id: uuid.UUID, platform: Platform) -> None:
        """The app registered this token again, perhaps after another user signed in on it."""
        self.user_id = user_id
        self.platform = platform
        self.active = True
        self.deleted_at = None

    def deactivate(self) -> None:
        """The provider says the token is dead; stop sending to it until the app re-registers."""
        self.active = False

    def remove(self, at: datetime) -> None:
        self.active = False
        self.deleted_at = at

    @property
    def is_removed(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class QuietHours:
    """A daily window, in the user's own time zone, when promotional messages wait."""

    start: time
    end: time
    timezone: str

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise InvalidPreferences("quiet hours must start and end at different times")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidPreferences(f"unknown time zone: {self.timezone!r}") from exc

    def end_if_quiet(self, at: datetime) -> datetime | None:
        """When the window containing ``at`` ends (UTC-aware), or None if ``at`` is outside it."""
        local = at.astimezone(ZoneInfo(self.timezone))
        now = local.time().replace(tzinfo=None)
        if self.start < self.end:
            quiet = self.start <= now < self.end
            end_day = local.date()
        else:  # the window crosses midnight, e.g. 22:00-07:00
            quiet = now >= self.start or now < self.end
            end_day = local.date() + timedelta(days=1 if now >= self.start else 0)
        if not quiet:
            return None
        end = datetime.combine(end_day, self.end, tzinfo=ZoneInfo(self.timezone))
        return end.astimezone(at.tzinfo)


class Preferences:
    """What a user accepts. Transactional messages ignore all of it: they are always sent."""

    def __init__(
        self,
        *,
        user_id: uuid.UUID,
        email_promotional: bool = True,
        sms_promotional: bool = True,
        push_promotional: bool = True,
        quiet_hours: QuietHours | None = None,
        id: uuid.UUID | None = None,
    ) -> None:
        self.id = id or uuid.uuid4()
        self.user_id = user_id
        self.email_promotional = email_promotional
        self.sms_promotional = sms_promotional
        self.push_promotional = push_promotional
        self.quiet_hours = quiet_hours

    def accepts(self, channel: Channel, category: Category) -> bool:
        if category is Category.TRANSACTIONAL:
            return True
        return {
            Channel.EMAIL: self.email_promotional,
            Channel.SMS: self.sms_promotional,
            Channel.PUSH: self.push_promotional,
        }[channel]

    def hold_until(self, category: Category, at: datetime) -> datetime | None:
        """When a message of ``category`` created at ``at`` may go out, if it must wait."""
        if category is Category.TRANSACTIONAL or self.quiet_hours is None:
            return None
        return self.quiet_hours.end_if_quiet(at)


class Contact:
    """Where to reach a user, kept from auth's events so sending needs no call to auth."""

    def __init__(
        self,
        *,
        user_id: uuid.UUID,
        email: str | None = None,
        phone: str | None = None,
        locale: str = "en",
        registered_at: datetime | None = None,
        id: uuid.UUID | None = None,
    ) -> None:
        self.id = id or uuid.uuid4()
        self.user_id = user_id
        self.email = email
        self.phone = phone
        self.locale = locale
        self.registered_at = registered_at
