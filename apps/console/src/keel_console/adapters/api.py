"""The console is a client of the public API like any app: Bearer calls through the gateway.

A call answered 401 is retried once after refreshing the token pair (auth rotates the
refresh token); the session then carries the new pair back into the cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from keel_console.adapters.session import ConsoleSession


class ApiError(Exception):
    """The API refused the call; ``status`` and the problem document say why."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        self.status = status
        self.problem = problem

    @property
    def field_errors(self) -> list[str]:
        return [f"{e.get('field', e.get('loc', ''))}: {e.get('message', e.get('msg', ''))}"
                for e in self.problem.get("errors", [])]  # fmt: skip


class SignedOut(Exception):
    """The tokens no longer work (revoked, expired, refreshed elsewhere): sign in again."""


@dataclass
class Api:
    base_url: str
    timeout: float
    http: requests.Session

    def login(self, email: str, password: str, client_ip: str | None) -> dict[str, Any]:
        headers = {"X-Forwarded-For": client_ip} if client_ip else {}
        body = {"email": email, "password": password}
        return self._json(self.http.post(
            f"{self.base_url}/v1/auth/login", json=body, headers=headers, timeout=self.timeout
        ))  # fmt: skip

    def mfa_challenge(
        self, mfa_token: str, answer: dict[str, str], client_ip: str | None
    ) -> dict[str, Any]:
        """The second step of a sign-in with two-factor on: ``answer`` holds ``code`` or
        ``recovery_code``; the token pair, or an ``ApiError``."""
        headers = {"X-Forwarded-For": client_ip} if client_ip else {}
        body = {"mfa_token": mfa_token, **answer}
        return self._json(self.http.post(
            f"{self.base_url}/v1/auth/mfa/challenge", json=body, headers=headers,
            timeout=self.timeout,
        ))  # fmt: skip

    def logout(self, session: ConsoleSession) -> None:
        # Ends the login session at auth: its refresh token and access tokens stop working.
        self.http.post(
            f"{self.base_url}/v1/auth/logout",
            json={"refresh_token": session.refresh_token},
            headers={"Authorization": f"Bearer {session.access_token}"},
            timeout=self.timeout,
        )

    def call(
        self, session: ConsoleSession, method: str, path: str, **kwargs: Any
    ) -> dict[str, Any]:
        response = self._send(session, method, path, **kwargs)
        if response.status_code == 401:
            self._refresh(session)
            response = self._send(session, method, path, **kwargs)
            if response.status_code == 401:
                raise SignedOut()
        return self._json(response)

    def _send(
        self, session: ConsoleSession, method: str, path: str, **kwargs: Any
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {session.access_token}"}
        return self.http.request(
            method, f"{self.base_url}{path}", headers=headers, timeout=self.timeout, **kwargs
        )

    def _refresh(self, session: ConsoleSession) -> None:
        response = self.http.post(
            f"{self.base_url}/v1/auth/refresh",
            json={"refresh_token": session.refresh_token},
            timeout=self.timeout,
        )
        if response.status_code != 200:
            raise SignedOut()
        pair = response.json()
        session.access_token, session.refresh_token = pair["access_token"], pair["refresh_token"]

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {"title": response.reason}
        if response.status_code >= 400:
            raise ApiError(response.status_code, body if isinstance(body, dict) else {})
        return body if isinstance(body, dict) else {"items": body}
