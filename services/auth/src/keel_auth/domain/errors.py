"""Everything that can go wrong in the auth domain. Entrypoints map these to HTTP and gRPC."""

from __future__ import annotations


class AuthError(Exception):
    """Base of the auth domain errors."""


class InvalidInput(AuthError):
    """A value breaks a rule (422). ``field`` names the offending input, ``location`` where
    the request carried it (``body``, or ``query`` for a search filter or a cursor)."""

    def __init__(self, field: str, message: str, location: str = "body") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.location = location


class EmailTaken(AuthError):
    """Another account already uses this email address (409)."""


class PhoneTaken(AuthError):
    """Another account already uses this phone number (409)."""


class InvalidCredentials(AuthError):
    """Wrong email or password; deliberately the same whether the email exists (401)."""


class EmailNotVerified(AuthError):
    """The right password for an account whose email was never verified (403)."""


class AccountDisabled(AuthError):
    """The right credentials of an account that was disabled (403); it signs in no more."""


class InvalidRefreshToken(AuthError):
    """Unknown, expired, spent or revoked refresh token (401)."""


class Unauthenticated(AuthError):
    """The caller's session no longer exists or was revoked (401)."""


class InvalidCode(AuthError):
    """Wrong, expired or already used one-time code (401)."""


class MalformedToken(AuthError):
    """A reset or verification token that is not even shaped like one we issue (400)."""


class InvalidOneTimeToken(AuthError):
    """A well-formed reset or verification token that is unknown, expired or used (401)."""


class Forbidden(AuthError):
    """Authenticated, but not allowed to do this (403)."""


class LastAdmin(AuthError):
    """Taking the admin role from the only admin left (409)."""


class UserNotFound(AuthError):
    """No user with this id (404)."""


class SessionNotFound(AuthError):
    """No session with this id among the caller's own (404, also for another user's)."""


class Throttled(AuthError):
    """Too many attempts; try again after ``retry_after`` seconds (429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts, retry after {retry_after}s")
        self.retry_after = max(1, retry_after)


class InvalidMfaToken(AuthError):
    """An ``mfa_token`` that is unknown, expired or already answered (401)."""


class MfaConflict(AuthError):
    """Two-factor is not in the state this request needs: already on, or not set up (409)."""


class PasskeyRejected(AuthError):
    """A WebAuthn answer that does not verify: wrong challenge, origin, signature (400)."""


class PasskeyNotFound(AuthError):
    """No passkey with this id among the caller's (404)."""


class ExportGone(AuthError):
    """An export link that is unknown, expired or already used (404)."""


class ExportSourceUnavailable(AuthError):
    """A service asked for its part of an export did not answer; the worker retries."""
