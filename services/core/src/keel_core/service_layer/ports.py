"""The ports the use cases need: repositories, the unit of work, other services' data.

Adapters (SQLAlchemy, gRPC, Consul, files) implement them in production; tests use the
``Fake*`` implementations in ``keel_core.adapters.fakes``.
"""

from __future__ import annotations

import abc
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from keel_common.pagination import Position
from keel_common.unit_of_work import AbstractUnitOfWork
from keel_core.domain.app_versions import Platform, VersionPolicy
from keel_core.domain.audit import AuditEntry
from keel_core.domain.orders import Order
from keel_core.domain.products import Product
from keel_core.service_layer.caching import NoProductCache, ProductCache
from keel_core.service_layer.image_ports import ImageRepository
from keel_events import Event


@dataclass(frozen=True)
class PurchaseTotal:
    """How much of one product one buyer bought over a period, and when they last did."""

    buyer_id: UUID
    product_id: UUID
    title: str
    quantity: int
    last_purchased_at: datetime


class ProductRepository(abc.ABC):
    """Live (not soft-deleted) products."""

    @abc.abstractmethod
    def add(self, product: Product) -> None: ...

    @abc.abstractmethod
    def get(self, product_id: UUID) -> Product | None:
        """The live product, or None when unknown or deleted."""

    @abc.abstractmethod
    def count_for_owner(self, owner_id: UUID) -> int:
        """How many live products ``owner_id`` has."""

    @abc.abstractmethod
    def get_for_update(self, product_ids: Collection[UUID]) -> list[Product]:
        """The live products among ``product_ids``, locked until the unit of work ends.

        Locks are taken in one fixed order so two transactions never wait on each other.
        """

    @abc.abstractmethod
    def owned_for_erasure(
        self, owner_id: UUID, *, limit: int, after: Position | None = None
    ) -> list[Product]:
        """Up to ``limit`` of ``owner_id``'s products, soft-deleted ones included, newest
        first, strictly after ``after``, locked until the unit of work ends."""

    @abc.abstractmethod
    def list(
        self,
        *,
        limit: int,
        after: Position | None = None,
        owner_id: UUID | None = None,
        category: str | None = None,
        title: str | None = None,
        listed_only: bool = False,
    ) -> list[Product]:
        """Up to ``limit`` products, newest first, strictly after ``after``; ``title``
        keeps those whose title contains it, ignoring case; ``listed_only`` leaves out
        those the back-office unlisted (the public listing)."""


class OrderRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, order: Order) -> None: ...

    @abc.abstractmethod
    def get(self, order_id: UUID) -> Order | None: ...

    @abc.abstractmethod
    def get_for_update(self, order_id: UUID) -> Order | None:
        """The order, locked until the unit of work ends (two cancels cannot both win)."""

    @abc.abstractmethod
    def count_placed_since(self, buyer_id: UUID, since: datetime) -> int:
        """How many orders ``buyer_id`` placed at or after ``since``."""

    @abc.abstractmethod
    def get_by_idempotency_key(self, buyer_id: UUID, key: str) -> Order | None: ...

    @abc.abstractmethod
    def list_for_buyer(
        self, buyer_id: UUID, *, limit: int, after: Position | None = None
    ) -> list[Order]:
        """Up to ``limit`` of the buyer's orders, newest first, strictly after ``after``."""

    @abc.abstractmethod
    def erase_line_titles(self, product_ids: Collection[UUID], title: str) -> None:
        """Replace the title copied onto every order line of ``product_ids`` (an erased
        seller's words, in other buyers' orders)."""

    @abc.abstractmethod
    def list_all(self, *, limit: int, after: Position | None = None) -> list[Order]:
        """Up to ``limit`` orders of every buyer, newest first, strictly after ``after``."""

    @abc.abstractmethod
    def placed_since(self, since: datetime) -> list[tuple[str, int, int]]:
        """(currency, orders, revenue in cents) of orders not cancelled placed since ``since``."""

    @abc.abstractmethod
    def purchase_totals(self, buyer_ids: Collection[UUID], since: datetime) -> list[PurchaseTotal]:
        """Per buyer and product, over orders not cancelled and placed at or after ``since``.

        One query for every buyer; products no longer for sale are left out, the title is the
        product's current one. In no particular order.
        """


class DuplicateOrder(Exception):
    """Commit found another order with the same buyer and Idempotency-Key (a lost race)."""


class AuditLog(abc.ABC):
    """The admin audit trail; entries are only ever added."""

    @abc.abstractmethod
    def add(self, entry: AuditEntry) -> None: ...

    @abc.abstractmethod
    def for_target(self, target_type: str, target_id: str) -> list[AuditEntry]:
        """The entries about one record, oldest first."""

    @abc.abstractmethod
    def newest(
        self, *, actor_id: UUID | None, target_id: str | None, limit: int, after: Position | None
    ) -> list[AuditEntry]:
        """Entries matching the filters (None = any), newest first, after ``after``."""


class AppVersionStore(abc.ABC):
    """The thresholds an admin set, per platform (none: the seed file or Consul is used)."""

    @abc.abstractmethod
    def all(self) -> dict[Platform, VersionPolicy]: ...

    @abc.abstractmethod
    def put(self, platform: Platform, policy: VersionPolicy, actor_id: UUID) -> None: ...


class UnitOfWork(AbstractUnitOfWork):
    """One transaction: ``with uow: ...; uow.commit()``; leaving without commit rolls back.

    ``commit`` raises ``DuplicateOrder`` when a concurrent request with the same
    Idempotency-Key committed first.
    """

    products: ProductRepository
    orders: OrderRepository
    audit: AuditLog
    app_versions: AppVersionStore
    images: ImageRepository
    #: Read through by the product reads; ``commit`` invalidates what its events changed.
    product_cache: ProductCache = NoProductCache()

    @abc.abstractmethod
    def publish(self, event: Event) -> None:
        """Queue a domain event, stored in the outbox if and only if this work commits."""

    @abc.abstractmethod
    def forget_published_events(self, mentioning: Collection[str]) -> None:
        """Drop the already published events that mention any of ``mentioning`` (ids) from
        the outbox, with this work's commit: an erasure's (they were kept for replay)."""


@dataclass(frozen=True)
class UserSummary:
    """What core may show about a user, as auth's ``GetUsers`` returns it."""

    id: UUID
    name: str
    email: str


class UsersUnavailable(Exception):
    """Auth could not answer in time; the caller may retry."""


class UserDirectory(abc.ABC):
    """Auth's user data, asked for in batches: one call for any number of users."""

    @abc.abstractmethod
    def get_users(self, user_ids: Collection[UUID]) -> dict[UUID, UserSummary]:
        """The known users among ``user_ids``; unknown ids are simply absent.

        Raises ``UsersUnavailable`` when auth cannot be reached.
        """


class VersionPoliciesUnavailable(Exception):
    """No usable app-version thresholds could be read, and none were read before."""


class VersionPolicies(abc.ABC):
    """Where the app-version thresholds are read from at run time (file, Consul KV)."""

    @abc.abstractmethod
    def for_platform(self, platform: Platform) -> VersionPolicy:
        """The thresholds now in force; ``VersionPoliciesUnavailable`` when none can be read."""

    def forget(self) -> None:  # noqa: B027 - a source that is never cached has nothing to drop
        """Drop what this process cached, so an admin's edit answers at once."""
