"""Image use cases on fakes: limits, the product version and events, the sweep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from keel_core.adapters.fake_media import FakeImageProcessor, FakeObjectStore
from keel_core.adapters.fakes import FakeUnitOfWork
from keel_core.config import CoreSettings
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CreateProduct
from keel_core.domain.errors import Forbidden, InvalidInput
from keel_core.domain.events import ProductUpdated
from keel_core.domain.images import NothingUploaded, TooManyImages
from keel_core.service_layer import images, products
from keel_events.core import ProductImageUploaded


@pytest.fixture
def store() -> FakeObjectStore:
    return FakeObjectStore()


@pytest.fixture
def product_id(
    uow: FakeUnitOfWork, seller: Actor, valid_fields: dict[str, Any], clock: Callable[[], datetime]
) -> Any:
    return products.create_product(uow, seller, CreateProduct(valid_fields), clock).id


def _upload(
    uow: FakeUnitOfWork, store: FakeObjectStore, seller: Actor, product_id: Any, data: bytes,
    clock: Callable[[], datetime],
) -> Any:  # fmt: skip
    state, ticket = images.request_upload(
        uow, store, seller, product_id, "image/jpeg", len(data), clock
    )
    store.objects[ticket.url.removeprefix("fake://")] = data
    images.complete_upload(uow, store, seller, product_id, state.id, clock)
    event = next(e for e in reversed(uow.events) if isinstance(e, ProductImageUploaded))
    images.process_uploaded_image(uow, store, FakeImageProcessor(), event, clock)
    return state.id


def test_a_ready_image_is_a_new_version_whose_event_carries_the_thumbnail(
    uow: FakeUnitOfWork, store: FakeObjectStore, seller: Actor, product_id: Any,
    clock: Callable[[], datetime],
) -> None:  # fmt: skip
    image_id = _upload(uow, store, seller, product_id, b"IMG...", clock)

    product = products.get_product(uow, product_id)
    assert [i.id for i in product.images] == [image_id]
    assert product.version == 2
    updated = uow.events[-1]
    assert isinstance(updated, ProductUpdated)
    assert updated.thumbnail_url == f"https://cdn.test/images/{product_id}/{image_id}-thumb.jpg"
    assert sorted(store.objects) == sorted(
        [f"images/{product_id}/{image_id}.jpg", f"images/{product_id}/{image_id}-thumb.jpg"]
    )


def test_a_refused_file_fails_with_a_reason_and_leaves_nothing(
    uow: FakeUnitOfWork, store: FakeObjectStore, seller: Actor, product_id: Any,
    clock: Callable[[], datetime],
) -> None:  # fmt: skip
    image_id = _upload(uow, store, seller, product_id, b"<?php", clock)

    state = images.get_image(uow, seller, product_id, image_id)
    assert state.status == "failed"
    assert state.failure_reason == "the file is not a JPEG, PNG or WebP image"
    assert products.get_product(uow, product_id).images == ()
    assert store.objects == {}


def test_limits_owner_and_declared_type(
    uow: FakeUnitOfWork, store: FakeObjectStore, seller: Actor, buyer: Actor, product_id: Any,
    clock: Callable[[], datetime],
) -> None:  # fmt: skip
    with pytest.raises(Forbidden):
        images.request_upload(uow, store, buyer, product_id, "image/png", 10, clock)
    with pytest.raises(InvalidInput):
        images.request_upload(uow, store, seller, product_id, "image/svg+xml", 10, clock)
    for _ in range(10):
        images.request_upload(uow, store, seller, product_id, "image/png", 10, clock)
    with pytest.raises(TooManyImages):
        images.request_upload(uow, store, seller, product_id, "image/png", 10, clock)


def test_completing_without_bytes_is_refused(
    uow: FakeUnitOfWork, store: FakeObjectStore, seller: Actor, product_id: Any,
    clock: Callable[[], datetime],
) -> None:  # fmt: skip
    state, _ = images.request_upload(uow, store, seller, product_id, "image/png", 10, clock)
    with pytest.raises(NothingUploaded):
        images.complete_upload(uow, store, seller, product_id, state.id, clock)


def test_the_sweep_removes_day_old_pending_uploads_only(
    uow: FakeUnitOfWork, store: FakeObjectStore, seller: Actor, product_id: Any,
    clock: Callable[[], datetime],
) -> None:  # fmt: skip
    _, ticket = images.request_upload(uow, store, seller, product_id, "image/png", 10, clock)
    store.objects[ticket.url.removeprefix("fake://")] = b"never completed"
    ready = _upload(uow, store, seller, product_id, b"IMG", clock)
    later = clock() + timedelta(days=1, minutes=1)
    recent, _ = images.request_upload(
        uow, store, seller, product_id, "image/png", 10, lambda: later
    )

    assert images.sweep_abandoned_uploads(uow, store, lambda: later) == 1

    left = {i.id for i in uow.committed_products[product_id].images}
    assert left == {ready, recent.id}
    assert not any(key.startswith("uploads/") for key in store.objects)


def test_deleting_a_ready_image_is_a_new_version_without_it(
    uow: FakeUnitOfWork, store: FakeObjectStore, seller: Actor, product_id: Any,
    clock: Callable[[], datetime],
) -> None:  # fmt: skip
    image_id = _upload(uow, store, seller, product_id, b"IMG", clock)

    images.delete_image(uow, store, seller, product_id, image_id, clock)

    updated = uow.events[-1]
    assert isinstance(updated, ProductUpdated)
    assert updated.thumbnail_url is None and updated.version == 3
    assert store.objects == {}


def test_an_upload_gone_before_processing_fails_instead_of_retrying(
    uow: FakeUnitOfWork, store: FakeObjectStore, seller: Actor, product_id: Any,
    clock: Callable[[], datetime],
) -> None:  # fmt: skip
    state, ticket = images.request_upload(uow, store, seller, product_id, "image/png", 3, clock)
    store.objects[ticket.url.removeprefix("fake://")] = b"IMG"
    images.complete_upload(uow, store, seller, product_id, state.id, clock)
    store.objects.clear()
    event = uow.events[-1]
    assert isinstance(event, ProductImageUploaded)

    images.process_uploaded_image(uow, store, FakeImageProcessor(), event, clock)

    failed = images.get_image(uow, seller, product_id, state.id)
    assert failed.status == "failed" and "no longer in the store" in (failed.failure_reason or "")


def test_production_refuses_the_development_signing_key() -> None:
    with pytest.raises(ValueError, match="MEDIA_SIGNING_KEY"):
        CoreSettings(environment="production")
    assert CoreSettings(environment="production", media_store="s3").media_store == "s3"
