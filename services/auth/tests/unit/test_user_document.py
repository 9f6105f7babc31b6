"""``GET /v1/auth/me``'s body is rendered without pydantic (``UserOut.document``): it must be
the very JSON ``UserOut`` itself dumps, for every shape of account."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from keel_auth.entrypoints.schemas import UserOut
from keel_auth.service_layer.views import AccountView


def view(**changes: object) -> AccountView:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "email": "ada@example.com",
        "name": "Ada",
        "phone": "+441234567890",
        "phone_verified": True,
        "pending_phone": None,
        "roles": ["customer"],
        "email_verified": True,
        "locale": "en-GB",
        "created_at": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    }
    return AccountView(**(values | changes))  # type: ignore[arg-type]


INDIA_MINUS = timezone(-timedelta(hours=5, minutes=30))
ACCOUNTS = {
    "full": view(),
    "sparse": view(name=None, phone=None, phone_verified=False, locale=None, roles=[]),
    "verified flag without a phone": view(phone=None, phone_verified=True),
    "a number waiting": view(phone_verified=False, pending_phone="+33612345678"),
    "non-ascii name": view(name="Zoë Ångström 山田", email="zoë@exämple.com"),
    "several roles": view(roles=["admin", "customer", "seller"], email_verified=False),
    "naive (SQLite)": view(created_at=datetime(2026, 1, 2, 3, 4, 5, 678901)),
    "whole second": view(created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    "another offset": view(created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=INDIA_MINUS)),
}  # fmt: skip


@pytest.mark.parametrize("account", ACCOUNTS.values(), ids=ACCOUNTS.keys())
def test_the_document_is_the_models_json(account: AccountView) -> None:
    document = UserOut.document(account)

    assert document == UserOut.of(account).model_dump(mode="json")
    assert list(document) == list(UserOut.model_fields)  # a field added to one is in both
