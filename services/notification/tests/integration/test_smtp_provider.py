"""The SMTP adapter against a real local SMTP server (aiosmtpd): TLS modes, AUTH, errors."""

from __future__ import annotations

import uuid

import pytest

from keel_notification.adapters.smtp import SmtpEmailProvider
from keel_notification.domain.errors import PermanentDeliveryError, TransientDeliveryError
from keel_notification.domain.messages import EmailMessage
from keel_notification.domain.model import Category
from keel_notification.testing.smtp_server import LocalSmtpServer
from keel_notification.testing.tls import TlsFiles, self_signed

SENDER = "Keel <no-reply@keel.test>"


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> TlsFiles:
    return self_signed(tmp_path_factory.mktemp("tls"))


def receipt(to: str = "buyer@example.com") -> EmailMessage:
    return EmailMessage(
        uuid.uuid4(), Category.TRANSACTIONAL, to, "Your receipt", "Total: 25 EUR", "<p>25 €</p>"
    )


def provider(server: LocalSmtpServer, tls: TlsFiles, **kw) -> SmtpEmailProvider:
    return SmtpEmailProvider(
        host="127.0.0.1", port=server.port, sender=SENDER, ssl_context=tls.client_context(), **kw
    )


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_sends_over_tls_with_auth_as_a_text_and_html_email(tls, mode):
    server = LocalSmtpServer(
        tls=tls.server_context(),
        implicit_tls=mode == "tls",
        require_starttls=mode == "starttls",
        users={"keel": "s3cret"},
    )
    with server:
        smtp = provider(server, tls, security=mode, username="keel", password="s3cret")
        message = receipt()
        message_id = smtp.send(message)
        smtp.close()
    [mail] = server.messages
    assert server.logins == ["keel"]
    assert mail["Message-ID"] == message_id == f"<{message.id}@keel.test>"
    assert (mail["From"], mail["To"], mail["Subject"]) == (SENDER, message.to, "Your receipt")
    assert mail.get_body(("plain",)).get_content().strip() == "Total: 25 EUR"
    assert mail.get_body(("html",)).get_content().strip() == "<p>25 €</p>"


def test_one_connection_carries_many_messages(tls):
    with LocalSmtpServer() as server:
        smtp = provider(server, tls, security="none")
        for _ in range(3):
            smtp.send(receipt())
        assert len(smtp._connections.opened) == 1
        smtp.close()
    assert len(server.messages) == 3


def test_a_relay_that_requires_starttls_refuses_plain_sessions(tls):
    server = LocalSmtpServer(tls=tls.server_context(), require_starttls=True, users={"k": "p"})
    with server:
        smtp = provider(server, tls, security="none")
        with pytest.raises(TransientDeliveryError):
            smtp.send(receipt())
        smtp.close()
    assert server.messages == []


def test_wrong_credentials_are_a_transient_failure_of_the_relay(tls):
    server = LocalSmtpServer(tls=tls.server_context(), require_starttls=True, users={"k": "p"})
    with server:
        smtp = provider(server, tls, security="starttls", username="k", password="wrong")
        with pytest.raises(TransientDeliveryError, match="cannot connect"):
            smtp.send(receipt())
    assert server.messages == []


def test_an_untrusted_certificate_is_refused(tls, tmp_path):
    other = self_signed(tmp_path / "other")
    with LocalSmtpServer(tls=tls.server_context(), require_starttls=True) as server:
        smtp = SmtpEmailProvider(
            host="127.0.0.1",
            port=server.port,
            sender=SENDER,
            security="starttls",
            ssl_context=other.client_context(),
        )
        with pytest.raises(TransientDeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            smtp.send(receipt())


def test_an_unknown_mailbox_is_a_permanent_failure(tls):
    with LocalSmtpServer() as server:
        server.refuse["nobody@example.com"] = "550 5.1.1 No such user"
        smtp = provider(server, tls, security="none")
        with pytest.raises(PermanentDeliveryError, match="550"):
            smtp.send(receipt("nobody@example.com"))
        smtp.send(receipt())  # the session is still usable afterwards
        smtp.close()
    assert len(server.messages) == 1


def test_a_mailbox_temporarily_unavailable_is_transient(tls):
    with LocalSmtpServer() as server:
        server.refuse["full@example.com"] = "452 4.2.2 Mailbox full"
        smtp = provider(server, tls, security="none")
        with pytest.raises(TransientDeliveryError, match="452"):
            smtp.send(receipt("full@example.com"))
        smtp.close()


def test_an_unreachable_relay_is_transient(tls):
    from keel_common.testing import free_port

    smtp = SmtpEmailProvider(host="127.0.0.1", port=free_port(), sender=SENDER, security="none")
    with pytest.raises(TransientDeliveryError, match="cannot connect"):
        smtp.send(receipt())


def test_a_connection_dropped_by_the_server_is_reopened(tls):
    with LocalSmtpServer() as server:
        smtp = provider(server, tls, security="none")
        smtp.send(receipt())
        smtp._connections.get().sock.close()  # what an idle timeout on the relay looks like to us
        smtp.send(receipt())
        smtp.close()
    assert len(server.messages) == 2
