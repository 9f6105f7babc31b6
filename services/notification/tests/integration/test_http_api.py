"""The public HTTP API through a real socket, wired to the real database adapters."""

from __future__ import annotations

import uuid

import pytest
import requests

from keel_common.auth import FakeTokenVerifier
from keel_common.settings import load_settings
from keel_common.testing import live_server
from keel_common.testing.dead_letters import dead_letter
from keel_notification.adapters.fakes import FakeRenderer
from keel_notification.bootstrap import DECLARATION, bootstrap
from keel_notification.config import NotificationSettings
from keel_notification.domain.commands import SendNotification
from keel_notification.domain.model import Category, Channel, Contact, Notification
from keel_notification.entrypoints.flask_app import create_app
from keel_notification.service_layer.intake import send_direct

PROBLEM = "application/problem+json"


@pytest.fixture
def verifier() -> FakeTokenVerifier:
    return FakeTokenVerifier()


@pytest.fixture
def service(engine, database_url, tmp_path, verifier):
    settings = load_settings(
        NotificationSettings,
        database_url=database_url,
        file_delivery_dir=tmp_path / "outbox",
        broker_url=f"sqla+sqlite:///{tmp_path / 'broker.db'}",
    )
    notifications = bootstrap(settings, engine=engine, verifier=verifier)
    with live_server(create_app(notifications)) as url:
        yield url, notifications


