"""Development delivery: every message becomes one file under ``OUTBOX_DIR/<channel>/``.

Email is written as ``.eml`` (open it in any mail client); SMS and push as small text and
JSON files that state the category route they would have taken.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from keel_notification.adapters.email_mime import build_mime, message_id
from keel_notification.domain.messages import EmailMessage, PushMessage, SmsMessage
from keel_notification.service_layer.ports import Provider


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
    def __init__(self, outbox_dir: Path, sender: str, name: str = "file") -> None:
        self.name = name
        self.directory = Path(outbox_dir) / "email"
        self.sender = sender

    def send(self, message: EmailMessage) -> str:
        _write(self.directory, f"{message.id}.eml", build_mime(message, self.sender).as_bytes())
        return message_id(message, self.sender)


class FileSmsProvider(Provider[SmsMessage]):
    def __init__(self, outbox_dir: Path, sender: str, name: str = "file") -> None:
        self.name = name
        self.directory = Path(outbox_dir) / "sms"
        self.sender = sender

    def send(self, message: SmsMessage) -> str:
        head = f"channel: {message.category}\nfrom: {self.sender}\nto: {message.to}\n"
        text = f"{head}\n{message.body}\n"
        _write(self.directory, f"{message.id}.txt", text.encode())
        return str(message.id)


class FilePushProvider(Provider[PushMessage]):
    def __init__(self, outbox_dir: Path, name: str = "file") -> None:
        self.name = name
        self.directory = Path(outbox_dir) / "push"

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
