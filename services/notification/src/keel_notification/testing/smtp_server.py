"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

Options mirror what relays do: STARTTLS required or offered, implicit TLS (SMTPS), AUTH
(PLAIN/LOGIN) with a user table, and recipients refused with a given reply.
"""

from __future__ import annotations

import email
import email.policy
import ssl
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session

from keel_common.testing import free_port


class _Session(Session):
    # aiosmtpd 1.4 assigns its own deprecated ``Session.login_data`` after every successful
    # AUTH, which warnings-as-errors turns into a failed login; a plain attribute shadows it.
    login_data: Any = None


class _Smtp(SMTP):
    def _create_session(self) -> Session:
        return _Session(self.loop)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _Smtp(self.handler, **self.SMTP_kwargs)


class _Handler:
    def __init__(self, server: LocalSmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.server.refuse:
            return self.server.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(message)
            self.server.received.set()
        return "250 2.0.0 Ok: queued"


class LocalSmtpServer:
    """``with LocalSmtpServer(...) as smtp: ... smtp.port ... smtp.messages``."""

    def __init__(
        self,
        *,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        require_starttls: bool = False,
        users: dict[str, str] | None = None,
    ) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}
        self.lock = threading.Lock()
        self.received = threading.Event()
        self.users = users
        self.logins: list[str] = []
        # aiosmtpd checks its server is up by connecting to the port, so it cannot take 0
        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": free_port()}
        if implicit_tls:
            kwargs["ssl_context"] = tls
        elif tls is not None:
            kwargs["tls_context"] = tls
            kwargs["require_starttls"] = require_starttls
        if users is not None:
            kwargs["authenticator"] = self._authenticate
            # Over implicit TLS aiosmtpd does not know the session is encrypted, and warns when
            # AUTH is required without TLS; there AUTH is offered, and ``logins`` tells.
            kwargs["auth_require_tls"] = tls is not None and not implicit_tls
            kwargs["auth_required"] = not implicit_tls
        self._controller = _Controller(_Handler(self), **kwargs)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            if self.users and self.users.get(user) == password:
                self.logins.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> LocalSmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> LocalSmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
