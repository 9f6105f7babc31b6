"""The MIME form of an email: a text part and an HTML alternative, shared by SMTP and files."""

from __future__ import annotations

from email.message import EmailMessage as MimeMessage
from email.utils import formatdate

from keel_notification.domain.messages import EmailMessage
from keel_notification.domain.model import Category


def message_id(message: EmailMessage, sender: str) -> str:
    """A Message-ID derived from the notification id, so a bounce can be traced back to it."""
    domain = sender.rpartition("@")[2].strip("> ") or "keel.invalid"
    return f"<{message.id}@{domain}>"


def build_mime(message: EmailMessage, sender: str) -> MimeMessage:
    mime = MimeMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False, usegmt=True)
    mime["Message-ID"] = message_id(message, sender)
    mime["X-Keel-Category"] = str(message.category)
    if message.category is Category.PROMOTIONAL:
        # RFC 3834-ish hint that bulk filters and mail clients use to sort promotions
        mime["Precedence"] = "bulk"
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    return mime
