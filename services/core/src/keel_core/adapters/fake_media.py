"""In-memory ``ObjectStore`` and ``ImageProcessor`` for unit tests of the image use cases."""

from __future__ import annotations

from datetime import datetime

from keel_core.service_layer.image_ports import (
    ImageProcessor,
    ImageRejected,
    ObjectStore,
    ProcessedImage,
    UploadTicket,
)


class FakeObjectStore(ObjectStore):
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def signed_upload(
        self, key: str, content_type: str, max_bytes: int, expires_at: datetime
    ) -> UploadTicket:
        return UploadTicket(
            "PUT", f"fake://{key}", expires_at, headers={"Content-Type": content_type}
        )

    def size_of(self, key: str) -> int | None:
        data = self.objects.get(key)
        return None if data is None else len(data)

    def read(self, key: str, limit: int) -> bytes:
        return self.objects[key][: limit + 1]

    def write(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = data

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def public_url(self, key: str) -> str:
        return f"https://cdn.test/{key}"


class FakeImageProcessor(ImageProcessor):
    """Accepts bytes starting with ``IMG`` as a 640x480 image; refuses anything else."""

    def process(self, data: bytes) -> ProcessedImage:
        if not data.startswith(b"IMG"):
            raise ImageRejected("the file is not a JPEG, PNG or WebP image")
        return ProcessedImage(b"full", b"thumb", "jpg", "image/jpeg", 640, 480)
