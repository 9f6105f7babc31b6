"""Development delivery: every message becomes one file in its channel's folder.

Without providers a channel writes under ``FILE_DELIVERY_DIR/<channel>/`` (``var/outbox/``
for ``make run``); a provider list may also name a folder: ``file://var/outbox/sms``
(SMS takes ``?tx=...&promo=...`` sender names). Email is written as ``.eml`` (open it in any
mail client); SMS and push as small text and JSON files that state the category route they
would have taken.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from keel_notification.adapters.email_mime import build_mime, message_id
from keel_notification.adapters.failover import Provider
from keel_notification.adapters.provider_url import ProviderUrl, file_directory
from keel_notification.domain.messages import EmailMessage, PushMessage, SmsMessage
from keel_notification.domain.model import Category

#: Sender names a file route states when the URL gives none.
DEFAULT_SMS_SENDERS = {Category.TRANSACTIONAL: "KeelTx", Category.PROMOTIONAL: "KeelPromo"}
SMS_SENDER_PARAMS = {Category.TRANSACTIONAL: "tx", Category.PROMOTIONAL: "promo"}


def file_url(url: str) -> ProviderUrl:
    parsed = ProviderUrl.parse(url)
    if parsed.scheme != "file":
        raise ValueError("use file://FOLDER")
    file_directory(parsed)
    return parsed


def _write(directory: Path, filename: str, data: bytes) -> Path:
    """Write atomically, so a reader watching the folder never sees half a message."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path = directory / filename
    os.replace(tmp, path)
    return path


class FileEmailProvider(Provider[EmailMessage]):
    def __init__(self, directory: Path, sender: str, name: str = "file") -> None:
        self.name = name
        self.directory = Path(directory)
        self.sender = sender

    def send(self, message: EmailMessage) -> str:
        _write(self.directory, f"{message.id}.eml", build_mime(message, self.sender).as_bytes())
        return message_id(message, self.sender)


class FileSmsProvider(Provider[SmsMessage]):
    def __init__(self, directory: Path, sender: str, name: str = "file") -> None:
        self.name = name
        self.directory = Path(directory)
        self.sender = sender

    @classmethod
    def for_category(
        cls, directory: Path, category: Category, url: ProviderUrl | None, *, name: str
    ) -> FileSmsProvider:
        """The file route of ``category``, stating the sender name the URL gives it."""
        params = url.params if url else {}
        sender = params.get(SMS_SENDER_PARAMS[category]) or DEFAULT_SMS_SENDERS[category]
        return cls(directory, sender, name=name)

    def send(self, message: SmsMessage) -> str:
        head = f"channel: {message.category}\nfrom: {self.sender}\nto: {message.to}\n"
        text = f"{head}\n{message.body}\n"
        _write(self.directory, f"{message.id}.txt", text.encode())
        return str(message.id)


class FilePushProvider(Provider[PushMessage]):
    def __init__(self, directory: Path, name: str = "file") -> None:
        self.name = name
        self.directory = Path(directory)

    def send(self, message: PushMessage) -> str:
        document = {
            "channel": str(message.category),
            "platform": str(message.platform),
            "token": message.token,
            "title": message.title,
            "body": message.body,
            "data": message.data,
        }
        _write(self.directory, f"{message.id}.json", json.dumps(document, indent=2).encode())
        return str(message.id)
