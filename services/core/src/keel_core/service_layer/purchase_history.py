"""Purchase history: what buyers bought, per product, for other services (recommendations)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from keel_core.domain.errors import FieldError, InvalidInput
from keel_core.service_layer.ports import PurchaseTotal, UnitOfWork

# One call answers for this many buyers at most: bounds the query and the response size.
MAX_BUYERS = 500


@dataclass(frozen=True)
class BuyerHistory:
    """One buyer's purchases, the most recently bought product first."""

    buyer_id: UUID
    products: tuple[PurchaseTotal, ...]


def list_purchase_history(
    uow: UnitOfWork, buyer_ids: Sequence[UUID], since: datetime
) -> list[BuyerHistory]:
    """What each of ``buyer_ids`` bought at or after ``since`` (cancelled orders excluded).

    Buyers come back in the order asked, each once; those who bought nothing are left out.
    """
    if len(buyer_ids) > MAX_BUYERS:
        message = f"must have at most {MAX_BUYERS} entries"
        raise InvalidInput.of([FieldError("buyer_ids", message)])
    wanted = list(dict.fromkeys(buyer_ids))
    if not wanted:
        return []
    with uow:
        totals = uow.orders.purchase_totals(wanted, since)
    per_buyer: dict[UUID, list[PurchaseTotal]] = {}
    for total in totals:
        per_buyer.setdefault(total.buyer_id, []).append(total)
    return [
        BuyerHistory(buyer, tuple(sorted(per_buyer[buyer], key=_most_recent_first)))
        for buyer in wanted
        if buyer in per_buyer
    ]


def _most_recent_first(total: PurchaseTotal) -> tuple[float, str]:
    # The product id breaks ties so the answer is the same on every call.
    return (-total.last_purchased_at.timestamp(), str(total.product_id))
