"""A data export (issue #14): the document of everything the services hold about a user,
downloadable once, by a link mailed to them, for 24 hours.

Only the token's hash is stored: the link in the email is the only proof of ownership.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

EXPORT_FORMAT = "keel.export.v1"
EXPORT_LIFETIME = timedelta(hours=24)
#: The services asked over gRPC (``ExportUserData``); auth adds its own part.
EXPORTING_SERVICES: tuple[str, ...] = ("core", "notification", "search")


class Export:
    def __init__(
        self, user_id: uuid.UUID, token_hash: str, document: dict[str, Any], now: datetime
    ) -> None:
        self.id = uuid.uuid4()
        self.user_id = user_id
        self.token_hash = token_hash
        self.document = document
        self.generated_at = now
        self.expires_at = now + EXPORT_LIFETIME
        self.downloaded_at: datetime | None = None

    def downloadable(self, now: datetime) -> bool:
        return self.downloaded_at is None and now < self.expires_at
