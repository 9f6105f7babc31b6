"""Product images over HTTP on the local object store (the ``make run`` one).

The client's side is plain HTTP: ask for a signed upload, PUT the bytes to the URL it names,
complete. The worker's step is core's real consumer handler fed the event core staged in its
outbox, so every check of the processing runs as in production.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from PIL import Image

from keel_common.clock import utcnow
from keel_common.messaging import Envelope
from keel_core.adapters.object_store import LocalObjectStore
from keel_core.bootstrap import Core
from keel_core.entrypoints.image_worker import uploaded_images_handler
from keel_events.core import ProductImageUploaded

from .image_files import PHP_AS_JPG, has_any_exif, has_gps, jpeg_with_gps, png_bomb

MB = 1024 * 1024


@pytest.fixture
def media(wired: Core, api: str, tmp_path: Path) -> Iterator[Path]:
    """Core's store: files under tmp, uploads to this core's own upload route."""
    root = tmp_path / "media"
    wired.media = LocalObjectStore(root, f"{api}/v1/core/uploads/", f"{api}/media/", b"k" * 32)
    yield root


def request_upload(api: str, user: Any, product_id: str, data: bytes, kind: str) -> Any:
    return requests.post(
        f"{api}/v1/products/{product_id}/images",
        json={"content_type": kind, "size_bytes": len(data)},
        headers=user.headers,
        timeout=10,
    )


def send(upload: dict[str, Any], data: bytes, **headers: str) -> requests.Response:
    return requests.put(upload["url"], data=data, headers=upload["headers"] | headers, timeout=30)


def process_pending(wired: Core) -> int:
    """Run core's image handler on every upload-completed event in the outbox."""
    handle = uploaded_images_handler(wired)
    with wired.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT payload FROM outbox WHERE type = :t"),
            {"t": ProductImageUploaded.type},
        ).all()
    for (payload,) in rows:
        envelope = Envelope.from_json(payload)
        handle(ProductImageUploaded.from_data(envelope.data), envelope)
    return len(rows)


def upload_image(
    api: str, wired: Core, user: Any, product_id: str, data: bytes, kind: str = "image/jpeg"
) -> str:
    created = request_upload(api, user, product_id, data, kind)
    assert created.status_code == 201, created.text
    body = created.json()
    assert send(body["upload"], data).status_code == 204
    image_id: str = body["image"]["id"]
    done = requests.post(
        f"{api}/v1/products/{product_id}/images/{image_id}/complete",
        headers=user.headers,
        timeout=10,
    )
    assert done.status_code == 202, done.text
    process_pending(wired)
    return image_id


def stored(media: Path, url: str, api: str) -> bytes:
    return (media / url.removeprefix(f"{api}/media/")).read_bytes()


def test_a_photo_is_stripped_of_gps_and_shown_with_its_thumbnail(
    api: str, wired: Core, media: Path, seller: Any, create_product: Callable[..., Any]
) -> None:
    product = create_product()
    created = request_upload(api, seller, product["id"], jpeg_with_gps(), "image/jpeg")
    assert created.status_code == 201
    body = created.json()
    assert body["image"]["status"] == "pending"
    assert body["upload"]["method"] == "PUT"
    assert body["upload"]["headers"] == {"Content-Type": "image/jpeg"}

    image_id = upload_image(api, wired, seller, product["id"], jpeg_with_gps())

    shown = requests.get(f"{api}/v1/products/{product['id']}", timeout=10).json()
    assert [i["id"] for i in shown["images"]] == [image_id]
    image = shown["images"][0]
    assert (image["width"], image["height"]) == (1600, 1200)
    full, thumb = stored(media, image["url"], api), stored(media, image["thumbnail_url"], api)
    assert not has_gps(full) and not has_any_exif(full) and not has_any_exif(thumb)
    assert max(Image.open(io.BytesIO(thumb)).size) == 400
    listed = requests.get(f"{api}/v1/products", timeout=10).json()["items"]
    assert listed[0]["images"] == shown["images"]
    # The raw upload is gone once processed.
    assert not [p for p in (media / "uploads").rglob("*") if p.is_file()]


