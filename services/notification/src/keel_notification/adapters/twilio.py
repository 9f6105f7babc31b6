"""SMS through a Twilio-style REST API (requests).

One provider instance is one sender identity (a From number or a Messaging Service) bound
to one category. It refuses a message of the other category: together with the category
routing in ``ChannelSenders`` this makes sure a promotion never leaves on the transactional
identity, whatever the caller asked for.

Request (twilio.com/docs/messaging/api/message-resource#create-a-message-resource):
``POST /2010-04-01/Accounts/<sid>/Messages.json``, HTTP basic auth (account SID, auth token),
form fields ``To``, ``From`` or ``MessagingServiceSid``, ``Body``. Answers: 201 with the
message resource (``sid``); errors are JSON with a numeric ``code``.

Configured as ``twilio://SID:TOKEN@api.twilio.com?tx=+15550100&promo=MG...``: the account,
the endpoint (``twilio+http://`` for a plain-HTTP stand-in) and the sender identity of each
category (a From number or a Messaging Service SID, never the same one for both).
"""

from __future__ import annotations

from typing import Self

import requests

from keel_notification.adapters.failover import Provider
from keel_notification.adapters.provider_url import ProviderUrl
from keel_notification.adapters.retry_after import retry_after_seconds
from keel_notification.domain.errors import PermanentDeliveryError, TransientDeliveryError
from keel_notification.domain.messages import SmsMessage
from keel_notification.domain.model import Category

PRODUCTION = "https://api.twilio.com"
SCHEMES = {"twilio": True, "twilio+http": False}  # scheme -> TLS
#: The URL parameter naming each category's sender identity.
SENDER_PARAMS = {Category.TRANSACTIONAL: "tx", Category.PROMOTIONAL: "promo"}


class TwilioSmsProvider(Provider[SmsMessage]):
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        sender: str,
        category: Category,
        base_url: str = PRODUCTION,
        timeout: float = 10.0,
        name: str | None = None,
    ) -> None:
        self.name = name or f"twilio-{category}"
        self.category = category
        self.sender = sender
        self._url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._session = requests.Session()
        self._session.auth = (account_sid, auth_token)
        self.timeout = timeout

    @classmethod
    def from_url(cls, url: str, *, category: Category, name: str | None = None) -> Self:
        """The provider of ``category`` on the account and endpoint ``url`` names."""
        parsed = ProviderUrl.parse(url)
        if parsed.scheme not in SCHEMES:
            raise ValueError("use twilio://SID:TOKEN@host?tx=...&promo=...")
        if not (parsed.username and parsed.password):
            raise ValueError(f"{parsed.scheme}: needs the account SID and auth token")
        parsed.require(*SENDER_PARAMS.values())
        return cls(
            account_sid=parsed.username,
            auth_token=parsed.password,
            sender=parsed.params[SENDER_PARAMS[category]],
            category=category,
            base_url=parsed.base_url(tls=SCHEMES[parsed.scheme]),
            name=name,
        )

    def send(self, message: SmsMessage) -> str:
        if message.category is not self.category:
            raise PermanentDeliveryError(
                f"{self.name} sends {self.category} messages only, not {message.category}"
            )
        sender_field = "MessagingServiceSid" if self.sender.startswith("MG") else "From"
        form = {"To": message.to, sender_field: self.sender, "Body": message.body}
        try:
            response = self._session.post(self._url, data=form, timeout=self.timeout)
        except requests.RequestException as exc:
            raise TransientDeliveryError(f"{self.name}: {type(exc).__name__}") from exc
        if response.status_code in (200, 201):
            return str(response.json()["sid"])
        raise self._error(response)

    def _error(self, response: requests.Response) -> Exception:
        status = response.status_code
        try:
            document = response.json()
        except ValueError:
            document = {}
        detail = f"{self.name}: {status} {document.get('code', '')} {document.get('message', '')}"
        if status == 429 or status >= 500:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            return TransientDeliveryError(detail.strip(), retry_after=retry_after)
        if status in (401, 403):  # our credentials are refused: the setup's fault
            return TransientDeliveryError(detail.strip())
        return PermanentDeliveryError(detail.strip())

    def close(self) -> None:
        self._session.close()
