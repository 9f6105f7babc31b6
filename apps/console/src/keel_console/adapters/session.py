"""The console's session: the tokens live in an encrypted, HttpOnly, SameSite=Strict cookie.

No page script exists, so nothing in the browser can read a token (none is ever in
``localStorage``); the cookie is sealed with Fernet (AES + HMAC) under
``CONSOLE_SECRET_KEY``, so holding it reveals nothing either. The seal is re-issued on every
request, and Fernet refuses a seal older than the idle limit: 30 minutes without a request
end the session, without any server-side store (every replica can read every session).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass

from cryptography.fernet import Fernet, InvalidToken

COOKIE = "keel_console"
PATH = "/admin/"


@dataclass
class ConsoleSession:
    email: str
    access_token: str
    refresh_token: str
    #: The synchronizer token every form carries (CSRF defence beside SameSite=Strict).
    csrf: str

    @classmethod
    def start(cls, email: str, access_token: str, refresh_token: str) -> ConsoleSession:
        return cls(email, access_token, refresh_token, secrets.token_urlsafe(24))


class SessionSeal:
    def __init__(self, secret: str, idle_seconds: int) -> None:
        key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())
        self._fernet = Fernet(key)
        self.idle_seconds = idle_seconds

    def seal(self, session: ConsoleSession) -> str:
        return self._fernet.encrypt(json.dumps(asdict(session)).encode()).decode()

    def open(self, cookie: str | None, now: int | None = None) -> ConsoleSession | None:
        """The session, or None when absent, forged, or idle longer than the limit."""
        if not cookie:
            return None
        try:
            at = int(time.time()) if now is None else now
            data = json.loads(self._fernet.decrypt_at_time(cookie.encode(), self.idle_seconds, at))
            return ConsoleSession(**data)
        except (InvalidToken, ValueError, TypeError):
            return None
