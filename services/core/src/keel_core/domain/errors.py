"""What can go wrong in the marketplace, in the domain's words.

Entrypoints map these to HTTP statuses and gRPC codes; the domain never knows either.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One rejected input field: where it is (e.g. ``items.0.quantity``) and why."""

    field: str
    message: str


class CoreError(Exception):
    """Base of every error the core domain raises on purpose."""

    title = "Request failed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(CoreError):
    """The request breaks a business rule about its own content (HTTP 422)."""

    title = "Invalid input"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []

    @classmethod
    def of(cls, errors: list[FieldError]) -> InvalidInput:
        return cls("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


class NotFound(CoreError):
    """The thing does not exist, is deleted, or the caller may not know it exists."""

    title = "Not found"


class ProductNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such product")


class OrderNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such order")


class Forbidden(CoreError):
    """The caller is known but may not do this (HTTP 403)."""

    title = "Forbidden"


class Conflict(CoreError):
    """The request is valid but the current state does not allow it (HTTP 409)."""

    title = "Conflict"


class StaleVersion(Conflict):
    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"the product is at version {current}, not {expected}; reload it")
        self.expected = expected
        self.current = current


class InsufficientStock(Conflict):
    def __init__(self, product_id: object, requested: int, available: int) -> None:
        super().__init__(
            f"product {product_id} has {available} in stock, {requested} were requested"
        )
        self.product_id = product_id
        self.requested = requested
        self.available = available


class OrderNotCancellable(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(f"an order that is {status} cannot be cancelled")
        self.status = status


class QuotaExceeded(Conflict):
    """One user holds as many products, or placed as many orders today, as one user may."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class IdempotencyKeyReused(InvalidInput):
    """The same Idempotency-Key came back with a different body (IETF idempotency draft: 422)."""

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used with a different request body",
            [FieldError("Idempotency-Key", "already used with a different request body")],
        )
