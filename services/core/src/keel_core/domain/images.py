"""Product images: what a seller may upload, and the life of one upload.

An image is part of its product (the product's lock serializes the ten-image limit). It is
``pending`` from the signed upload until the seller says the bytes are there, ``processing``
until the worker checked and normalized them, then ``ready`` (shown everywhere) or ``failed``
with a reason the seller can read. Only ready images appear in product reads and events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid4

from keel_core.domain.errors import Conflict, FieldError, InvalidInput, NotFound

# The types a client may declare; the worker checks the real type from the bytes again.
ALLOWED_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_IMAGES = 10
UPLOAD_TTL = timedelta(minutes=10)
# A pending upload nobody completed within a day is swept (row and object).
ABANDONED_AFTER = timedelta(days=1)
MAX_REASON = 200


class ImageStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class ImageNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such image")


class TooManyImages(Conflict):
    def __init__(self) -> None:
        super().__init__(f"a product has at most {MAX_IMAGES} images; delete one first")


class NothingUploaded(Conflict):
    def __init__(self, detail: str = "nothing was uploaded for this image") -> None:
        super().__init__(detail)


@dataclass(frozen=True)
class ImageView:
    """A ready image as product reads show it."""

    id: UUID
    url: str
    thumbnail_url: str
    width: int
    height: int


class ProductImage:
    def __init__(
        self,
        *,
        id: UUID,
        product_id: UUID,
        content_type: str,
        size_bytes: int,
        position: int,
        created_at: datetime,
        updated_at: datetime,
        status: str = ImageStatus.PENDING,
        image_key: str | None = None,
        thumbnail_key: str | None = None,
        url: str | None = None,
        thumbnail_url: str | None = None,
        width: int | None = None,
        height: int | None = None,
        failure_reason: str | None = None,
        deleted_at: datetime | None = None,
    ) -> None:
        self.id = id
        self.product_id = product_id
        self.content_type = content_type
        self.size_bytes = size_bytes
        self.position = position
        self.status = status
        self.image_key = image_key
        self.thumbnail_key = thumbnail_key
        self.url = url
        self.thumbnail_url = thumbnail_url
        self.width = width
        self.height = height
        self.failure_reason = failure_reason
        self.created_at = created_at
        self.updated_at = updated_at
        self.deleted_at = deleted_at

    @property
    def upload_key(self) -> str:
        """Where the client's bytes land; never served, deleted once processed."""
        return f"uploads/{self.product_id}/{self.id}"

    def output_keys(self, extension: str) -> tuple[str, str]:
        base = f"images/{self.product_id}/{self.id}"
        return f"{base}.{extension}", f"{base}-thumb.{extension}"

    def stored_keys(self) -> list[str]:
        """Every object this image may own in the store."""
        return [self.upload_key] + [k for k in (self.image_key, self.thumbnail_key) if k]

    def mark_uploaded(self, size_bytes: int, now: datetime) -> None:
        if self.status != ImageStatus.PENDING:
            raise Conflict(f"this image is already {self.status}")
        if size_bytes > self.size_bytes:
            raise NothingUploaded("the uploaded object is larger than the size signed for")
        self.status = ImageStatus.PROCESSING
        self.updated_at = now

    def mark_ready(
        self, keys: tuple[str, str], urls: tuple[str, str], size: tuple[int, int], now: datetime
    ) -> None:
        self.image_key, self.thumbnail_key = keys
        self.url, self.thumbnail_url = urls
        self.width, self.height = size
        self.status = ImageStatus.READY
        self.updated_at = now

    def mark_failed(self, reason: str, now: datetime) -> None:
        self.status = ImageStatus.FAILED
        self.failure_reason = reason[:MAX_REASON]
        self.updated_at = now

    def view(self) -> ImageView | None:
        if self.status != ImageStatus.READY or self.url is None or self.thumbnail_url is None:
            return None
        return ImageView(self.id, self.url, self.thumbnail_url, self.width or 0, self.height or 0)


def ready_views(images: list[ProductImage]) -> tuple[ImageView, ...]:
    ordered = sorted(images, key=lambda image: image.position)
    return tuple(view for image in ordered if (view := image.view()) is not None)


def check_upload(content_type: str, size_bytes: int) -> None:
    errors = []
    if content_type not in ALLOWED_TYPES:
        errors.append(FieldError("content_type", f"must be one of {', '.join(ALLOWED_TYPES)}"))
    if not 1 <= size_bytes <= MAX_UPLOAD_BYTES:
        errors.append(FieldError("size_bytes", f"must be between 1 and {MAX_UPLOAD_BYTES}"))
    if errors:
        raise InvalidInput.of(errors)


def new_image(
    images: list[ProductImage], product_id: UUID, content_type: str, size_bytes: int, now: datetime
) -> ProductImage:
    """A pending image appended to ``images``; failed ones do not count toward the limit."""
    check_upload(content_type, size_bytes)
    if sum(1 for i in images if i.status != ImageStatus.FAILED) >= MAX_IMAGES:
        raise TooManyImages()
    position = max((i.position for i in images), default=0) + 1
    image = ProductImage(
        id=uuid4(),
        product_id=product_id,
        content_type=content_type,
        size_bytes=size_bytes,
        position=position,
        created_at=now,
        updated_at=now,
    )
    images.append(image)
    return image


def find_image(images: list[ProductImage], image_id: UUID) -> ProductImage:
    for image in images:
        if image.id == image_id:
            return image
    raise ImageNotFound()