def test_a_php_file_named_jpg_is_refused_with_a_reason(
    api: str, wired: Core, media: Path, seller: Any, create_product: Callable[..., Any]
) -> None:
    product = create_product()
    image_id = upload_image(api, wired, seller, product["id"], PHP_AS_JPG)

    state = requests.get(
        f"{api}/v1/products/{product['id']}/images/{image_id}", headers=seller.headers, timeout=10
    ).json()
    assert state["status"] == "failed"
    assert "not a JPEG, PNG or WebP" in state["failure_reason"]
    assert requests.get(f"{api}/v1/products/{product['id']}", timeout=10).json()["images"] == []
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_a_png_decompression_bomb_is_refused(
    api: str, wired: Core, media: Path, seller: Any, create_product: Callable[..., Any]
) -> None:
    product = create_product()
    image_id = upload_image(api, wired, seller, product["id"], png_bomb(), "image/png")

    state = requests.get(
        f"{api}/v1/products/{product['id']}/images/{image_id}", headers=seller.headers, timeout=10
    ).json()
    assert state["status"] == "failed"
    assert "pixels" in state["failure_reason"]
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_the_store_refuses_a_larger_body_a_wrong_type_and_a_forged_url(
    api: str, media: Path, seller: Any, create_product: Callable[..., Any]
) -> None:
    product = create_product()
    signed = request_upload(api, seller, product["id"], b"x" * MB, "image/jpeg").json()["upload"]

    too_large = send(signed, b"x" * (20 * MB))
    assert too_large.status_code == 413
    assert too_large.headers["Content-Type"] == "application/problem+json"
    assert send(signed, b"x" * (MB + 1)).status_code == 413
    assert send(signed, b"x" * 100, **{"Content-Type": "text/html"}).status_code == 403
    forged = signed | {"url": signed["url"].replace("max=1048576", "max=99999999")}
    assert send(forged, b"x" * 100).status_code == 403
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_an_expired_upload_url_is_refused(
    api: str, wired: Core, media: Path, seller: Any, create_product: Callable[..., Any]
) -> None:
    product = create_product()
    signed = request_upload(api, seller, product["id"], b"x" * 100, "image/jpeg").json()["upload"]
    wired.clock = lambda: utcnow() + timedelta(minutes=11)

    refused = send(signed, b"x" * 100)

    assert refused.status_code == 403
    assert "expired" in refused.json()["detail"]


def test_images_of_another_users_product_are_refused(
    api: str, media: Path, seller: Any, buyer: Any, admin: Any, create_product: Callable[..., Any]
) -> None:
    product = create_product()
    assert request_upload(api, buyer, product["id"], b"x", "image/jpeg").status_code == 403
    assert request_upload(api, admin, product["id"], b"x", "image/jpeg").status_code == 403
    unknown = "00000000-0000-4000-8000-000000000000"
    assert request_upload(api, seller, unknown, b"x", "image/jpeg").status_code == 404
    anonymous = requests.post(
        f"{api}/v1/products/{product['id']}/images",
        json={"content_type": "image/jpeg", "size_bytes": 1},
        timeout=10,
    )
    assert anonymous.status_code == 401


def test_an_eleventh_image_and_bad_declarations_are_refused(
    api: str, media: Path, seller: Any, create_product: Callable[..., Any]
) -> None:
    product = create_product()
    for _ in range(10):
        assert request_upload(api, seller, product["id"], b"x", "image/png").status_code == 201

    eleventh = request_upload(api, seller, product["id"], b"x", "image/png")

    assert eleventh.status_code == 409
    other = create_product()
    gif = request_upload(api, seller, other["id"], b"x", "image/gif")
    assert gif.status_code == 422
    assert "content_type" in str(gif.json()["errors"])
    huge = requests.post(
        f"{api}/v1/products/{other['id']}/images",
        json={"content_type": "image/jpeg", "size_bytes": 10 * MB + 1},
        headers=seller.headers,
        timeout=10,
    )
    assert huge.status_code == 422


def test_complete_without_an_upload_is_a_conflict_and_delete_removes_the_files(
    api: str, wired: Core, media: Path, seller: Any, buyer: Any, admin: Any,
    create_product: Callable[..., Any],
) -> None:  # fmt: skip
    product = create_product()
    pending = request_upload(api, seller, product["id"], b"x", "image/jpeg").json()["image"]
    base = f"{api}/v1/products/{product['id']}/images"
    nothing = requests.post(f"{base}/{pending['id']}/complete", headers=seller.headers, timeout=10)
    assert nothing.status_code == 409
    image_id = upload_image(api, wired, seller, product["id"], jpeg_with_gps())
    files = [p for p in media.rglob("*") if p.is_file()]
    assert len(files) == 2

    assert (
        requests.delete(f"{base}/{image_id}", headers=buyer.headers, timeout=10).status_code == 403
    )
    assert (
        requests.delete(f"{base}/{image_id}", headers=admin.headers, timeout=10).status_code == 204
    )
    assert (
        requests.delete(f"{base}/{image_id}", headers=seller.headers, timeout=10).status_code == 404
    )
    assert requests.get(f"{api}/v1/products/{product['id']}", timeout=10).json()["images"] == []
    assert not any(p.exists() for p in files)
