"""Apple Push Notification service: HTTP/2 with token-based (ES256 JWT) authentication.

httpx with HTTP/2 and PyJWT rather than an APNs library: aioapns is asyncio-only and
hard-wires Apple's hosts (no local server to test against), PyAPNs2 depends on the
abandoned ``hyper`` package. What remains is one POST per message and a provider token.
Each sending thread has its own HTTP/2 connection (``http2.ClientPerThread`` says why).

Request (developer.apple.com, "Sending notification requests to APNs"):
``POST /3/device/<token>`` with ``authorization: bearer <JWT>``, ``apns-topic`` (bundle id),
``apns-push-type: alert``, ``apns-priority`` (10 now, 5 when convenient), ``apns-id``;
the JSON body carries ``aps.alert``. Answers: 200 with ``apns-id``; errors are JSON
``{"reason": ...}``: 410 ``Unregistered`` and 400 ``BadDeviceToken`` mean the token is dead,
403 ``ExpiredProviderToken`` asks for a new JWT, 429 and 5xx are worth retrying.

Configured as ``apns://KEY_ID:PRIVATE_KEY@api.push.apple.com?team=TEAM_ID&topic=BUNDLE_ID``:
the signing key's id and its ``.p8`` PEM text (percent-encoded), the team and the app.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Self

import httpx
import jwt

from keel_notification.adapters.failover import Provider
from keel_notification.adapters.http2 import ClientPerThread
from keel_notification.adapters.provider_url import ProviderUrl
from keel_notification.adapters.retry_after import retry_after_seconds
from keel_notification.domain.errors import (
    PermanentDeliveryError,
    TransientDeliveryError,
    UnregisteredDevice,
)
from keel_notification.domain.messages import PushMessage
from keel_notification.domain.model import Category, Platform, is_push_token

PRODUCTION = "https://api.push.apple.com"
SANDBOX = "https://api.sandbox.push.apple.com"
# Apple refuses tokens older than an hour and throttles refreshes more often than 20 minutes.
TOKEN_LIFETIME = 50 * 60
DEAD_TOKEN = {"Unregistered", "BadDeviceToken", "DeviceTokenNotForTopic"}
STALE_AUTH = {"ExpiredProviderToken", "InvalidProviderToken"}


class ApnsPushProvider(Provider[PushMessage]):
    def __init__(
        self,
        *,
        team_id: str,
        key_id: str,
        private_key: str,
        topic: str,
        base_url: str = PRODUCTION,
        timeout: float = 10.0,
        ca_file: str | None = None,
        clock: Callable[[], float] = time.time,
        name: str = "apns",
    ) -> None:
        self.name = name
        self.team_id, self.key_id, self._key = team_id, key_id, private_key
        self.topic = topic
        self.clock = clock
        self._clients = ClientPerThread(base_url=base_url, timeout=timeout, ca_file=ca_file)
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, *, name: str = "apns", ca_file: str | None = None) -> Self:
        parsed = ProviderUrl.parse(url)
        if parsed.scheme != "apns":
            raise ValueError("use apns://KEY_ID:PRIVATE_KEY@host?team=...&topic=...")
        if not (parsed.username and parsed.password):
            raise ValueError("apns: needs the key id and the private key")
        parsed.require("team", "topic")
        return cls(
            team_id=parsed.params["team"],
            key_id=parsed.username,
            private_key=parsed.password,
            topic=parsed.params["topic"],
            base_url=parsed.base_url(),
            ca_file=ca_file,
            name=name,
        )

    def provider_token(self) -> str:
        """The signed JWT, reused until it is ``TOKEN_LIFETIME`` seconds old."""
        with self._lock:
            now = self.clock()
            if self._token is None or now - self._token[1] >= TOKEN_LIFETIME:
                token = jwt.encode(
                    {"iss": self.team_id, "iat": int(now)},
                    self._key,
                    algorithm="ES256",
                    headers={"kid": self.key_id},
                )
                self._token = (token, now)
            return self._token[0]

    def _forget_token(self) -> None:
        with self._lock:
            self._token = None

    def send(self, message: PushMessage) -> str:
        promotional = message.category is Category.PROMOTIONAL
        headers = {
            "authorization": f"bearer {self.provider_token()}",
            "apns-topic": self.topic,
            "apns-push-type": "alert",
            "apns-priority": "5" if promotional else "10",
            "apns-id": str(message.id).upper(),
        }
        body = {
            "aps": {"alert": {"title": message.title, "body": message.body}, "sound": "default"},
            **message.data,
        }
        if not is_push_token(Platform.IOS, message.token):  # it becomes part of the URL path
            raise UnregisteredDevice(f"{self.name}: not an APNs device token")
        try:
            response = self._clients.get().post(
                f"/3/device/{message.token}", headers=headers, content=json.dumps(body)
            )
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 200:
            return response.headers.get("apns-id", headers["apns-id"])
        raise self._error(response)

    def _error(self, response: httpx.Response) -> Exception:
        status = response.status_code
        try:
            reason = str(response.json().get("reason", ""))
        except ValueError:
            reason = ""
        detail = f"{self.name}: {status} {reason}".strip()
        if reason in DEAD_TOKEN or status == 410:
            return UnregisteredDevice(detail)
        if reason in STALE_AUTH:
            self._forget_token()
            return TransientDeliveryError(detail)
        if status == 429 or status >= 500:
            retry_after = retry_after_seconds(response.headers.get("retry-after"))
            return TransientDeliveryError(detail, retry_after=retry_after)
        if status == 403:  # our key or team is refused: the setup's fault, not the message's
            return TransientDeliveryError(detail)
        return PermanentDeliveryError(detail)

    def close(self) -> None:
        self._clients.close()
