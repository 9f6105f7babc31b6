"""The development default: one file per message under FILE_DELIVERY_DIR/<channel>/."""

from __future__ import annotations

import email
import email.policy
import json
import uuid

from keel_common.settings import load_settings
from keel_notification.adapters.channels import build_senders
from keel_notification.config import NotificationSettings
from keel_notification.domain.messages import EmailMessage, PushMessage, SmsMessage
from keel_notification.domain.model import Category, Platform


def test_without_providers_every_channel_writes_files(tmp_path):
    settings = load_settings(NotificationSettings, file_delivery_dir=tmp_path)
    senders = build_senders(settings)
    mail = EmailMessage(uuid.uuid4(), Category.TRANSACTIONAL, "a@b.example", "Hi", "t", "<p>h</p>")
    promo = SmsMessage(uuid.uuid4(), Category.PROMOTIONAL, "+15550100", "Sale!")
    push = PushMessage(uuid.uuid4(), Category.TRANSACTIONAL, Platform.IOS, "tok", "T", "B")
    receipts = [senders.send(mail), senders.send(promo), senders.send(push)]

    assert {r.provider for r in receipts} == {"file", "file-promotional"}
    eml = (tmp_path / "email" / f"{mail.id}.eml").read_bytes()
    parsed = email.message_from_bytes(eml, policy=email.policy.default)
    assert parsed["To"] == "a@b.example" and parsed["Subject"] == "Hi"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>h</p>"
    sms = (tmp_path / "sms" / f"{promo.id}.txt").read_text()
    assert sms.startswith("channel: promotional\nfrom: KeelPromo\nto: +15550100\n")
    document = json.loads((tmp_path / "push" / f"{push.id}.json").read_text())
    assert (document["channel"], document["platform"], document["token"]) == (
        "transactional",
        "ios",
        "tok",
    )
