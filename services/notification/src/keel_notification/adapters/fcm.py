"""Firebase Cloud Messaging, HTTP v1 API, authorised with a service account (google-auth).

google-auth signs the service account's JWT grant and caches the OAuth2 access token; the
send itself is one POST. firebase-admin would add a dozen Google Cloud packages for that
POST, and cannot be pointed at a local server for tests.
Each sending thread has its own HTTP/2 connection (``http2.ClientPerThread`` says why).

Request (firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send):
``POST /v1/projects/<project>/messages:send`` with ``Authorization: Bearer <access token>``
and ``{"message": {"token", "notification": {"title", "body"}, "data", "android"}}``.
Answers: 200 ``{"name": "projects/<p>/messages/<id>"}``; errors are Google API errors whose
``details`` carry an FCM ``errorCode``: ``UNREGISTERED`` (404) means the token is dead,
``QUOTA_EXCEEDED`` (429), ``UNAVAILABLE`` (503) and ``INTERNAL`` (500) are worth retrying.

Configured as ``fcm://PROJECT_ID:SERVICE_ACCOUNT_JSON@fcm.googleapis.com``: the service
account's JSON key, percent-encoded; the project defaults to the key's ``project_id``.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Self

import google.auth.exceptions
import httpx
import requests
from google.auth.transport.requests import Request
from google.oauth2 import service_account

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
from keel_notification.domain.model import Category

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
PRODUCTION = "https://fcm.googleapis.com"
RETRYABLE = {"QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL"}
# our credentials or our APNs key held by Firebase are refused: the setup's fault
SETUP = {"THIRD_PARTY_AUTH_ERROR", "SENDER_ID_MISMATCH"}


class FcmPushProvider(Provider[PushMessage]):
    def __init__(
        self,
        *,
        service_account_info: dict[str, Any],
        project_id: str | None = None,
        base_url: str = PRODUCTION,
        timeout: float = 10.0,
        ca_file: str | None = None,
        name: str = "fcm",
    ) -> None:
        self.name = name
        self.project_id = project_id or service_account_info["project_id"]
        self._credentials = service_account.Credentials.from_service_account_info(
            service_account_info, scopes=[SCOPE]
        )
        self._token_session = requests.Session()
        if ca_file:
            # requests lets REQUESTS_CA_BUNDLE override a session's own CA file; a private CA
            # (the local stand-in) must win, so the environment is not consulted then
            self._token_session.verify = ca_file
            self._token_session.trust_env = False
        self._clients = ClientPerThread(base_url=base_url, timeout=timeout, ca_file=ca_file)
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, *, name: str = "fcm", ca_file: str | None = None) -> Self:
        parsed = ProviderUrl.parse(url)
        if parsed.scheme != "fcm":
            raise ValueError("use fcm://PROJECT_ID:SERVICE_ACCOUNT_JSON@host")
        try:
            account = json.loads(parsed.password)
        except ValueError:
            account = None
        if not isinstance(account, dict):
            raise ValueError("fcm: the password must be a service-account JSON object")
        try:
            return cls(
                service_account_info=account,
                project_id=parsed.username or None,
                base_url=parsed.base_url(),
                ca_file=ca_file,
                name=name,
            )
        except (KeyError, ValueError):
            raise ValueError("fcm: the service-account key is incomplete") from None

    def access_token(self) -> str:
        """A valid OAuth2 access token, refreshed by google-auth when it nears expiry."""
        with self._lock:
            if not self._credentials.valid:
                try:
                    self._credentials.refresh(Request(self._token_session))
                except google.auth.exceptions.GoogleAuthError as exc:
                    raise TransientDeliveryError(f"{self.name}: token refused: {exc}") from exc
            return str(self._credentials.token)

    def send(self, message: PushMessage) -> str:
        promotional = message.category is Category.PROMOTIONAL
        body = {
            "message": {
                "token": message.token,
                "notification": {"title": message.title, "body": message.body},
                "data": message.data,
                "android": {"priority": "NORMAL" if promotional else "HIGH"},
            }
        }
        headers = {"Authorization": f"Bearer {self.access_token()}"}
        try:
            response = self._clients.get().post(
                f"/v1/projects/{self.project_id}/messages:send", json=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 200:
            return str(response.json()["name"])
        raise self._error(response)

    def _error(self, response: httpx.Response) -> Exception:
        status = response.status_code
        code = _fcm_error_code(response)
        detail = f"{self.name}: {status} {code}".strip()
        if code == "UNREGISTERED":
            return UnregisteredDevice(detail)
        if status == 401:
            with self._lock:  # the access token was refused: fetch a new one next time
                self._credentials.token = None
            return TransientDeliveryError(detail)
        if code in RETRYABLE or status == 429 or status >= 500:
            retry_after = retry_after_seconds(response.headers.get("retry-after"))
            return TransientDeliveryError(detail, retry_after=retry_after)
        if code in SETUP:
            return TransientDeliveryError(detail)
        return PermanentDeliveryError(detail)

    def close(self) -> None:
        self._clients.close()
        self._token_session.close()


def _fcm_error_code(response: httpx.Response) -> str:
    """The FCM errorCode from the details, else the Google API status, else ''."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        return ""
    for detail in error.get("details") or []:
        if str(detail.get("@type", "")).endswith("FcmError") and detail.get("errorCode"):
            return str(detail["errorCode"])
    return str(error.get("status", ""))