@pytest.fixture
def url(service) -> str:
    return service[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def alice(verifier):
    user_id = uuid.uuid4()
    return user_id, bearer(verifier.issue(user_id))


def test_every_route_needs_a_bearer_token(url):
    for method, path in [
        ("post", "/v1/devices"),
        ("delete", f"/v1/devices/{uuid.uuid4()}"),
        ("get", "/v1/notifications"),
        ("get", "/v1/notifications/preferences"),
        ("put", "/v1/notifications/preferences"),
        ("get", "/v1/admin/notifications"),
        ("get", f"/v1/admin/notifications/{uuid.uuid4()}"),
        ("get", "/v1/admin/notifications/stats"),
        ("post", f"/v1/admin/notifications/{uuid.uuid4()}/resend"),
        ("get", "/v1/admin/notification/dead-letters"),
    ]:
        response = requests.request(method, url + path, json={}, timeout=5)
        assert response.status_code == 401, path
        assert response.headers["Content-Type"] == PROBLEM
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


FCM_TOKEN = "dGVzdC1pbnN0YWxs:APA91b" + "Fq3x-_Zr" * 18


def test_registering_a_device_twice_is_idempotent_and_it_can_be_removed(url, alice):
    _, auth = alice
    body = {"platform": "android", "token": FCM_TOKEN}
    first = requests.post(f"{url}/v1/devices", json=body, headers=auth, timeout=5)
    again = requests.post(f"{url}/v1/devices", json=body, headers=auth, timeout=5)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    device = first.json()["id"]
    removed = requests.delete(f"{url}/v1/devices/{device}", headers=auth, timeout=5)
    assert removed.status_code == 204
    gone = requests.delete(f"{url}/v1/devices/{device}", headers=auth, timeout=5)
    assert gone.status_code == 404 and gone.headers["Content-Type"] == PROBLEM


def test_another_users_device_cannot_be_removed(url, alice, verifier):
    device = requests.post(
        f"{url}/v1/devices",
        json={"platform": "ios", "token": "ab" * 32},
        headers=alice[1],
        timeout=5,
    ).json()["id"]
    mallory = bearer(verifier.issue(uuid.uuid4()))
    assert (
        requests.delete(f"{url}/v1/devices/{device}", headers=mallory, timeout=5).status_code == 404
    )
    tokens_in_path = requests.delete(f"{url}/v1/devices/{'ab' * 32}", headers=alice[1], timeout=5)
    assert tokens_in_path.status_code == 404  # devices are addressed by id only


@pytest.mark.parametrize(
    "body",
    [
        {"platform": "windows", "token": "t"},
        {"platform": "ios", "token": ""},
        {"platform": "ios", "token": "ab" * 31 + "/x"},  # not hex: would reach the APNs URL
        {"platform": "android", "token": "fcm:token-1"},  # too short for FCM
        {"platform": "ios", "token": "t", "extra": 1},
        {"platform": "ios"},
    ],
)
def test_bad_device_registrations_are_422_problems(url, alice, body):
    response = requests.post(f"{url}/v1/devices", json=body, headers=alice[1], timeout=5)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["errors"]


def test_preferences_round_trip(url, alice):
    _, auth = alice
    defaults = requests.get(f"{url}/v1/notifications/preferences", headers=auth, timeout=5)
    assert defaults.json() == {
        "email_promotional": True,
        "sms_promotional": True,
        "push_promotional": True,
        "quiet_hours": None,
    }
    wanted = {
        "email_promotional": False,
        "sms_promotional": True,
        "push_promotional": False,
        "quiet_hours": {"start": "22:00", "end": "07:30", "timezone": "Europe/Paris"},
    }
    put = requests.put(f"{url}/v1/notifications/preferences", json=wanted, headers=auth, timeout=5)
    assert put.status_code == 200 and put.json() == wanted
    assert (
        requests.get(f"{url}/v1/notifications/preferences", headers=auth, timeout=5).json()
        == wanted
    )


@pytest.mark.parametrize(
    "quiet",
    [
        {"start": "22:00", "end": "07:00", "timezone": "Mars/Olympus"},
        {"start": "07:00", "end": "07:00", "timezone": "UTC"},
        {"start": "25:00", "end": "07:00", "timezone": "UTC"},
    ],
)
def test_impossible_quiet_hours_are_422_problems(url, alice, quiet):
    body = {
        "email_promotional": True,
        "sms_promotional": True,
        "push_promotional": True,
        "quiet_hours": quiet,
    }
    response = requests.put(
        f"{url}/v1/notifications/preferences", json=body, headers=alice[1], timeout=5
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"] == PROBLEM


def test_users_read_their_own_log_and_admins_anyones(service, alice, verifier):
    url, notifications = service
    user_id, auth = alice
    stranger = uuid.uuid4()
    for owner in (user_id, user_id, stranger):
        command = SendNotification(
            channel=Channel.SMS, template="otp", variables={}, user_id=owner, to="+15550100"
        )
        send_direct(
            notifications.uow(), command, renderer=FakeRenderer(), now=notifications.clock()
        )
    mine = requests.get(f"{url}/v1/notifications?limit=1", headers=auth, timeout=5).json()
    assert mine["items"][0]["user_id"] == str(user_id) and mine["next_cursor"]
    rest = requests.get(
        f"{url}/v1/notifications", params={"cursor": mine["next_cursor"]}, headers=auth, timeout=5
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert rest["items"][0]["template"] == "otp" and rest["items"][0]["status"] == "queued"

    admin = bearer(verifier.issue(uuid.uuid4(), roles=["admin"]))
    forbidden = requests.get(
        f"{url}/v1/admin/notifications", params={"user_id": str(stranger)}, headers=auth, timeout=5
    )
    assert forbidden.status_code == 403 and forbidden.headers["Content-Type"] == PROBLEM
    support = requests.get(
        f"{url}/v1/admin/notifications", params={"user_id": str(stranger)}, headers=admin, timeout=5
    )
    assert [i["user_id"] for i in support.json()["items"]] == [str(stranger)]
    event_id = support.json()["items"][0]["event_id"]
    by_event = requests.get(
        f"{url}/v1/admin/notifications", params={"event_id": event_id}, headers=admin, timeout=5
    )
    assert len(by_event.json()["items"]) == 1
    message = support.json()["items"][0]
    by_recipient = requests.get(
        f"{url}/v1/admin/notifications", params={"recipient": "+15550100"}, headers=admin, timeout=5
    )
    assert len(by_recipient.json()["items"]) == 3
    nobody = requests.get(
        f"{url}/v1/admin/notifications", params={"recipient": "+15550199"}, headers=admin, timeout=5
    )
    assert nobody.json()["items"] == []
    by_id = requests.get(
        f"{url}/v1/admin/notifications", params={"id": message["id"]}, headers=admin, timeout=5
    )
    assert [i["id"] for i in by_id.json()["items"]] == [message["id"]]
    log = requests.get(f"{url}/v1/admin/notifications/{message['id']}", headers=admin, timeout=5)
    assert log.status_code == 200 and log.json()["attempts"] == message["attempts"]
    assert "content" not in log.json() and "recipient" not in log.json()
    refused = requests.get(f"{url}/v1/admin/notifications/{message['id']}", headers=auth, timeout=5)
    assert refused.status_code == 403 and refused.headers["Content-Type"] == PROBLEM
    stats = requests.get(f"{url}/v1/admin/notifications/stats", headers=admin, timeout=5)
    assert stats.status_code == 200 and stats.json() == {"failed_last_hour": 0}
    no_stats = requests.get(f"{url}/v1/admin/notifications/stats", headers=auth, timeout=5)
    assert no_stats.status_code == 403
    missing = requests.get(f"{url}/v1/admin/notifications/{uuid.uuid4()}", headers=admin, timeout=5)
    assert missing.status_code == 404


def _failed_receipt(notifications) -> Notification:
    user_id = uuid.uuid4()
    message = Notification(
        user_id=user_id, event_id=uuid.uuid4(), channel=Channel.EMAIL,
        category=Category.TRANSACTIONAL, template="order_receipt", locale="en",
        recipient="old@example.com", content={"subject": "s", "text": "t", "html": "h"},
        next_attempt_at=notifications.clock(),
    )  # fmt: skip
    message.fail("550 mailbox unavailable")
    with notifications.uow() as uow:
        uow.contacts.add(Contact(user_id=user_id, email="new@example.com"))
        uow.notifications.add(message)
        uow.commit()
    return message


def test_staff_resend_a_failed_receipt_once_and_the_resend_is_audited(service, alice, verifier):
    url, notifications = service
    message = _failed_receipt(notifications)
    path = f"{url}/v1/admin/notifications/{message.id}/resend"
    staff_id = uuid.uuid4()
    staff = bearer(verifier.issue(staff_id, roles=["staff"]))
    body = {"reason": "the buyer fixed their mailbox"}

    refused = requests.post(path, json=body, headers=alice[1], timeout=5)
    assert refused.status_code == 403 and refused.headers["Content-Type"] == PROBLEM
    resent = requests.post(path, json=body, headers=staff, timeout=5)
    assert resent.status_code == 202
    [copy] = resent.json()["items"]
    assert copy["status"] == "queued" and copy["event_id"] == str(message.event_id)
    with notifications.uow() as uow:
        queued = uow.notifications.get(uuid.UUID(copy["id"]))
        assert queued is not None and queued.recipient == "new@example.com"
        assert queued.content == {"subject": "s", "text": "t", "html": "h"}
    [record] = notifications.audit.page(  # type: ignore[union-attr]
        actor_id=None, target_id=str(message.id), limit=5, cursor=None
    ).items
    assert (record.action, record.actor_id, record.reason) == (
        "message.resent", str(staff_id), "the buyer fixed their mailbox",
    )  # fmt: skip
    again = requests.post(path, json=body, headers=staff, timeout=5)
    assert again.status_code == 409 and again.headers["Content-Type"] == PROBLEM
    missing = f"{url}/v1/admin/notifications/{uuid.uuid4()}/resend"
    assert requests.post(missing, json=body, headers=staff, timeout=5).status_code == 404
    blank = requests.post(path, json={"reason": "  "}, headers=staff, timeout=5)
    assert blank.status_code == 422
    # the dashboard's tile: staff read the delivery log's failed count too
    stats = requests.get(f"{url}/v1/admin/notifications/stats", headers=staff, timeout=5)
    assert stats.status_code == 200 and stats.json()["failed_last_hour"] == 1


def test_a_forged_cursor_is_a_400_problem(url, alice):
    response = requests.get(
        f"{url}/v1/notifications", params={"cursor": "bogus"}, headers=alice[1], timeout=5
    )
    assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM


def test_the_openapi_document_lists_the_public_routes(url):
    document = requests.get(f"{url}/v1/notification/openapi.json", timeout=5).json()
    assert {
        "/v1/devices",
        "/v1/devices/{id}",
        "/v1/notifications",
        "/v1/notifications/preferences",
        "/v1/admin/notifications",
    } <= set(document["paths"])


def test_admins_see_how_many_messages_each_queue_dead_lettered(service, alice, verifier):
    url, notifications = service
    path = f"{url}/v1/admin/notification/dead-letters"
    forbidden = requests.get(path, headers=alice[1], timeout=5)
    assert forbidden.status_code == 403 and forbidden.headers["Content-Type"] == PROBLEM
    admin = bearer(verifier.issue(uuid.uuid4(), roles=["admin"]))
    before = requests.get(path, headers=admin, timeout=5).json()["queues"]
    assert {q["queue"]: q["dead_letters"] for q in before} == {
        spec.name: 0 for spec in DECLARATION.queues
    }

    spec = DECLARATION.queues[0]
    dead_letter(notifications.settings.broker_url, spec, count=2)

    after = requests.get(path, headers=admin, timeout=5).json()["queues"]
    assert after[0] == {"queue": spec.name, "dead_queue": spec.dead_queue, "dead_letters": 2}
    assert [q["dead_letters"] for q in after[1:]] == [0] * (len(DECLARATION.queues) - 1)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/admin/notifications?user_id=" + str(uuid.UUID(int=1)),
        "/v1/admin/notification/dead-letters",
    ],
)
def test_with_require_mfa_for_roles_admins_need_a_second_factor(service, verifier, path):
    url, notifications = service
    notifications.settings = notifications.settings.model_copy(
        update={"require_mfa_for_roles": frozenset({"admin"})}
    )
    one = bearer(verifier.issue(uuid.uuid4(), roles=["admin"], amr=["pwd"]))
    two = bearer(verifier.issue(uuid.uuid4(), roles=["admin"], amr=["mfa", "otp", "pwd"]))

    refused = requests.get(f"{url}{path}", headers=one, timeout=5)
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/mfa-required"
    assert requests.get(f"{url}{path}", headers=two, timeout=5).status_code == 200
