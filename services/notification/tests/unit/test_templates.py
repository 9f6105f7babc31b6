"""Every template in the catalog renders in every channel it declares."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keel_notification.adapters.templates import TEMPLATES_DIR
from keel_notification.domain.catalog import TEMPLATES
from keel_notification.domain.errors import TemplateRenderError
from keel_notification.domain.model import Channel

ORDER = {
    "order_id": "o-1",
    "order_url": "https://shop.example/orders/o-1",
    "currency": "JPY",
    "total": 1500,
    "items": [{"name": "Matcha", "quantity": 3, "unit_price": 500}],
}
CONTEXTS = {
    "welcome": {"name": "Ada", "verification_url": "https://x/verify?token=t"},
    "otp": {"code": "123456", "minutes": 5},
    "password_reset": {"name": "", "reset_url": "https://x/reset?token=t", "minutes": 60},
    "password_changed": {"name": "Ada", "time": datetime.now(UTC)},
    "security_alert": {"name": "Ada", "time": datetime.now(UTC)},
    "signup_attempt": {"name": "Ada", "time": datetime.now(UTC), "verified": False},
    "email_change_confirm": {
        "name": "Ada",
        "confirm_url": "https://x/confirm?token=t",
        "hours": 24,
    },
    "email_change_notice": {"name": "Ada", "time": datetime.now(UTC), "new_email": "a@x.org"},
    "order_receipt": ORDER,
    "order_cancelled": {**ORDER, "reason": ""},
    "daily_signups": {"day": "2025-03-02", "count": 7},
    "weekly_recommendations": {"products": [{"id": "p1", "name": "Matcha"}]},
    "promotion": {"headline": "Sale", "body": "Tea", "url": "https://x/sale"},
    "account_erased": {"name": "Ada", "time": datetime.now(UTC)},
    "export_ready": {"name": "Ada", "download_url": "https://x/v1/auth/me/export/t", "hours": 24},
}
PAIRS = [(spec.name, channel) for spec in TEMPLATES.values() for channel in sorted(spec.channels)]


@pytest.mark.parametrize(("template", "channel"), PAIRS)
@pytest.mark.parametrize("locale", ["en", "fr-CA", "xx"])
def test_every_template_renders_without_empty_parts(renderer, template, channel, locale):
    content = renderer.render(channel, template, locale, CONTEXTS[template])
    assert all(value for value in content.values())


@pytest.mark.parametrize(("template", "channel"), PAIRS)
def test_every_template_fails_loudly_without_its_variables(renderer, template, channel):
    with pytest.raises(TemplateRenderError, match="is undefined"):
        renderer.render(channel, template, "en", {})


def test_no_template_file_is_left_without_a_catalog_entry():
    names = {
        path.name.split(".")[0]
        for path in TEMPLATES_DIR.rglob("*.*")
        if not path.name.startswith("_")
    }
    assert names == set(TEMPLATES)


def test_html_is_autoescaped_and_the_text_part_is_not(renderer):
    context = {"headline": "<b>Sale</b>", "body": "Tea & cakes", "url": "https://x/?a=1&b=2"}
    content = renderer.render(Channel.EMAIL, "promotion", "en", context)
    assert "<h1>&lt;b&gt;Sale&lt;/b&gt;</h1>" in content["html"]
    assert "Tea &amp; cakes" in content["html"]
    assert "Tea & cakes" in content["text"]


def test_money_is_formatted_from_minor_units_per_currency_and_locale(renderer):
    yen = renderer.render(Channel.PUSH, "order_receipt", "en", ORDER)["body"]
    euros = renderer.render(
        Channel.PUSH, "order_receipt", "fr", {**ORDER, "currency": "EUR", "total": 123456}
    )["body"]
    assert "¥1,500" in yen
    assert "1\u202f234,56\xa0€" in euros


def test_push_carries_a_deep_link_for_the_app(renderer):
    data = renderer.render(Channel.PUSH, "order_receipt", "en", ORDER)["data"]
    assert data == {"template": "order_receipt", "order_id": "o-1", "order_url": ORDER["order_url"]}
