"""Email through an SMTP relay (smtplib): plain, STARTTLS or implicit TLS, with AUTH.

One connection per thread is kept open between messages: opening a TLS session and
authenticating costs more than sending a receipt. A connection the server dropped is
reopened once before the attempt counts as failed.

Reply codes decide retries: 4xx is transient, 5xx on a recipient (no such mailbox) or on the
data (rejected content) is permanent; refused credentials and unreachable servers are
transient, so the breaker moves traffic to the next provider.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from typing import Literal, Self

from keel_notification.adapters.email_mime import build_mime, message_id
from keel_notification.adapters.failover import Provider
from keel_notification.adapters.per_thread import PerThread
from keel_notification.adapters.provider_url import ProviderUrl
from keel_notification.domain.errors import PermanentDeliveryError, TransientDeliveryError
from keel_notification.domain.messages import EmailMessage

log = logging.getLogger(__name__)

Security = Literal["none", "starttls", "tls"]
SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


class SmtpEmailProvider(Provider[EmailMessage]):
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        name: str = "smtp",
    ) -> None:
        self.name = name
        self.host, self.port, self.sender = host, port, sender
        self.security = security
        self.username, self._password = username, password
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._connections = PerThread(self._connect, _quietly_close)

    @classmethod
    def from_url(cls, url: str, *, sender: str, ssl_context: ssl.SSLContext) -> Self:
        """``smtp://``, ``smtp+starttls://`` or ``smtps://[user:password@]host[:port]``."""
        parsed = ProviderUrl.parse(url)
        if parsed.scheme not in SCHEMES or not parsed.host:
            raise ValueError("use smtp://, smtp+starttls:// or smtps:// host URLs")
        security, default_port = SCHEMES[parsed.scheme]
        return cls(
            host=parsed.host,
            port=parsed.port or default_port,
            sender=sender,
            security=security,
            username=parsed.username or None,
            password=parsed.password or None,
            ssl_context=ssl_context,
            name=f"smtp:{parsed.host}",
        )

    def send(self, message: EmailMessage) -> str:
        mime = build_mime(message, self.sender)
        for attempt in (1, 2):
            conn = self._connection()
            try:
                refused = conn.send_message(mime)
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                if attempt == 2:
                    raise TransientDeliveryError(f"{self.name}: disconnected: {exc}") from exc
                continue  # an idle connection the server closed: reopen once
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = next(iter(exc.recipients.values()))
                raise _by_code(code, f"recipient refused: {code} {_text(reply)}") from exc
            except smtplib.SMTPSenderRefused as exc:
                self._drop()  # our From is not accepted by this relay: its setup, not the message
                raise TransientDeliveryError(
                    f"{self.name}: sender refused: {exc.smtp_code}"
                ) from exc
            except smtplib.SMTPResponseException as exc:
                self._drop()
                raise _by_code(exc.smtp_code, f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
            except (smtplib.SMTPException, OSError) as exc:
                self._drop()
                raise TransientDeliveryError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
            if refused:
                code, reply = next(iter(refused.values()))
                raise _by_code(code, f"recipient refused: {code} {_text(reply)}")
            break
        return message_id(message, self.sender)

    def _connection(self) -> smtplib.SMTP:
        try:
            return self._connections.get()
        except (smtplib.SMTPException, OSError) as exc:
            # unreachable, TLS refused, credentials refused: the relay's problem, not the
            # message's, so it is transient and counts against this provider
            raise TransientDeliveryError(f"{self.name}: cannot connect: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self.ssl_context
            )
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                conn.starttls(context=self.ssl_context)
            if self.username:
                conn.login(self.username, self._password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def _drop(self) -> None:
        self._connections.drop()

    def close(self) -> None:
        self._connections.close()


def _quietly_close(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def _by_code(code: int, detail: str) -> TransientDeliveryError | PermanentDeliveryError:
    if 500 <= code < 600:
        return PermanentDeliveryError(detail)
    return TransientDeliveryError(detail)
