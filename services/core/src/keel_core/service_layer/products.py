"""Product use cases. Each takes a unit of work; writes check who the caller is first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from uuid import UUID

from keel_common.clock import Clock, utcnow
from keel_common.pagination import Page, Position, page_of
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CreateProduct, DeleteProduct, UpdateProduct
from keel_core.domain.errors import Forbidden, ProductNotFound, QuotaExceeded
from keel_core.domain.events import (
    ProductCreated,
    ProductDeleted,
    ProductUpdated,
    product_event,
)
from keel_core.domain.products import Product, ProductSnapshot
from keel_core.service_layer.admin import require_staff
from keel_core.service_layer.caching import ProductDocument
from keel_core.service_layer.pagination import DEFAULT_LIMIT, check_limit, position_after
from keel_core.service_layer.ports import UnitOfWork

# Per-user quotas (issue #11): far above what a real seller lists, low enough that one
# account cannot fill the catalogue, the search index and the database on its own.
MAX_PRODUCTS_PER_OWNER = 1000


def _position(product: ProductSnapshot) -> Position:
    return Position(product.created_at, product.id)


def create_product(
    uow: UnitOfWork, actor: Actor, command: CreateProduct, clock: Clock = utcnow
) -> ProductSnapshot:
    with uow:
        if uow.products.count_for_owner(actor.user_id) >= MAX_PRODUCTS_PER_OWNER:
            raise QuotaExceeded(
                f"one account may list at most {MAX_PRODUCTS_PER_OWNER} products; delete some first"
            )
        product = Product.list_for_sale(actor.user_id, command.fields, clock())
        uow.products.add(product)
        snapshot = product.snapshot()
        uow.publish(product_event(ProductCreated, snapshot))
        uow.commit()
    return snapshot


#: Who is reading, looked up only when the answer depends on it (an unlisted product): the
#: anonymous hot path -- a listed product -- never pays for verifying a token.
Viewer = Callable[[], Actor | None]


def anonymous() -> Actor | None:
    return None


def get_product(uow: UnitOfWork, product_id: UUID, viewer: Viewer = anonymous) -> ProductSnapshot:
    """The product as ``viewer`` may see it, read through the product cache (a hit opens no
    transaction). The same rule applies to a cached and a freshly read snapshot."""
    return _visible(_read_product(uow, product_id), viewer)


def _read_product(uow: UnitOfWork, product_id: UUID) -> ProductSnapshot:
    cached = uow.product_cache.product(product_id)
    if cached.value is not None:
        return cached.value
    with uow:
        product = uow.products.get(product_id)
        if product is None:
            raise ProductNotFound()
        snapshot = product.snapshot()
    uow.product_cache.fill_product(cached, snapshot)
    return snapshot


def _visible(product: ProductSnapshot, viewer: Viewer) -> ProductSnapshot:
    """An unlisted product is its seller's and staff's to see (with the moderator's reason);
    to anyone else it does not exist, exactly as a deleted one does."""
    if product.listed:
        return product
    actor = viewer()
    if actor is not None and actor.user_id == product.owner_id:
        return product
    if actor is not None and actor.is_staff:
        require_staff(actor)  # the back-office's rule, second factor included
        return product
    raise ProductNotFound()


def get_product_document(
    uow: UnitOfWork,
    product_id: UUID,
    render: Callable[[ProductSnapshot], bytes],
    viewer: Viewer = anonymous,
) -> ProductDocument:
    """The product as ``render`` writes it (the HTTP body), read through the cache's rendered
    copy: a hit is the stored bytes, with no transaction, row or model behind it. Only a
    listed product's rendering is ever stored, so a hit is public by construction; an
    unlisted one is checked against ``viewer`` on every read."""
    cached = uow.product_cache.product_document(product_id)
    if cached.value is not None:
        return cached.value
    # Rendered from a read that starts after ``cached``'s generation was fetched, so a write
    # committed in between (an unlist included) has already replaced that generation.
    snapshot = get_product(uow, product_id, viewer)
    document = ProductDocument(snapshot.version, render(snapshot))
    if snapshot.listed:
        uow.product_cache.fill_product_document(cached, product_id, document)
    return document


def first_page_document(
    uow: UnitOfWork, limit: int, render: Callable[[Page[ProductSnapshot]], bytes]
) -> bytes:
    """The first page of ``list_products`` as ``render`` writes it, read through the cache."""
    check_limit(limit)
    cached = uow.product_cache.first_page_document(limit)
    if cached.value is not None:
        return cached.value
    body = render(page_of(_first_page(uow, limit), limit, _position))
    uow.product_cache.fill_first_page_document(cached, limit, body)
    return body


def list_products(
    uow: UnitOfWork,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    owner_id: UUID | None = None,
    category: str | None = None,
) -> Page[ProductSnapshot]:
    check_limit(limit)
    if cursor is None and owner_id is None and category is None:
        return page_of(_first_page(uow, limit), limit, _position)
    after = position_after(cursor)
    with uow:
        rows = uow.products.list(
            limit=limit + 1, after=after, owner_id=owner_id, category=category, listed_only=True
        )
        snapshots = [p.snapshot() for p in rows]
    return page_of(snapshots, limit, _position)


def _first_page(uow: UnitOfWork, limit: int) -> list[ProductSnapshot]:
    """The newest ``limit`` + 1 products, read through the cache (the storefront's landing)."""
    cached = uow.product_cache.first_page(limit)
    if cached.value is not None:
        return cached.value
    with uow:
        snapshots = [p.snapshot() for p in uow.products.list(limit=limit + 1, listed_only=True)]
    uow.product_cache.fill_first_page(cached, limit, snapshots)
    return snapshots


def iter_live_products(uow: UnitOfWork, batch_size: int = 500) -> Iterator[ProductSnapshot]:
    """Every live product, newest first, read in short transactions of ``batch_size``."""
    after: Position | None = None
    while True:
        with uow:
            batch = [
                p.snapshot()
                for p in uow.products.list(limit=batch_size, after=after, listed_only=True)
            ]
        yield from batch
        if len(batch) < batch_size:
            return
        after = _position(batch[-1])


def update_product(
    uow: UnitOfWork, actor: Actor, command: UpdateProduct, clock: Clock = utcnow
) -> ProductSnapshot:
    with uow:
        product = _locked_product(uow, command.product_id)
        if product.owner_id != actor.user_id:
            raise Forbidden("only the product's owner can change it")
        changed = product.revise(command.changes, command.expected_version, clock())
        snapshot = product.snapshot()
        if changed:
            uow.publish(product_event(ProductUpdated, snapshot))
            uow.commit()
    return snapshot


def delete_product(
    uow: UnitOfWork, actor: Actor, command: DeleteProduct, clock: Clock = utcnow
) -> None:
    """Soft delete: the row stays (orders point at it), the product stops being listed."""
    with uow:
        product = _locked_product(uow, command.product_id)
        if product.owner_id != actor.user_id and not actor.is_admin:
            raise Forbidden("only the product's owner or an admin can delete it")
        product.delete(clock())
        uow.publish(product_event(ProductDeleted, product.snapshot()))
        uow.commit()


def _locked_product(uow: UnitOfWork, product_id: UUID) -> Product:
    found = uow.products.get_for_update([product_id])
    if not found:
        raise ProductNotFound()
    return found[0]
