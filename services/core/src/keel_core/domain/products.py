"""Products a seller lists, and the rules every change to one must keep."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from keel_core.domain.errors import FieldError, InsufficientStock, InvalidInput, StaleVersion
from keel_core.domain.images import ImageView, ProductImage, ready_views
from keel_core.domain.money import MAX_AMOUNT, is_iso4217

MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_CATEGORY = 64
MAX_STOCK = 10**9
EDITABLE_FIELDS = ("title", "description", "price_cents", "currency", "category", "stock")
#: What an erased seller's product (and the order lines that copied its title) is called.
ERASED_TITLE = "(erased)"


def _text(value: Any, limit: int, *, required: bool) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if required and not value.strip():
        return "must not be empty"
    if len(value) > limit:
        return f"must be at most {limit} characters"
    return None


def _integer(value: Any, low: int, high: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "must be an integer"
    if not low <= value <= high:
        return f"must be between {low} and {high}"
    return None


_RULES: dict[str, Callable[[Any], str | None]] = {
    "title": lambda v: _text(v, MAX_TITLE, required=True),
    "description": lambda v: _text(v, MAX_DESCRIPTION, required=False),
    "price_cents": lambda v: _integer(v, 1, MAX_AMOUNT),
    "currency": lambda v: None if isinstance(v, str) and is_iso4217(v) else "not an ISO 4217 code",
    "category": lambda v: _text(v, MAX_CATEGORY, required=True),
    "stock": lambda v: _integer(v, 0, MAX_STOCK),
}


def check_product_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Validate product fields (all errors at once) and return them normalized."""
    errors = [FieldError(name, "is not a product field") for name in fields if name not in _RULES]
    errors += [
        FieldError(name, message)
        for name, value in fields.items()
        if name in _RULES and (message := _RULES[name](value)) is not None
    ]
    if errors:
        raise InvalidInput.of(errors)
    return {k: v.strip() if k in ("title", "category") else v for k, v in fields.items()}


@dataclass(frozen=True)
class ProductSnapshot:
    """A product as it is at one version: what use cases return and events carry."""

    id: UUID
    owner_id: UUID
    title: str
    description: str
    price_cents: int
    currency: str
    category: str
    stock: int
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    #: Ready images, in order (keel_core.domain.images).
    images: tuple[ImageView, ...] = ()
    #: False while the back-office has taken it off the public listing; the reason is the
    #: owner's to read.
    listed: bool = True
    unlisted_reason: str | None = None

    @property
    def subject(self) -> str:
        return str(self.id)

    @property
    def thumbnail_url(self) -> str | None:
        """The first image's thumbnail: what search results and lists show."""
        return self.images[0].thumbnail_url if self.images else None


class Product:
    """A product for sale. ``version`` grows by one with every change, stock included."""

    def __init__(
        self,
        *,
        id: UUID,
        owner_id: UUID,
        title: str,
        description: str,
        price_cents: int,
        currency: str,
        category: str,
        stock: int,
        created_at: datetime,
        updated_at: datetime,
        version: int = 1,
        deleted_at: datetime | None = None,
        listed: bool = True,
        unlisted_reason: str | None = None,
    ) -> None:
        self.id = id
        self.owner_id = owner_id
        self.title = title
        self.description = description
        self.price_cents = price_cents
        self.currency = currency
        self.category = category
        self.stock = stock
        self.version = version
        self.created_at = created_at
        self.updated_at = updated_at
        self.deleted_at = deleted_at
        self.listed = listed
        self.unlisted_reason = unlisted_reason
        # Every image of the product, in any status (mapped as a relationship).
        self.images: list[ProductImage] = []

    @classmethod
    def list_for_sale(cls, owner_id: UUID, fields: Mapping[str, Any], now: datetime) -> Product:
        missing = [FieldError(n, "is required") for n in EDITABLE_FIELDS if n not in fields]
        if missing:
            raise InvalidInput.of(missing)
        clean = check_product_fields(fields)
        return cls(id=uuid4(), owner_id=owner_id, created_at=now, updated_at=now, **clean)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def revise(
        self, changes: Mapping[str, Any], expected_version: int | None, now: datetime
    ) -> bool:
        """Apply the changed fields; False (and no new version) when nothing differs."""
        if expected_version is not None and expected_version != self.version:
            raise StaleVersion(expected_version, self.version)
        clean = check_product_fields(changes)
        changed = {k: v for k, v in clean.items() if getattr(self, k) != v}
        for name, value in changed.items():
            setattr(self, name, value)
        if changed:
            self._touch(now)
        return bool(changed)

    def take_stock(self, quantity: int, now: datetime) -> None:
        if quantity > self.stock:
            raise InsufficientStock(self.id, quantity, self.stock)
        self.stock -= quantity
        self._touch(now)

    def return_stock(self, quantity: int, now: datetime) -> None:
        self.stock += quantity
        self._touch(now)

    def delete(self, now: datetime) -> None:
        self.deleted_at = now
        self._touch(now)

    @property
    def is_erased(self) -> bool:
        return (
            self.is_deleted
            and self.title == ERASED_TITLE
            and not (self.description or self.category or self.unlisted_reason or self.images)
        )

    def erase(self, now: datetime) -> list[ProductImage]:
        """Forget everything its seller wrote (an account erasure): the row stays, deleted,
        with what accounting needs (id, price, currency, stock). The images it dropped are
        returned: their stored objects are the caller's to delete once this is committed."""
        dropped, self.images = self.images, []
        self.title, self.description, self.category = ERASED_TITLE, "", ""
        self.unlisted_reason = None  # a moderator's note about the seller
        self.deleted_at = self.deleted_at or now
        self._touch(now)
        return dropped

    def unlist(self, reason: str, now: datetime) -> bool:
        """Take it off the public listing (it stays the owner's); False when already off."""
        if not self.listed:
            return False
        self.listed, self.unlisted_reason = False, reason
        self._touch(now)
        return True

    def relist(self, now: datetime) -> bool:
        """Back on the public listing; False when it already was."""
        if self.listed:
            return False
        self.listed, self.unlisted_reason = True, None
        self._touch(now)
        return True

    def snapshot(self) -> ProductSnapshot:
        return ProductSnapshot(
            id=self.id,
            owner_id=self.owner_id,
            title=self.title,
            description=self.description,
            price_cents=self.price_cents,
            currency=self.currency,
            category=self.category,
            stock=self.stock,
            version=self.version,
            created_at=self.created_at,
            updated_at=self.updated_at,
            deleted_at=self.deleted_at,
            images=ready_views(self.images),
            listed=self.listed,
            unlisted_reason=self.unlisted_reason,
        )

    def images_changed(self, now: datetime) -> None:
        """An image became ready or went away: a new version, so readers see the change."""
        self._touch(now)

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now
