"""Image use cases: sign an upload, complete it, process it in the worker, delete, sweep.

Bytes never pass through a transaction: objects are read and written between two short
units of work, each of which locks the product (the ten-image limit and the product's
version are decided under that lock).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from keel_common.clock import Clock, utcnow
from keel_core.domain.actors import Actor
from keel_core.domain.errors import Forbidden, ProductNotFound
from keel_core.domain.events import ProductUpdated, product_event
from keel_core.domain.images import (
    ABANDONED_AFTER,
    MAX_UPLOAD_BYTES,
    UPLOAD_TTL,
    ImageStatus,
    NothingUploaded,
    ProductImage,
    find_image,
    new_image,
)
from keel_core.domain.products import Product
from keel_core.service_layer.image_ports import (
    ImageProcessor,
    ImageRejected,
    ObjectStore,
    ProcessedImage,
    UploadTicket,
)
from keel_core.service_layer.ports import UnitOfWork
from keel_events.core import ProductImageUploaded

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageState:
    """What the owner sees of one image, whatever its status."""

    id: UUID
    status: str
    failure_reason: str | None
    url: str | None
    thumbnail_url: str | None
    width: int | None
    height: int | None


def _state(image: ProductImage) -> ImageState:
    return ImageState(
        image.id,
        image.status,
        image.failure_reason,
        image.url,
        image.thumbnail_url,
        image.width,
        image.height,
    )


def _owned_product(uow: UnitOfWork, actor: Actor, product_id: UUID, *, staff: bool) -> Product:
    found = uow.products.get_for_update([product_id])
    if not found:
        raise ProductNotFound()
    product = found[0]
    if product.owner_id != actor.user_id and not (staff and actor.is_admin):
        raise Forbidden("only the product's owner can change its images")
    return product


def request_upload(
    uow: UnitOfWork,
    store: ObjectStore,
    actor: Actor,
    product_id: UUID,
    content_type: str,
    size_bytes: int,
    clock: Clock = utcnow,
) -> tuple[ImageState, UploadTicket]:
    """A pending image and the signed upload for exactly that type and at most that size."""
    now = clock()
    with uow:
        product = _owned_product(uow, actor, product_id, staff=False)
        image = new_image(product.images, product.id, content_type, size_bytes, now)
        uow.commit()
        state = _state(image)
    ticket = store.signed_upload(image.upload_key, content_type, size_bytes, now + UPLOAD_TTL)
    return state, ticket


def complete_upload(
    uow: UnitOfWork,
    store: ObjectStore,
    actor: Actor,
    product_id: UUID,
    image_id: UUID,
    clock: Clock = utcnow,
) -> ImageState:
    """The seller says the bytes are there: check that they are, then process them later."""
    with uow:
        product = _owned_product(uow, actor, product_id, staff=False)
        image = find_image(product.images, image_id)
        if image.status == ImageStatus.PENDING:
            size = store.size_of(image.upload_key)
            if size is None:
                raise NothingUploaded()
            if size > image.size_bytes:
                # A store that did not enforce the signed size (never S3 itself): not kept.
                store.delete(image.upload_key)
            image.mark_uploaded(size, clock())
            uow.publish(
                ProductImageUploaded(
                    id=image.id,
                    product_id=product.id,
                    content_type=image.content_type,
                    size_bytes=size,
                )
            )
            uow.commit()
        return _state(image)


def get_image(uow: UnitOfWork, actor: Actor, product_id: UUID, image_id: UUID) -> ImageState:
    """One image in any status, for its owner (why did it fail?)."""
    with uow:
        product = _owned_product(uow, actor, product_id, staff=True)
        return _state(find_image(product.images, image_id))


def delete_image(
    uow: UnitOfWork,
    store: ObjectStore,
    actor: Actor,
    product_id: UUID,
    image_id: UUID,
    clock: Clock = utcnow,
) -> None:
    with uow:
        product = _owned_product(uow, actor, product_id, staff=True)
        image = find_image(product.images, image_id)
        _remove(uow, product, image, clock)
        uow.commit()
    _delete_objects(store, image.stored_keys())


def process_uploaded_image(
    uow: UnitOfWork,
    store: ObjectStore,
    processor: ImageProcessor,
    event: ProductImageUploaded,
    clock: Clock = utcnow,
) -> None:
    """The worker's step: safe to run twice (an image no longer processing is left alone)."""
    with uow:
        image = _processing_image(uow, event.product_id, event.id)
        if image is None:
            return
        upload_key = image.upload_key
    try:
        if store.size_of(upload_key) is None:  # swept, or deleted by hand: nothing to retry
            raise ImageRejected("the upload is no longer in the store; upload it again")
        result: ProcessedImage | str = processor.process(
            _bounded(store.read(upload_key, MAX_UPLOAD_BYTES))
        )
    except ImageRejected as exc:
        result = str(exc)
    keys: tuple[str, str] | None = None
    if isinstance(result, ProcessedImage):
        keys = _write_outputs(store, image, result)
    with uow:
        image = _processing_image(uow, event.product_id, event.id, lock=True)
        if image is not None:
            _finish(uow, store, image, result, keys, clock)
            uow.commit()
    # The raw upload is never served and never kept, accepted or not.
    store.delete(upload_key)


