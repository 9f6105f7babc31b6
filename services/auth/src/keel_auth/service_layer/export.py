"""Data export (issue #14): ``POST /v1/auth/me/export`` asks, auth's worker assembles, the
user downloads the document once through the emailed link.

The request only checks the hourly allowance (the user's export jobs of the last hour that
did not fail), records the job and publishes ``UserExportRequested``; the worker asks core,
notification and search for their part (``ExportUserData``), adds auth's own, stores the
document with the hash of a fresh token and publishes ``UserExportReady`` (the email). A
service that is down raises, so the worker's retry policy redelivers the request later;
the job counts as failed once the last delivery failed.
"""

from __future__ import annotations

import math
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from keel_auth.domain.errors import ExportGone, Throttled, Unauthenticated
from keel_auth.domain.events import UserExportReady, UserExportRequested
from keel_auth.domain.export import (
    EXPORT_ATTEMPTS,
    EXPORT_FORMAT,
    EXPORTING_SERVICES,
    Export,
)
from keel_auth.domain.model import AuditEntry, User, hash_secret
from keel_auth.domain.policy import AuthPolicy
from keel_auth.service_layer.ports import UnitOfWork, UserDataSource
from keel_common.auth.principal import Principal
from keel_common.clock import Clock

_AUDIT_LIMIT = 1000


def request_export(
    principal: Principal, uow: UnitOfWork, policy: AuthPolicy, clock: Clock
) -> uuid.UUID:
    """One export per user per hour (429 with Retry-After beyond): each one asks every
    service for everything, which is not free. A job that failed does not count: its user
    never got a document, and may ask again at once."""
    limit, now = policy.export_per_user, clock()
    with uow:
        user = uow.users.get(principal.user_id)
        if user is None or user.is_disabled:
            raise Unauthenticated("this account no longer exists")
        window = timedelta(seconds=limit.seconds)
        counted = [
            job
            for job in uow.exports.requested_since(user.id, now - window)
            if job.counts_against_allowance
        ]
        if len(counted) >= limit.amount:
            oldest = counted[-limit.amount].requested_at
            raise Throttled(math.ceil((oldest + window - now).total_seconds()))
        job = Export(user.id, now)
        uow.exports.add(job)
        uow.publish(UserExportRequested(user_id=user.id, export_id=job.id))
        uow.commit()
        return job.id


def assemble_export(
    event: UserExportRequested, uow: UnitOfWork, sources: UserDataSource, clock: Clock
) -> Export | None:
    """In auth's worker. The other services are asked first, outside the transaction (a
    slow service must not hold it open); None when the user is gone meanwhile. A service
    that fails raises (the worker retries), and the attempt is counted on the job."""
    try:
        parts = {s: sources.export_user_data(s, event.user_id) for s in EXPORTING_SERVICES}
    except Exception:
        _attempt_failed(uow, event, clock)
        raise
    now = clock()
    with uow:
        user = uow.users.get(event.user_id)
        if user is None or user.is_disabled:
            return None
        document = {"format": EXPORT_FORMAT, "generated_at": now.isoformat()}
        document |= _auth_part(uow, user) | parts
        token = secrets.token_urlsafe(32)
        export = _job(uow, event, now)
        export.complete(hash_secret(token), document, now)
        uow.publish(
            UserExportReady(
                user_id=user.id,
                email=user.email,
                name=user.name,
                download_token=token,
                expires_at=export.expires_at,
                locale=user.locale,
            )
        )
        uow.commit()
        return export


def _job(uow: UnitOfWork, event: UserExportRequested, now: datetime) -> Export:
    """The request's job; a request staged before jobs were recorded gets one now."""
    job = uow.exports.get(event.export_id)
    if job is None:
        job = Export(event.user_id, now, event.export_id)
        uow.exports.add(job)
    return job


def _attempt_failed(uow: UnitOfWork, event: UserExportRequested, clock: Clock) -> None:
    with uow:
        _job(uow, event, clock()).attempt_failed(EXPORT_ATTEMPTS)
        uow.commit()


def download_export(token: str, uow: UnitOfWork, clock: Clock) -> dict[str, Any]:
    """``GET /v1/auth/me/export/{token}``: the document, once. Unknown, expired and used
    links look the same (410)."""
    now = clock()
    with uow:
        export = uow.exports.by_token_hash(hash_secret(token))
        if export is None or not export.downloadable(now):
            raise ExportGone("this export link is unknown, expired or already used")
        if not uow.exports.spend(export, now):
            raise ExportGone("this export link is unknown, expired or already used")
        document = dict(export.document or {})
        uow.commit()
        return document


def _auth_part(uow: UnitOfWork, user: User) -> dict[str, Any]:
    """What auth holds, without a secret: no password hash, token, code or TOTP secret."""
    totp = uow.mfa.totp_for(user.id)
    return {
        "user": _profile(user) | {"totp_enabled": bool(totp and totp.is_confirmed)},
        "sessions": [_session(s) for s in uow.sessions.active_for_user(user.id)],
        "audit": [
            _audit(entry)
            for entry in uow.audit.find(
                user_id=user.id, actor_id=None, after=None, limit=_AUDIT_LIMIT
            )
        ],
        "passkeys": [
            {"id": str(p.id), "name": p.name, "created_at": _iso(p.created_at)}
            | {"last_used_at": _iso(p.last_used_at)}
            for p in uow.passkeys.for_user(user.id)
        ],
        # Linked sign-in providers: Keel keeps no provider token, only who vouched.
        "identities": [
            {"id": str(i.id), "provider": i.provider, "subject": i.subject}
            | {"email": i.email, "created_at": _iso(i.created_at)}
            for i in uow.identities.for_user(user.id)
        ],
    }


def _profile(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "phone": user.phone,
        "phone_verified": user.phone_verified,
        "locale": user.locale,
        "roles": list(user.roles),
        "created_at": _iso(user.created_at),
    }


def _session(session: Any) -> dict[str, Any]:
    return {
        "id": str(session.id),
        "created_at": _iso(session.created_at),
        "last_seen_at": _iso(session.last_seen_at),
        "ip": session.ip,
        "user_agent": session.user_agent,
        "amr": list(session.amr or []),
    }


def _audit(entry: AuditEntry) -> dict[str, Any]:
    return {
        "action": str(entry.action),
        "occurred_at": _iso(entry.occurred_at),
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "details": entry.details,
    }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None
