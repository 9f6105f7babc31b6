from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from keel_common.testing.plugin import (
    REDIS_URL,
    port_open,
)

from .client import User, sign_up_and_log_in
from .platform import Platform, running_platform
from .servers import redis_database

HERE = Path(__file__).resolve().parent
# Starting the platform is part of the first test's setup; on a busy 2-core machine it takes
# a few minutes, more than the suite's default per-test timeout.
STARTUP_TIMEOUT = 600


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here ``e2e``, so a run can select or leave out the whole platform.

    The platform is session-scoped, so each pytest process (each xdist worker) that runs an
    e2e test starts its own. ``make test`` should run them in one pass of their own
    (``-m "e2e and not serial"``): ``--dist loadgroup`` cannot keep them on one worker on
    pytest 9.2 (pytest-xdist#1386). Two platforms still work, isolated from each other, at
    twice the start-up cost.
    """
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.timeout(STARTUP_TIMEOUT))


def _worker_id(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "master"


@pytest.fixture(scope="session")
def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """The four services, their workers and the nginx gateway, on PostgreSQL and RabbitMQ
    (and Redis when it answers), shared by the session's tests."""
    redis_url = None
    if port_open(REDIS_URL, 6379):
        redis_url = redis_database(REDIS_URL, _worker_id(request.config))
    with running_platform(tmp_path_factory, redis_url) as running:
        yield running


@pytest.fixture
def new_user(platform: Platform) -> Callable[[str], User]:
    """Sign up and log in a fresh account through the gateway: ``new_user("Ada")``."""
    return lambda name: sign_up_and_log_in(platform.base_url, name, platform.outbox_dir)
