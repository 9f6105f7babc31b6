"""In-memory linked identities for unit tests (see ``fakes.FakeUnitOfWork``)."""

from __future__ import annotations

import uuid

from keel_auth.domain.oidc import Identity
from keel_auth.service_layer.oidc_ports import IdentityRepository


class FakeIdentityRepository(IdentityRepository):
    def __init__(self) -> None:
        self.rows: list[Identity] = []

    def add(self, identity: Identity) -> None:
        self.rows.append(identity)

    def get(self, identity_id: uuid.UUID) -> Identity | None:
        return next((i for i in self.rows if i.id == identity_id), None)

    def get_by_subject(self, provider: str, subject: str) -> Identity | None:
        return next((i for i in self.rows if (i.provider, i.subject) == (provider, subject)), None)

    def for_user(self, user_id: uuid.UUID) -> list[Identity]:
        return sorted((i for i in self.rows if i.user_id == user_id), key=lambda i: i.created_at)

    def remove(self, identity: Identity) -> None:
        self.rows.remove(identity)