def _bounded(data: bytes) -> bytes:
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRejected(f"the file is larger than {MAX_UPLOAD_BYTES} bytes")
    return data


def _write_outputs(
    store: ObjectStore, image: ProductImage, result: ProcessedImage
) -> tuple[str, str]:
    keys = image.output_keys(result.extension)
    store.write(keys[0], result.image, result.content_type)
    store.write(keys[1], result.thumbnail, result.content_type)
    return keys


def _processing_image(
    uow: UnitOfWork, product_id: UUID, image_id: UUID, *, lock: bool = False
) -> ProductImage | None:
    if lock:
        found = uow.products.get_for_update([product_id])
        product = found[0] if found else None
    else:
        product = uow.products.get(product_id)
    for image in product.images if product else []:
        if image.id == image_id and image.status == ImageStatus.PROCESSING:
            return image
    return None


def _finish(
    uow: UnitOfWork,
    store: ObjectStore,
    image: ProductImage,
    result: ProcessedImage | str,
    keys: tuple[str, str] | None,
    clock: Clock,
) -> None:
    now = clock()
    if isinstance(result, str) or keys is None:
        log.info("image refused", extra={"image_id": str(image.id), "reason": str(result)})
        image.mark_failed(str(result), now)
        return
    urls = (store.public_url(keys[0]), store.public_url(keys[1]))
    image.mark_ready(keys, urls, (result.width, result.height), now)
    product = uow.products.get(image.product_id)
    if product is not None:
        product.images_changed(now)
        uow.publish(product_event(ProductUpdated, product.snapshot()))


def _remove(uow: UnitOfWork, product: Product, image: ProductImage, clock: Clock) -> None:
    was_ready = image.status == ImageStatus.READY
    product.images.remove(image)
    if was_ready:
        product.images_changed(clock())
        uow.publish(product_event(ProductUpdated, product.snapshot()))


def _delete_objects(store: ObjectStore, keys: list[str]) -> None:
    for key in keys:
        store.delete(key)


def sweep_abandoned_uploads(
    uow: UnitOfWork, store: ObjectStore, clock: Clock = utcnow, batch: int = 200
) -> int:
    """Delete pending images (and whatever was uploaded for them) older than a day."""
    with uow:
        abandoned = uow.images.abandoned(clock() - ABANDONED_AFTER, batch)
    swept = 0
    for product_id, image_id in abandoned:
        keys: list[str] = []
        with uow:
            found = uow.products.get_for_update([product_id])
            for image in found[0].images if found else []:
                if image.id == image_id and image.status == ImageStatus.PENDING:
                    keys = image.stored_keys()
                    found[0].images.remove(image)
                    uow.commit()
        _delete_objects(store, keys)
        swept += bool(keys)
    return swept
