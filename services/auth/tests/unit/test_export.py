"""Data export in auth (issue #14), with fakes: the throttle, the assembly, single use."""

import uuid
from datetime import timedelta

import pytest

from keel_auth.adapters.fakes_export import FakeUserDataSource
from keel_auth.domain.errors import ExportGone, ExportSourceUnavailable, Throttled
from keel_auth.domain.events import UserExportReady, UserExportRequested
from keel_auth.domain.export import EXPORT_ATTEMPTS, EXPORT_FORMAT
from keel_auth.domain.oidc import Identity
from keel_auth.service_layer import export

from .conftest import PASSWORD, World

CORE = {"products": [{"name": "Lamp"}], "orders": [{"total": "12.00"}]}


def ready(world: World) -> UserExportReady:
    return world.events_of(UserExportReady)[-1]


def asked(world: World, user_id: uuid.UUID) -> UserExportRequested:
    """A request as the worker receives it (made directly: the allowance is tested apart)."""
    return UserExportRequested(user_id=user_id, export_id=uuid.uuid4())


def test_asking_publishes_ids_only_and_is_throttled_per_user() -> None:
    world = World()
    ada, bob = world.sign_up("ada@example.com"), world.sign_up("bob@example.com")
    export.request_export(world.principal(ada), world.uow, world.policy, world.clock)

    (asked,) = world.events_of(UserExportRequested)
    assert asked.user_id == ada.id and set(asked.to_data()) == {"user_id", "export_id"}
    with pytest.raises(Throttled) as refused:
        export.request_export(world.principal(ada), world.uow, world.policy, world.clock)
    assert refused.value.retry_after == 3600
    # Another user is not held back by Ada's export.
    export.request_export(world.principal(bob), world.uow, world.policy, world.clock)


def test_the_document_holds_every_service_part_and_no_secret() -> None:
    world = World()
    ada = world.sign_up("ada@example.com")
    world.log_in("ada@example.com")
    sources = FakeUserDataSource({"core": CORE})

    export.assemble_export(asked(world, ada.id), world.uow, sources, world.clock)

    token = ready(world).download_token
    document = export.download_export(token, world.uow, world.clock)
    assert document["format"] == EXPORT_FORMAT
    assert document["user"]["email"] == "ada@example.com"
    assert document["core"] == CORE
    assert {"notification", "search", "sessions", "audit", "passkeys"} <= set(document)
    assert len(document["sessions"]) >= 1 and document["audit"]
    text = str(document)
    assert ada.password_hash is not None and ada.password_hash not in text
    assert PASSWORD not in text and token not in text and "password_hash" not in text


def test_the_link_works_once_and_expires_after_a_day() -> None:
    world = World()
    ada = world.sign_up("ada@example.com")
    sources = FakeUserDataSource()
    export.assemble_export(asked(world, ada.id), world.uow, sources, world.clock)
    first = ready(world).download_token
    export.download_export(first, world.uow, world.clock)
    with pytest.raises(ExportGone):
        export.download_export(first, world.uow, world.clock)

    export.assemble_export(asked(world, ada.id), world.uow, sources, world.clock)
    second = ready(world).download_token
    world.clock.advance(timedelta(hours=24))
    with pytest.raises(ExportGone):
        export.download_export(second, world.uow, world.clock)
    with pytest.raises(ExportGone):
        export.download_export("not-a-token", world.uow, world.clock)


def test_a_service_down_fails_the_job_so_it_is_retried_and_stores_nothing() -> None:
    world = World()
    ada = world.sign_up("ada@example.com")
    sources = FakeUserDataSource()
    sources.down.add("search")

    with pytest.raises(ExportSourceUnavailable):
        export.assemble_export(asked(world, ada.id), world.uow, sources, world.clock)
    assert world.events_of(UserExportReady) == []
    (job,) = world.uow.exports.rows.values()
    assert (job.status, job.document, job.failed_attempts) == ("requested", None, 1)


def test_linked_identities_are_in_the_document_without_a_provider_token() -> None:
    world = World()
    ada = world.sign_up("ada@example.com")
    google = Identity("google", "104420918273", ada.id, "ada@gmail.example", world.clock())
    world.uow.identities.add(google)
    world.uow.identities.add(Identity("apple", "001.abc", uuid.uuid4(), None, world.clock()))

    export.assemble_export(asked(world, ada.id), world.uow, FakeUserDataSource(), world.clock)

    document = export.download_export(ready(world).download_token, world.uow, world.clock)
    assert document["identities"] == [
        {
            "id": str(google.id),
            "provider": "google",
            "subject": "104420918273",
            "email": "ada@gmail.example",
            "created_at": google.created_at.isoformat(),
        }
    ]


def test_a_failed_job_does_not_hold_the_user_back() -> None:
    world = World()
    ada = world.sign_up("ada@example.com")
    principal = world.principal(ada)
    export.request_export(principal, world.uow, world.policy, world.clock)
    (first,) = world.events_of(UserExportRequested)
    sources = FakeUserDataSource()
    sources.down.add("core")
    for _ in range(EXPORT_ATTEMPTS - 1):  # retried: still counted, the worker may succeed
        with pytest.raises(ExportSourceUnavailable):
            export.assemble_export(first, world.uow, sources, world.clock)
        with pytest.raises(Throttled):
            export.request_export(principal, world.uow, world.policy, world.clock)

    with pytest.raises(ExportSourceUnavailable):  # the last delivery: the job failed
        export.assemble_export(first, world.uow, sources, world.clock)

    export.request_export(principal, world.uow, world.policy, world.clock)
    second = world.events_of(UserExportRequested)[-1]
    export.assemble_export(second, world.uow, FakeUserDataSource(), world.clock)
    assert ready(world).user_id == ada.id
    with pytest.raises(Throttled) as refused:  # the job that did not fail counts
        export.request_export(principal, world.uow, world.policy, world.clock)
    assert 0 < refused.value.retry_after <= 3600
