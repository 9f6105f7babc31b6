from __future__ import annotations

import pytest
import sqlalchemy as sa

from keel_common.health import broker_check, database_check


class FakeBroker:
    def __init__(self, reachable: bool) -> None:
        self.reachable = reachable
        self.checks = 0

    def check(self) -> None:
        self.checks += 1
        if not self.reachable:
            raise ConnectionError("broker unreachable")


def test_broker_check_asks_the_broker() -> None:
    broker = FakeBroker(reachable=True)
    check = broker_check(broker)
    check()
    check()
    assert broker.checks == 2


def test_broker_check_fails_when_the_broker_does() -> None:
    with pytest.raises(ConnectionError):
        broker_check(FakeBroker(reachable=False))()


def test_database_check_runs_a_query() -> None:
    engine = sa.create_engine("sqlite://")
    database_check(engine)()
    engine.dispose()


def test_database_check_fails_when_the_database_cannot_be_opened(tmp_path: object) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/missing-dir/db.sqlite")
    with pytest.raises(sa.exc.OperationalError):
        database_check(engine)()
    engine.dispose()
