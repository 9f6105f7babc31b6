"""Commands (imperative): what the outside world asks the search service to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from keel_search.domain.products import ProductChange


@dataclass(frozen=True)
class ApplyProductChange:
    """Bring the index up to a product change core announced at ``occurred_at``."""

    change: ProductChange
    occurred_at: datetime


@dataclass(frozen=True)
class RebuildIndex:
    """Rebuild the whole index from core's catalogue; ``requested_by`` names who asked."""

    requested_by: str
