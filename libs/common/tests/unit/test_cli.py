"""keel_common.cli: the shared command line and the local job scheduler."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from keel_common.cli import ServiceCli, _run_job, build_scheduler


def _cli(calls: list[str]) -> ServiceCli:
    return ServiceCli(
        service="demo",
        settings=lambda: SimpleNamespace(log_level="INFO", sentry_dsn=None),
        jobs={"nightly": lambda settings: calls.append("nightly")},
        schedules={"nightly": "30 2 * * *"},
    )


def test_job_command_runs_the_named_job_once() -> None:
    calls: list[str] = []
    assert _cli(calls).main(["job", "nightly"]) == 0
    assert calls == ["nightly"]


def test_unknown_job_is_refused() -> None:
    with pytest.raises(SystemExit):
        _cli([]).main(["job", "nope"])


def test_scheduler_sub_command_exists_only_with_schedules() -> None:
    assert "scheduler" in _cli([]).parser().format_help()
    assert "scheduler" not in ServiceCli(service="x", settings=dict).parser().format_help()


def test_scheduler_fires_each_job_on_its_crontab_in_utc() -> None:
    scheduler = build_scheduler({"nightly": lambda s: None}, {"nightly": "30 2 * * *"}, None)
    job = scheduler.get_job("nightly")
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert job.trigger.get_next_fire_time(None, now) == datetime(2026, 11, 22, 2, 30, tzinfo=UTC)


def test_a_failing_job_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken(settings: object) -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.INFO):
        _run_job("broken", broken, None)
    # the redacting log handler may have rendered the traceback into exc_text already
    assert any(
        r.message == "job failed" and (r.exc_info or "boom" in (r.exc_text or ""))
        for r in caplog.records
    )
