"""Search's dead-letter desk over HTTP: list, replay, discard, audit, 401/403."""

from __future__ import annotations

from keel_common.auth import FakeTokenVerifier
from keel_common.testing import live_server
from keel_common.testing.desk_contract import check_dead_letter_desk
from keel_search.bootstrap import DECLARATION, Search
from keel_search.entrypoints.flask_app import create_app


def test_staff_list_replay_and_discard_dead_letters_and_each_action_is_audited(
    wired: Search,
) -> None:
    assert isinstance(wired.verifier, FakeTokenVerifier)
    with live_server(create_app(wired)) as url:
        check_dead_letter_desk(
            f"{url}/v1/admin/search",
            wired.verifier,
            wired.settings.broker_url,
            DECLARATION.queues[0],
        )
