"""A Twilio-style SMS API stand-in (the Programmable Messaging "create a Message" call).

Checked as Twilio documents it (twilio.com/docs/messaging/api/message-resource and the error
dictionary): HTTP basic auth with the account SID and auth token (else 401, code 20003);
form fields ``To`` (E.164, else 21211), ``From`` (one of the account's numbers, else 21606)
or ``MessagingServiceSid``, and ``Body`` (else 21602); opted-out recipients get 21610.
Success is 201 with the message resource, whose ``sid`` starts with ``SM``.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from keel_notification.testing.asgi import Receive, Request, Send, lifespan, read_request, respond

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class SmsTestServer:
    def __init__(
        self, *, account_sid: str, auth_token: str, senders: set[str], services: set[str]
    ) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.senders, self.services = senders, services
        self.delivered: list[dict[str, str]] = []
        self.opted_out: set[str] = set()
        self.script: deque[tuple[int, int, str | None]] = deque()

    def fail_next(self, status: int, code: int, retry_after: str | None = None) -> None:
        self.script.append((status, code, retry_after))

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        status, body, headers = self.handle(await read_request(scope, receive))
        await respond(send, status, body, headers)

    def _authorized(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        expected = f"{self.account_sid}:{self.auth_token}".encode()
        return scheme == "Basic" and base64.b64decode(encoded or "=") == expected

    def handle(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        match = PATH.match(request.path)
        if request.method != "POST" or match is None:
            return 404, twilio_error(404, 20404, "The requested resource was not found"), {}
        if not self._authorized(request) or match.group(1) != self.account_sid:
            return 401, twilio_error(401, 20003, "Authenticate"), {}
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        problem = _invalid(form, self.senders, self.services)
        if problem:
            return 400, twilio_error(400, *problem), {}
        if form["To"] in self.opted_out:
            return 400, twilio_error(400, 21610, "Attempt to send to unsubscribed recipient"), {}
        if self.script:
            status, code, retry_after = self.script.popleft()
            headers = {"Retry-After": retry_after} if retry_after else {}
            return status, twilio_error(status, code, "scripted failure"), headers
        self.delivered.append(form)
        sid = "SM" + secrets.token_hex(16)
        resource = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form["To"],
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form["Body"],
            "status": "accepted" if "MessagingServiceSid" in form else "queued",
        }
        return 201, resource, {}


def _invalid(form: dict[str, str], senders: set[str], services: set[str]) -> tuple[int, str] | None:
    to = form.get("To", "")
    if not E164.match(to):
        return 21211, f"The 'To' number {to} is not a valid phone number."
    if "MessagingServiceSid" in form:
        if form["MessagingServiceSid"] not in services:
            return 21705, "The Messaging Service Sid is invalid."
    elif form.get("From") not in senders:
        return 21606, "The 'From' phone number provided is not a valid message-capable number."
    if not form.get("Body"):
        return 21602, "Message body is required."
    return None
