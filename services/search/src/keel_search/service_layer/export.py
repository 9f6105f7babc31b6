"""Search's part of a data export (issue #14): the user's products as the index holds them,
for auth's ``ExportUserData``."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

from keel_search.service_layer.ports import SearchIndex

#: A seller with more listings than this gets the first ones (the index has no cursor by owner).
MAX_PRODUCTS = 10_000


def export_user(index: SearchIndex, user_id: UUID) -> dict[str, Any]:
    documents = index.owned_by(user_id, MAX_PRODUCTS)
    return {"products": [dataclasses.asdict(d) for d in documents]}
