"""Product images on the S3 adapter, against moto's S3 server on loopback.

The client posts the presigned form to the server exactly as to AWS, and the worker step
reads and writes through boto3. Moto stores what it is sent but does not check a presigned
POST's policy (signature, expiry, content type, content-length-range; see the README), so
here the policy core signs is decoded and its conditions checked, and core's own defence
(a completed object larger than signed is deleted and refused) is exercised for real.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from keel_common.testing import free_port
from keel_core.adapters.object_store import S3ObjectStore
from keel_core.bootstrap import Core

from .image_files import PHP_AS_JPG, has_any_exif, jpeg_with_gps, png_bomb
from .test_http_images import process_pending, request_upload

BUCKET = "keel-media"
MB = 1024 * 1024


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """PostgreSQL only: the adapter under test here is S3 (test_http_images covers both)."""
    return postgres_url


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, wired: Core, unique_name: str) -> Any:
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    bucket = f"{BUCKET}-{unique_name}"
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    wired.media = S3ObjectStore(client, bucket, f"https://cdn.example.test/{bucket}/")
    client.keel_bucket = bucket  # type: ignore[attr-defined]
    return client


def post_form(upload: dict[str, Any], data: bytes) -> requests.Response:
    assert upload["method"] == "POST"
    return requests.post(
        upload["url"], data=upload["fields"], files={"file": ("photo.jpg", data)}, timeout=30
    )


def upload_via_s3(api: str, wired: Core, user: Any, product_id: str, data: bytes, kind: str) -> str:
    body = request_upload(api, user, product_id, data, kind).json()
    assert post_form(body["upload"], data).status_code == 204
    image_id: str = body["image"]["id"]
    done = requests.post(
        f"{api}/v1/products/{product_id}/images/{image_id}/complete",
        headers=user.headers,
        timeout=10,
    )
    assert done.status_code == 202, done.text
    process_pending(wired)
    return image_id


def objects(s3: Any) -> list[str]:
    listed = s3.list_objects_v2(Bucket=s3.keel_bucket)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def key_of(url: str, s3: Any) -> str:
    return url.split(f"/{s3.keel_bucket}/", 1)[1]


def test_a_photo_goes_through_s3_without_its_exif(
    api: str, wired: Core, s3: Any, seller: Any, create_product: Callable[..., Any]
) -> None:
    product = create_product()
    image_id = upload_via_s3(api, wired, seller, product["id"], jpeg_with_gps(), "image/jpeg")

    shown = requests.get(f"{api}/v1/products/{product['id']}", timeout=10).json()
    [image] = shown["images"]
    assert image["id"] == image_id
    assert image["thumbnail_url"].startswith(f"https://cdn.example.test/{s3.keel_bucket}/images/")
    full = s3.get_object(Bucket=s3.keel_bucket, Key=key_of(image["url"], s3))
    assert full["ContentType"] == "image/jpeg"
    assert not has_any_exif(full["Body"].read())
    assert objects(s3) == sorted([key_of(image["url"], s3), key_of(image["thumbnail_url"], s3)])


def test_the_signed_policy_pins_key_type_size_and_expiry(
    api: str, s3: Any, seller: Any, create_product: Callable[..., Any]
) -> None:
    product = create_product()
    body = request_upload(api, seller, product["id"], b"x" * MB, "image/png").json()

    fields = body["upload"]["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, MB] in conditions
    assert {"key": fields["key"]} in conditions
    assert fields["key"] == f"uploads/{product['id']}/{body['image']['id']}"
    # boto3 stamps the policy from its own clock reading, a moment after Keel's: the same
    # expiry within seconds (comparing "HH:MM" prefixes failed when a minute turned between).
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    advertised = datetime.fromisoformat(body["upload"]["expires_at"].replace("Z", "+00:00"))
    assert abs(expiration - advertised) <= timedelta(seconds=5)


def test_a_larger_object_than_signed_is_deleted_at_completion(
    api: str, wired: Core, s3: Any, seller: Any, create_product: Callable[..., Any]
) -> None:
    product = create_product()
    body = request_upload(api, seller, product["id"], b"x" * MB, "image/jpeg").json()
    # Moto does not enforce content-length-range; AWS answers 400 EntityTooLarge here.
    post_form(body["upload"], b"x" * (20 * MB))

    done = requests.post(
        f"{api}/v1/products/{product['id']}/images/{body['image']['id']}/complete",
        headers=seller.headers,
        timeout=10,
    )

    assert done.status_code == 409
    assert objects(s3) == []


@pytest.mark.parametrize(
    ("data", "kind", "reason"),
    [(PHP_AS_JPG, "image/jpeg", "not a JPEG"), (png_bomb(), "image/png", "pixels")],
    ids=["php-named-jpg", "png-bomb"],
)
def test_hostile_files_are_refused_and_deleted_from_the_bucket(
    api: str, wired: Core, s3: Any, seller: Any, create_product: Callable[..., Any],
    data: bytes, kind: str, reason: str,
) -> None:  # fmt: skip
    product = create_product()
    image_id = upload_via_s3(api, wired, seller, product["id"], data, kind)

    state = requests.get(
        f"{api}/v1/products/{product['id']}/images/{image_id}", headers=seller.headers, timeout=10
    ).json()
    assert state["status"] == "failed"
    assert reason in state["failure_reason"]
    assert objects(s3) == []
