"""An FCM HTTP v1 stand-in, with the OAuth2 token endpoint a service account talks to.

Documented in firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send and
/docs/reference/fcm/rest/v1/ErrorCode; the token endpoint follows RFC 7523 as Google's
(``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``, an RS256 assertion from the
service account whose ``aud`` is always ``https://oauth2.googleapis.com/token``, whatever
URI the token request goes to, and the requested ``scope``).
"""

from __future__ import annotations

import re
import secrets
from collections import deque
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from keel_notification.testing.asgi import Receive, Request, Send, lifespan, read_request, respond

SEND = re.compile(r"^/v1/projects/([^/]+)/messages:send$")
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
AUDIENCE = "https://oauth2.googleapis.com/token"
STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def google_error(status: int, message: str, fcm_code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": status, "message": message, "status": STATUS[status]}
    if fcm_code:
        error["details"] = [
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": fcm_code}
        ]
    return {"error": error}


class FcmTestServer:
    """The ASGI app; ``service_account(url)`` is the JSON key a client should be given."""

    def __init__(self, project_id: str = "keel-test") -> None:
        self.project_id = project_id
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.client_email = f"keel-push@{project_id}.iam.gserviceaccount.com"
        self.access_tokens: set[str] = set()
        self.delivered: list[dict[str, Any]] = []
        self.http_versions: set[str] = set()
        self.unregistered: set[str] = set()
        self.script: deque[tuple[int, str, str | None]] = deque()

    def service_account(self, base_url: str) -> dict[str, Any]:
        """A service-account key file's content, as Google Cloud issues it, with our token URI."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": secrets.token_hex(20),
            "private_key": pem.decode(),
            "client_email": self.client_email,
            "client_id": "100000000000000000001",
            "token_uri": f"{base_url}/token",
        }

    def fail_next(self, status: int, fcm_code: str, retry_after: str | None = None) -> None:
        self.script.append((status, fcm_code, retry_after))

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        request = await read_request(scope, receive)
        if request.path == "/token":
            status, body, headers = self.token(request)
        else:
            self.http_versions.add(request.http_version)
            status, body, headers = self.send(request)
        await respond(send, status, body, headers)

    def token(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                self._key.public_key(),
                algorithms=["RS256"],
                audience=AUDIENCE,
                issuer=self.client_email,
            )
        except jwt.PyJWTError as exc:
            return 400, {"error": "invalid_grant", "error_description": str(exc)}, {}
        if form.get("grant_type") != GRANT or SCOPE not in str(claims.get("scope", "")).split():
            return 400, {"error": "invalid_scope", "error_description": "bad grant or scope"}, {}
        token = "ya29." + secrets.token_urlsafe(24)
        self.access_tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}, {}

    def send(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        match = SEND.match(request.path)
        if request.method != "POST" or match is None:
            return 404, google_error(404, "Requested entity was not found."), {}
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self.access_tokens:
            return 401, google_error(401, "Request had invalid authentication credentials."), {}
        if match.group(1) != self.project_id:
            return 403, google_error(403, "SenderId mismatch", "SENDER_ID_MISMATCH"), {}
        problem, message = _invalid(request)
        if problem:
            return 400, google_error(400, problem, "INVALID_ARGUMENT"), {}
        if message["token"] in self.unregistered:
            return 404, google_error(404, "Requested entity was not found.", "UNREGISTERED"), {}
        if self.script:
            status, code, retry_after = self.script.popleft()
            headers = {"retry-after": retry_after} if retry_after else {}
            return status, google_error(status, code.lower(), code), headers
        self.delivered.append({"headers": request.headers, "message": message})
        name = f"projects/{match.group(1)}/messages/0:{len(self.delivered)}"
        return 200, {"name": name}, {}


def _invalid(request: Request) -> tuple[str | None, dict[str, Any]]:
    try:
        message = request.json()["message"]
    except (ValueError, KeyError, TypeError):
        return "Invalid JSON payload received.", {}
    targets = [k for k in ("token", "topic", "condition") if message.get(k)]
    notification = message.get("notification") or {}
    data = message.get("data") or {}
    android = message.get("android") or {}
    if len(targets) != 1:
        return "Exactly one of token, topic or condition must be set.", message
    if not all(isinstance(v, str) for v in notification.values()):
        return "notification fields must be strings", message
    if not all(isinstance(v, str) for v in data.values()):
        return "data values must be strings", message
    if android.get("priority", "NORMAL") not in {"NORMAL", "HIGH"}:
        return "android.priority must be NORMAL or HIGH", message
    return None, message
