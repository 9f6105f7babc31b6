"""Orders: a buyer takes stock from one or more products, all priced in one currency."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

from keel_core.domain.actors import Actor
from keel_core.domain.errors import (
    FieldError,
    InsufficientStock,
    InvalidInput,
    OrderNotCancellable,
)
from keel_core.domain.products import Product

MAX_ITEMS = 100
MAX_QUANTITY = 10_000
MAX_IDEMPOTENCY_KEY = 255


class OrderStatus(StrEnum):
    PLACED = "placed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RequestedItem:
    """One line of a buyer's request: which product, how many."""

    product_id: UUID
    quantity: int


def check_requested_items(items: Sequence[RequestedItem]) -> None:
    """The rules a request must keep before any product is looked at."""
    if not items:
        raise InvalidInput.of([FieldError("items", "must not be empty")])
    if len(items) > MAX_ITEMS:
        raise InvalidInput.of([FieldError("items", f"must have at most {MAX_ITEMS} entries")])
    errors: list[FieldError] = []
    seen: set[UUID] = set()
    for i, item in enumerate(items):
        if isinstance(item.quantity, bool) or not 1 <= item.quantity <= MAX_QUANTITY:
            errors.append(FieldError(f"items.{i}.quantity", f"must be 1 to {MAX_QUANTITY}"))
        if item.product_id in seen:
            errors.append(FieldError(f"items.{i}.product_id", "appears twice"))
        seen.add(item.product_id)
    if errors:
        raise InvalidInput.of(errors)


def check_idempotency_key(key: str) -> None:
    if not (1 <= len(key) <= MAX_IDEMPOTENCY_KEY and key.isascii() and key.isprintable()):
        message = f"must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters"
        raise InvalidInput.of([FieldError("Idempotency-Key", message)])


def request_fingerprint(items: Sequence[RequestedItem]) -> str:
    """A digest of what was asked for, so a replayed Idempotency-Key can be compared.

    Items are sorted first: the same products and quantities in another order are the
    same request.
    """
    canonical = "\n".join(sorted(f"{i.product_id}:{i.quantity}" for i in items))
    return hashlib.sha256(canonical.encode()).hexdigest()


class OrderLine:
    """A product as it was bought: title and price are copied, later edits do not change it."""

    def __init__(self, *, product_id: UUID, title: str, quantity: int, unit_price_cents: int):
        self.product_id = product_id
        self.title = title
        self.quantity = quantity
        self.unit_price_cents = unit_price_cents


@dataclass(frozen=True)
class OrderLineSnapshot:
    product_id: UUID
    title: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as it is now: what use cases return and events carry."""

    id: UUID
    buyer_id: UUID
    status: str
    items: tuple[OrderLineSnapshot, ...]
    total_cents: int
    currency: str
    created_at: datetime
    updated_at: datetime

    @property
    def subject(self) -> str:
        return str(self.id)


class Order:
    def __init__(
        self,
        *,
        id: UUID,
        buyer_id: UUID,
        status: str,
        lines: list[OrderLine],
        total_cents: int,
        currency: str,
        idempotency_key: str,
        request_fingerprint: str,
        created_at: datetime,
        updated_at: datetime,
        deleted_at: datetime | None = None,
    ) -> None:
        self.id = id
        self.buyer_id = buyer_id
        self.status = status
        self.lines = lines
        self.total_cents = total_cents
        self.currency = currency
        self.idempotency_key = idempotency_key
        self.request_fingerprint = request_fingerprint
        self.created_at = created_at
        self.updated_at = updated_at
        self.deleted_at = deleted_at

    @classmethod
    def place(
        cls,
        buyer_id: UUID,
        wanted: Sequence[tuple[Product, int]],
        *,
        idempotency_key: str,
        fingerprint: str,
        now: datetime,
    ) -> Order:
        """Take the stock and write the order; nothing is taken unless everything can be."""
        _check_buyable(buyer_id, wanted)
        short = [(p, q) for p, q in wanted if q > p.stock]
        if short:
            product, quantity = short[0]
            raise InsufficientStock(product.id, quantity, product.stock)
        for product, quantity in wanted:
            product.take_stock(quantity, now)
        lines = [
            OrderLine(product_id=p.id, title=p.title, quantity=q, unit_price_cents=p.price_cents)
            for p, q in wanted
        ]
        return cls(
            id=uuid4(),
            buyer_id=buyer_id,
            status=OrderStatus.PLACED,
            lines=lines,
            total_cents=sum(line.quantity * line.unit_price_cents for line in lines),
            currency=wanted[0][0].currency,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
            created_at=now,
            updated_at=now,
        )

    def is_visible_to(self, actor: Actor) -> bool:
        return actor.user_id == self.buyer_id or actor.is_admin

    def pseudonymize(self, pseudonym: UUID) -> None:
        """Kept for accounting under ``pseudonym`` (an account erasure); the client's
        Idempotency-Key, free text the buyer's app chose, goes too."""
        self.buyer_id = pseudonym
        self.idempotency_key = f"erased:{uuid4()}"

    def cancel(self, now: datetime) -> None:
        if self.status != OrderStatus.PLACED:
            raise OrderNotCancellable(str(self.status))
        self.status = OrderStatus.CANCELLED
        self.updated_at = now

    def snapshot(self) -> OrderSnapshot:
        return OrderSnapshot(
            id=self.id,
            buyer_id=self.buyer_id,
            status=OrderStatus(self.status).value,
            items=tuple(
                OrderLineSnapshot(line.product_id, line.title, line.quantity, line.unit_price_cents)
                for line in self.lines
            ),
            total_cents=self.total_cents,
            currency=self.currency,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


def _check_buyable(buyer_id: UUID, wanted: Sequence[tuple[Product, int]]) -> None:
    if not wanted:
        raise InvalidInput.of([FieldError("items", "must not be empty")])
    errors = [
        FieldError(f"items.{i}.product_id", "is your own product")
        for i, (product, _) in enumerate(wanted)
        if product.owner_id == buyer_id
    ]
    currencies = sorted({product.currency for product, _ in wanted})
    if len(currencies) > 1:
        errors.append(FieldError("items", f"mixes currencies {', '.join(currencies)}"))
    if errors:
        raise InvalidInput.of(errors)
