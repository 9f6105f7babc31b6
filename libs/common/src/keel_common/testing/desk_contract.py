"""What every service's dead-letter desk answers over HTTP (``keel_common.http.dead_letters``):
401 without a token, 403 for a ``user``, the messages with their data redacted, replay and
discard with a reason, each written to the service's audit trail. Each consuming service runs
it against its own app and embedded broker."""

from __future__ import annotations

import uuid

import requests

from keel_common.auth import FakeTokenVerifier
from keel_common.logging import REDACTED
from keel_common.messaging import Envelope, QueueSpec
from keel_common.testing.dead_letters import dead_letter_envelopes, queue_depth

PROBLEM = "application/problem+json"


def check_dead_letter_desk(
    base: str, verifier: FakeTokenVerifier, broker_url: str, spec: QueueSpec
) -> None:
    """``base`` is ``<server>/v1/admin/<svc>``."""
    desk = f"{base}/dead-letters/{spec.name}"
    staff_id = uuid.uuid4()
    staff = {"Authorization": f"Bearer {verifier.issue(staff_id, roles=['staff'])}"}
    user = {"Authorization": f"Bearer {verifier.issue(uuid.uuid4())}"}
    calls = [
        ("get", desk, None),
        ("post", f"{desk}/replay", {"reason": "x"}),
        ("post", f"{desk}/discard", {"reason": "x"}),
        ("get", f"{base}/audit", None),
    ]
    for method, url, body in calls:
        anonymous = requests.request(method, url, json=body, timeout=10)
        assert anonymous.status_code == 401, url
        refused = requests.request(method, url, json=body, headers=user, timeout=10)
        assert refused.status_code == 403 and refused.headers["Content-Type"] == PROBLEM, url

    events = [
        Envelope.new(spec.routing_keys[0], "keel-test", {"n": n, "password": "hunter2"})
        for n in range(3)
    ]
    dead_letter_envelopes(broker_url, spec, events)
    listed = requests.get(desk, headers=staff, timeout=10).json()
    assert listed["dead_letters"] == 3
    assert {i["message_id"] for i in listed["items"]} == {e.id for e in events}
    first = next(i for i in listed["items"] if i["message_id"] == events[0].id)
    assert first["error"] == "RuntimeError: the index is down"
    assert first["data"]["password"] == REDACTED and first["data"]["n"] == 0
    assert "hunter2" not in str(listed)

    no_reason = requests.post(f"{desk}/replay", json={"reason": " "}, headers=staff, timeout=10)
    assert no_reason.status_code == 422
    missing = {"message_id": "nope", "reason": "support ticket 7"}
    assert (
        requests.post(f"{desk}/replay", json=missing, headers=staff, timeout=10).status_code == 404
    )
    one = {"message_id": events[0].id, "reason": "support ticket 7"}
    replayed = requests.post(f"{desk}/replay", json=one, headers=staff, timeout=10)
    assert replayed.json() == {"queue": spec.name, "count": 1}
    assert queue_depth(broker_url, spec.name) == 1
    rest = {"reason": "poison, ticket 8"}
    discarded = requests.post(f"{desk}/discard", json=rest, headers=staff, timeout=10)
    assert discarded.json() == {"queue": spec.name, "count": 2}
    assert queue_depth(broker_url, spec.dead_queue) == 0

    trail = requests.get(f"{base}/audit", params={"limit": 1}, headers=staff, timeout=10).json()
    newest = trail["items"][0]
    assert (newest["action"], newest["actor_id"], newest["target_id"], newest["reason"]) == (
        "dead_letter.discarded",
        str(staff_id),
        spec.dead_queue,
        "poison, ticket 8",
    )
    assert newest["details"] == {"queue": spec.name, "count": 2}
    older = requests.get(
        f"{base}/audit", params={"cursor": trail["next_cursor"]}, headers=staff, timeout=10
    ).json()["items"]
    assert [(r["action"], r["target_id"]) for r in older] == [
        ("dead_letter.replayed", f"{spec.dead_queue}/{events[0].id}")
    ]
    mine = requests.get(
        f"{base}/audit", params={"actor_id": str(uuid.uuid4())}, headers=staff, timeout=10
    ).json()
    assert mine["items"] == []
