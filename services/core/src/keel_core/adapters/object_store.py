"""``ObjectStore`` adapters: S3 (production) and a local folder (``make run``, tests).

Both hand the client a signed upload it sends straight to storage, and both make the store
refuse a wrong type, a larger body and an expired or altered URL: S3 through the presigned
POST policy's conditions, the local store through ``LocalObjectStore.check_upload`` (called
by core's upload route, ``entrypoints/http_uploads.py``, served on the gateway's origin).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from keel_core.service_layer.image_ports import ObjectStore, UploadTicket

# Keys are made by keel_core.domain.images: uploads/<uuid>/<uuid>, images/<uuid>/<uuid>[...].
_KEY = re.compile(r"^(uploads|images)/[0-9a-f-]{36}/[0-9a-f-]{36}(-thumb)?(\.(jpg|png))?$")
_CHUNK = 64 * 1024


class UploadRefused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class LocalObjectStore(ObjectStore):
    """Files under ``root``; uploads signed with HMAC-SHA256 over key, type, size, expiry."""

    def __init__(self, root: Path, upload_base: str, public_base: str, secret: bytes) -> None:
        self.root = root.resolve()
        self.upload_base = upload_base.rstrip("/") + "/"
        self.public_base = public_base.rstrip("/") + "/"
        self.secret = secret

    def _sign(self, key: str, content_type: str, max_bytes: int, expires: int) -> str:
        message = f"{key}\n{content_type}\n{max_bytes}\n{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def signed_upload(
        self, key: str, content_type: str, max_bytes: int, expires_at: datetime
    ) -> UploadTicket:
        expires = int(expires_at.timestamp())
        query = {
            "max": str(max_bytes),
            "expires": str(expires),
            "signature": self._sign(key, content_type, max_bytes, expires),
        }
        url = f"{self.upload_base}{key}?{urlencode(query)}"
        return UploadTicket("PUT", url, expires_at, headers={"Content-Type": content_type})

    def check_upload(
        self,
        key: str,
        query: Mapping[str, str],
        content_type: str | None,
        content_length: int | None,
        now: datetime,
    ) -> int:
        """The signed maximum size, or ``UploadRefused`` (403 forged/expired/wrong type, 411
        no length, 413 too large): what S3 checks for a presigned upload."""
        try:
            max_bytes, expires = int(query["max"]), int(query["expires"])
            signature = query["signature"]
        except (KeyError, ValueError):
            raise UploadRefused(403, "the upload URL is not signed") from None
        expected = self._sign(key, content_type or "", max_bytes, expires)
        if not _KEY.match(key) or not hmac.compare_digest(expected, signature):
            raise UploadRefused(403, "the signature does not match this key and content type")
        if now.timestamp() > expires:
            raise UploadRefused(403, "the upload URL has expired")
        if content_length is None:
            raise UploadRefused(411, "send the Content-Length of the body")
        if content_length > max_bytes:
            raise UploadRefused(413, f"the body is larger than the {max_bytes} bytes signed for")
        return max_bytes

    def save_upload(self, key: str, stream: IO[bytes], length: int) -> None:
        """Copy exactly ``length`` bytes (already checked against the signature)."""
        remaining, chunks = length, []
        while remaining > 0:
            chunk = stream.read(min(_CHUNK, remaining))
            if not chunk:
                raise UploadRefused(400, "the body is shorter than its Content-Length")
            chunks.append(chunk)
            remaining -= len(chunk)
        self.write(key, b"".join(chunks), "application/octet-stream")

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError("not an object key of this store")
        return self.root / key

    def size_of(self, key: str) -> int | None:
        path = self._path(key)
        return path.stat().st_size if path.is_file() else None

    def read(self, key: str, limit: int) -> bytes:
        with self._path(key).open("rb") as file:
            return file.read(limit + 1)

    def write(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed: a reader never sees half a file.
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def public_url(self, key: str) -> str:
        # The gateway serves only images/ (never raw uploads) under /media/images/.
        return self.public_base + key


class S3ObjectStore(ObjectStore):
    """A private bucket; uploads by presigned POST whose policy pins key, type and size."""

    def __init__(self, client: Any, bucket: str, public_base: str) -> None:
        self.client = client
        self.bucket = bucket
        self.public_base = public_base.rstrip("/") + "/"

    def signed_upload(
        self, key: str, content_type: str, max_bytes: int, expires_at: datetime
    ) -> UploadTicket:
        seconds = max(1, int((expires_at - datetime.now(UTC)).total_seconds()))
        post = self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=seconds,
        )
        return UploadTicket("POST", post["url"], expires_at, fields=dict(post["fields"]))

    def size_of(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"])

    def read(self, key: str, limit: int) -> bytes:
        got = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{limit}")
        data: bytes = got["Body"].read()
        return data

    def write(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            # Keys are never reused (a new image gets a new id), so caches may keep them.
            CacheControl="public, max-age=31536000, immutable",
        )

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def public_url(self, key: str) -> str:
        return self.public_base + key
