"""Domain events of the auth service (past tense): the ``keel_events.auth`` contracts.

One definition per event type, shared with the consumers (notification reads them); the use
cases build them with keyword arguments and publish them on the unit of work.
``OtpRequested``, ``UserRegistered`` and ``PasswordResetRequested`` carry a one-time secret
for the notification service to deliver; the secrets are short-lived, single-use and stored
only hashed in the auth database.
"""

from __future__ import annotations

from keel_events.auth import (
    AccountErased,
    AccountErasureRequested,
    AuthEvent,
    EmailChanged,
    EmailChangeRequested,
    EmailVerificationRequested,
    OtpRequested,
    PasswordChanged,
    PasswordResetRequested,
    PhoneVerificationRequested,
    SessionRevoked,
    SignUpAttempted,
    TokenReuseDetected,
    UserExportReady,
    UserExportRequested,
    UserProfileUpdated,
    UserRegistered,
    UserRolesChanged,
)

__all__ = [
    "AccountErased",
    "AccountErasureRequested",
    "AuthEvent",
    "EmailChangeRequested",
    "EmailChanged",
    "EmailVerificationRequested",
    "OtpRequested",
    "PasswordChanged",
    "PasswordResetRequested",
    "PhoneVerificationRequested",
    "SessionRevoked",
    "SignUpAttempted",
    "TokenReuseDetected",
    "UserExportReady",
    "UserExportRequested",
    "UserProfileUpdated",
    "UserRegistered",
    "UserRolesChanged",
]
