"""An APNs stand-in: checks requests as Apple documents them and answers like APNs.

Documented in "Sending notification requests to APNs" and "Handling notification responses
from APNs" (developer.apple.com): HTTP/2 only, ``POST /3/device/<hex token>``, provider JWT
(ES256, ``kid`` header, ``iss`` = team id, ``iat`` under an hour old), ``apns-topic``,
``apns-push-type``, ``apns-priority`` 5 or 10, optional ``apns-id`` UUID, a JSON payload
with ``aps`` of at most 4 KB. Errors are ``{"reason": ...}`` with the documented status.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import deque
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from keel_notification.testing.asgi import Receive, Request, Send, lifespan, read_request, respond

PATH = re.compile(r"^/3/device/([^/]+)$")
HEX = re.compile(r"^[0-9a-fA-F]{64,200}$")
MAX_PAYLOAD = 4096


def apns_signing_key() -> tuple[str, ec.EllipticCurvePublicKey]:
    """A fresh P-256 key as Apple issues it (PKCS#8 PEM, the .p8 file) and its public half."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode(), key.public_key()


class ApnsTestServer:
    """The ASGI app; serve it with ``AsgiServer(app, tls)``."""

    def __init__(
        self, *, team_id: str, key_id: str, public_key: ec.EllipticCurvePublicKey, topic: str
    ) -> None:
        self.team_id, self.key_id, self.public_key, self.topic = team_id, key_id, public_key, topic
        self.delivered: list[dict[str, Any]] = []
        self.http_versions: set[str] = set()
        self.unregistered: set[str] = set()
        self.script: deque[tuple[int, str, str | None]] = deque()

    def fail_next(self, status: int, reason: str, retry_after: str | None = None) -> None:
        self.script.append((status, reason, retry_after))

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        request = await read_request(scope, receive)
        self.http_versions.add(request.http_version)
        status, body, headers = self.handle(request)
        await respond(send, status, body, headers)

    def handle(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        error = self._check(request)
        if error:
            return error[0], {"reason": error[1]}, {}
        token = PATH.match(request.path).group(1)  # type: ignore[union-attr]
        if token in self.unregistered:
            return 410, {"reason": "Unregistered", "timestamp": int(time.time() * 1000)}, {}
        if self.script:
            status, reason, retry_after = self.script.popleft()
            return status, {"reason": reason}, {"retry-after": retry_after} if retry_after else {}
        apns_id = request.headers.get("apns-id") or str(uuid.uuid4()).upper()
        self.delivered.append(
            {"token": token, "headers": request.headers, "payload": request.json()}
        )
        return 200, None, {"apns-id": apns_id}

    def _check(self, request: Request) -> tuple[int, str] | None:
        match = PATH.match(request.path)
        headers = request.headers
        checks: list[tuple[bool, int, str]] = [
            (request.http_version != "2", 400, "BadPath"),  # APNs speaks HTTP/2 only
            (request.method != "POST", 405, "MethodNotAllowed"),
            (match is None, 404, "BadPath"),
            (match is not None and not HEX.match(match.group(1)), 400, "BadDeviceToken"),
            ("authorization" not in headers, 403, "MissingProviderToken"),
        ]
        for failed, status, reason in checks:
            if failed:
                return status, reason
        token_error = self._check_provider_token(headers["authorization"])
        if token_error:
            return 403, token_error
        return self._check_headers_and_payload(request)

    def _check_provider_token(self, authorization: str) -> str | None:
        scheme, _, token = authorization.partition(" ")
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token, self.public_key, algorithms=["ES256"], options={"require": ["iss", "iat"]}
            )
        except jwt.PyJWTError:
            return "InvalidProviderToken"
        if scheme != "bearer" or header.get("kid") != self.key_id or claims["iss"] != self.team_id:
            return "InvalidProviderToken"
        if time.time() - claims["iat"] > 3600:
            return "ExpiredProviderToken"
        return None

    def _check_headers_and_payload(self, request: Request) -> tuple[int, str] | None:
        headers = request.headers
        if "apns-topic" not in headers:
            return 400, "MissingTopic"
        if headers["apns-topic"] != self.topic:
            return 400, "DeviceTokenNotForTopic"
        if headers.get("apns-push-type", "alert") not in {"alert", "background", "voip"}:
            return 400, "InvalidPushType"
        if headers.get("apns-priority", "10") not in {"5", "10"}:
            return 400, "BadPriority"
        try:
            if "apns-id" in headers:
                uuid.UUID(headers["apns-id"])
        except ValueError:
            return 400, "BadMessageId"
        if len(request.body) > MAX_PAYLOAD:
            return 413, "PayloadTooLarge"
        try:
            payload = request.json()
        except ValueError:
            return 400, "PayloadEmpty"
        if not isinstance(payload, dict) or not isinstance(payload.get("aps"), dict):
            return 400, "PayloadEmpty"
        return None
