"""A data export (issue #14): the document of everything the services hold about a user,
downloadable once, by a link mailed to them, for 24 hours.

Only the token's hash is stored: the link in the email is the only proof of ownership.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

EXPORT_FORMAT = "keel.export.v1"
EXPORT_LIFETIME = timedelta(hours=24)
#: The services asked over gRPC (``ExportUserData``); auth adds its own part.
EXPORTING_SERVICES: tuple[str, ...] = ("core", "notification", "search")
#: Deliveries of one request the worker makes before the job counts as failed: the
#: ``auth.export`` queue's ``max_attempts``.
EXPORT_ATTEMPTS = 5


class ExportStatus(StrEnum):
    REQUESTED = "requested"  # the worker has not assembled it yet (or is retrying)
    READY = "ready"  # the document waits for its one download
    FAILED = "failed"  # every attempt failed: the user gets no email and may ask again


class Export:
    """One export job from the user's request on: the request's allowance counts the jobs
    that did not fail (``counts_against_allowance``)."""

    def __init__(self, user_id: uuid.UUID, now: datetime, export_id: uuid.UUID | None = None):
        self.id = export_id or uuid.uuid4()
        self.user_id = user_id
        self.status = ExportStatus.REQUESTED
        self.requested_at = now
        self.failed_attempts = 0
        self.token_hash: str | None = None
        self.document: dict[str, Any] | None = None
        self.generated_at: datetime | None = None
        # A job that never finishes is pruned with the expired documents.
        self.expires_at = now + EXPORT_LIFETIME
        self.downloaded_at: datetime | None = None

    def complete(self, token_hash: str, document: dict[str, Any], now: datetime) -> None:
        self.status = ExportStatus.READY
        self.token_hash, self.document = token_hash, document
        self.generated_at, self.expires_at = now, now + EXPORT_LIFETIME

    def attempt_failed(self, max_attempts: int) -> None:
        """One assembly failed; the job has failed once ``max_attempts`` have (the worker's
        retries are over). A later success (a replayed message) still completes it."""
        self.failed_attempts += 1
        if self.failed_attempts >= max_attempts and self.status == ExportStatus.REQUESTED:
            self.status = ExportStatus.FAILED

    @property
    def counts_against_allowance(self) -> bool:
        return self.status != ExportStatus.FAILED

    def downloadable(self, now: datetime) -> bool:
        return (
            self.status == ExportStatus.READY
            and self.downloaded_at is None
            and now < self.expires_at
        )
