"""A fake of the other services' ``ExportUserData``: canned parts, or one service down."""

from __future__ import annotations

import uuid
from typing import Any

from keel_auth.domain.errors import ExportSourceUnavailable
from keel_auth.service_layer.ports import UserDataSource


class FakeUserDataSource(UserDataSource):
    def __init__(self, parts: dict[str, dict[str, Any]] | None = None) -> None:
        self.parts = parts or {}
        self.down: set[str] = set()
        self.asked: list[tuple[str, uuid.UUID]] = []

    def export_user_data(self, service: str, user_id: uuid.UUID) -> dict[str, Any]:
        self.asked.append((service, user_id))
        if service in self.down:
            raise ExportSourceUnavailable(f"{service} ExportUserData failed: UNAVAILABLE")
        return dict(self.parts.get(service, {"user_id": str(user_id)}))
