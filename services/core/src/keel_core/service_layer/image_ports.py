"""The ports image use cases need: the object store and the image processor.

Adapters: ``keel_core.adapters.object_store`` (S3, local files) and
``keel_core.adapters.image_processing`` (Pillow); tests may use the ``Fake*`` ones.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class UploadTicket:
    """How the client sends the bytes: ``method`` to ``url`` with ``fields`` (a form POST)
    or ``headers`` (a PUT). Valid until ``expires_at`` for one type and at most one size."""

    method: str
    url: str
    expires_at: datetime
    fields: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class ObjectStore(abc.ABC):
    """Where image bytes live: uploads (private) and processed images (publicly readable)."""

    @abc.abstractmethod
    def signed_upload(
        self, key: str, content_type: str, max_bytes: int, expires_at: datetime
    ) -> UploadTicket:
        """A URL that accepts one object at ``key`` of exactly ``content_type`` and at most
        ``max_bytes``, until ``expires_at``; the store itself refuses anything else."""

    @abc.abstractmethod
    def size_of(self, key: str) -> int | None:
        """The stored object's size, or None when nothing is stored at ``key``."""

    @abc.abstractmethod
    def read(self, key: str, limit: int) -> bytes:
        """At most ``limit + 1`` bytes of the object (so a caller sees it is too large)."""

    @abc.abstractmethod
    def write(self, key: str, data: bytes, content_type: str) -> None: ...

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; nothing happens when it is already gone."""

    @abc.abstractmethod
    def public_url(self, key: str) -> str:
        """Where clients read a processed object (the CDN or the gateway's /media/)."""


class ImageRejected(Exception):
    """The bytes are not an image we accept; the message is shown to the seller."""


@dataclass(frozen=True)
class ProcessedImage:
    """A decoded, metadata-free image re-encoded, with its thumbnail."""

    image: bytes
    thumbnail: bytes
    extension: str
    content_type: str
    width: int
    height: int


class ImageProcessor(abc.ABC):
    @abc.abstractmethod
    def process(self, data: bytes) -> ProcessedImage:
        """Check the real type from the bytes, decode within the pixel limits, drop every
        metadata block, re-encode and make a thumbnail; ``ImageRejected`` otherwise."""


class ImageRepository(abc.ABC):
    """Images across products (each image is changed through its product, locked)."""

    @abc.abstractmethod
    def abandoned(self, created_before: datetime, limit: int) -> list[tuple[UUID, UUID]]:
        """(product id, image id) of pending images created before ``created_before``."""
