"""Domain errors. Entrypoints map them to HTTP statuses and gRPC codes; the domain never does."""

from __future__ import annotations


class NotificationError(Exception):
    """Base of every error the notification domain raises on purpose."""


class InvalidPreferences(NotificationError):
    """The preferences sent by the user cannot be honoured (bad time zone, empty window)."""


class DeviceNotFound(NotificationError):
    """No such device for this user (another user's device looks the same: not found)."""


class NotificationNotFound(NotificationError):
    """No message with this id."""


class Forbidden(NotificationError):
    """Authenticated, but not allowed to do this."""


class NotResendable(NotificationError):
    """Support asked to resend a message that is not a failed transactional one whose
    content holds no secret, or that was already resent, or whose user has no address."""


class UnknownTemplate(NotificationError):
    """A send request named a template or channel the catalog does not have."""


class InvalidSendRequest(NotificationError):
    """A direct send request lacks what is needed to address the message."""


class TemplateRenderError(NotificationError):
    """A template could not be rendered, typically because a variable is missing."""


class DeliveryError(NotificationError):
    """A provider did not accept a message."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying later: 5xx, timeouts, throttling (``retry_after`` seconds if told)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help: invalid address, rejected content."""


class UnregisteredDevice(PermanentDeliveryError):
    """The push provider says this token no longer reaches an app; the device is deactivated."""


class InvalidCursor(NotificationError):
    """A pagination cursor that this service did not issue."""
