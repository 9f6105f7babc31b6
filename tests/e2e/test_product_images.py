"""Product images through the gateway, as a seller's app and a shopper see them (#18).

The seller asks core for a signed upload, sends the bytes to the URL it names (core's local
store, on the gateway's origin), completes; core's worker checks and re-encodes the photo;
the gateway serves it under /media/ without its EXIF; the product JSON and a search hit
carry the thumbnail. A PHP file named .jpg never reaches /media/.
"""

from __future__ import annotations

import io
import secrets
import sys
from pathlib import Path
from typing import Any

import requests
from PIL import Image

from .client import TIMEOUT, User, create_product, eventually, sign_up_and_log_in
from .platform import Platform

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services/core/tests/integration"))
from image_files import PHP_AS_JPG, has_any_exif, has_gps, jpeg_with_gps


def _upload(platform: Platform, seller: User, product_id: str, data: bytes) -> str:
    base = f"{platform.base_url}/v1/products/{product_id}/images"
    body = {"content_type": "image/jpeg", "size_bytes": len(data)}
    created = requests.post(base, json=body, headers=seller.bearer, timeout=TIMEOUT)
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]
    assert upload["url"].startswith(f"{platform.base_url}/v1/core/uploads/")
    sent = requests.put(upload["url"], data=data, headers=upload["headers"], timeout=TIMEOUT)
    assert sent.status_code == 204, sent.text
    image_id: str = created.json()["image"]["id"]
    done = requests.post(f"{base}/{image_id}/complete", headers=seller.bearer, timeout=TIMEOUT)
    assert done.status_code == 202, done.text
    return image_id


def _state(platform: Platform, seller: User, product_id: str, image_id: str) -> dict[str, Any]:
    url = f"{platform.base_url}/v1/products/{product_id}/images/{image_id}"
    state: dict[str, Any] = requests.get(url, headers=seller.bearer, timeout=TIMEOUT).json()
    return state


def test_a_photo_reaches_the_product_the_media_path_and_search(platform: Platform) -> None:
    seller = sign_up_and_log_in(platform.base_url, "Photo Seller")
    word = "lamp" + secrets.token_hex(3)
    product = create_product(platform.base_url, seller, f"Brass {word}")
    photo = jpeg_with_gps()
    assert has_gps(photo)

    image_id = _upload(platform, seller, product["id"], photo)

    ready = eventually(
        lambda: (s := _state(platform, seller, product["id"], image_id))["status"] == "ready" and s,
        "the image processed by core's worker",
    )
    shown = requests.get(f"{platform.base_url}/v1/products/{product['id']}", timeout=TIMEOUT)
    [image] = shown.json()["images"]
    assert image["thumbnail_url"] == ready["thumbnail_url"]
    assert image["url"].startswith(f"{platform.base_url}/media/images/")
    served = requests.get(image["url"], timeout=TIMEOUT)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert not has_any_exif(served.content)
    thumb = requests.get(image["thumbnail_url"], timeout=TIMEOUT)
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 400

    def hit_with_thumbnail() -> dict[str, Any] | None:
        response = requests.get(
            f"{platform.base_url}/v1/search/products", params={"q": word}, timeout=TIMEOUT
        )
        hits = [h for h in response.json()["hits"] if h.get("thumbnail_url")]
        return hits[0] if hits else None

    hit = eventually(hit_with_thumbnail, "the thumbnail in a search hit")
    assert hit["thumbnail_url"] == image["thumbnail_url"]


def test_a_php_file_named_jpg_is_refused_and_never_served(platform: Platform) -> None:
    seller = sign_up_and_log_in(platform.base_url, "Sly Seller")
    product = create_product(platform.base_url, seller, "Innocent chair")

    image_id = _upload(platform, seller, product["id"], PHP_AS_JPG)

    failed = eventually(
        lambda: (
            (s := _state(platform, seller, product["id"], image_id))["status"] == "failed" and s
        ),
        "the upload refused by core's worker",
    )
    assert "not a JPEG, PNG or WebP" in failed["failure_reason"]
    raw = f"{platform.base_url}/media/uploads/{product['id']}/{image_id}"
    assert requests.get(raw, timeout=TIMEOUT).status_code == 404
