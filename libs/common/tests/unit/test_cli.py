"""keel_common.cli: the shared command line and the local job scheduler."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from keel_common.cli import ServiceCli, _run_job, build_scheduler
from keel_common.service import Job, ServiceDeclaration


@dataclass
class _Demo:
    """Stands in for a bootstrapped service: the CLI only passes it to jobs and closes it."""

    calls: list[str]
    closed: list[bool] = field(default_factory=list)

    def close(self) -> None:
        self.closed.append(True)


def _declaration(service: _Demo, jobs: dict[str, Job[Any]]) -> ServiceDeclaration[Any]:
    return ServiceDeclaration(name="demo", bootstrap=lambda settings: service, jobs=jobs)


def _nightly(service: _Demo) -> None:
    service.calls.append("nightly")


def _cli(service: _Demo) -> ServiceCli:
    return ServiceCli(
        declaration=_declaration(service, {"nightly": Job(_nightly, "30 2 * * *")}),
        settings=lambda: SimpleNamespace(log_level="INFO", sentry_dsn=None),
    )


def test_job_command_runs_the_named_job_once_on_a_bootstrapped_service() -> None:
    service = _Demo([])
    assert _cli(service).main(["job", "nightly"]) == 0
    assert service.calls == ["nightly"]
    assert service.closed == [True]


def test_unknown_job_is_refused() -> None:
    with pytest.raises(SystemExit):
        _cli(_Demo([])).main(["job", "nope"])


def test_scheduler_sub_command_exists_only_with_scheduled_jobs() -> None:
    assert "scheduler" in _cli(_Demo([])).parser().format_help()
    on_demand = ServiceCli(
        declaration=_declaration(_Demo([]), {"once": Job(_nightly)}), settings=dict
    )
    assert "scheduler" not in on_demand.parser().format_help()
    assert "job" in on_demand.parser().format_help()


def test_scheduler_fires_each_job_on_its_crontab_in_utc() -> None:
    scheduler = build_scheduler({"nightly": Job(_nightly, "30 2 * * *")}, _Demo([]))  # type: ignore[arg-type]
    job = scheduler.get_job("nightly")
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert job.trigger.get_next_fire_time(None, now) == datetime(2026, 11, 22, 2, 30, tzinfo=UTC)


def test_a_failing_job_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken(service: object) -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.INFO):
        _run_job("broken", Job(broken), None)  # type: ignore[arg-type]
    # the redacting log handler may have rendered the traceback into exc_text already
    assert any(
        r.message == "job failed" and (r.exc_info or "boom" in (r.exc_text or ""))
        for r in caplog.records
    )


def test_a_failing_job_run_by_the_job_command_fails_the_command() -> None:
    def broken(service: object) -> None:
        raise RuntimeError("boom")

    cli = ServiceCli(
        declaration=_declaration(_Demo([]), {"broken": Job(broken)}),
        settings=lambda: SimpleNamespace(log_level="INFO", sentry_dsn=None),
    )
    with pytest.raises(RuntimeError):
        cli.main(["job", "broken"])


@pytest.mark.parametrize(
    "argv",
    [
        ["create-admin", "--email", "a@example.com", "--password-stdin"],
        ["create-admin", "--", "--email", "a@example.com", "--password-stdin"],
    ],
)
def test_an_extra_command_gets_its_options(argv: list[str]) -> None:
    received: list[list[str]] = []
    cli = ServiceCli(
        declaration=_declaration(_Demo([]), {}),
        settings=lambda: SimpleNamespace(log_level="INFO", sentry_dsn=None),
        extra={"create-admin": lambda settings, args: received.append(args) or 0},
    )
    assert cli.main(argv) == 0
    assert received == [["--email", "a@example.com", "--password-stdin"]]


def test_an_extra_command_receives_its_options_as_written() -> None:
    received: list[list[str]] = []
    cli = ServiceCli(
        declaration=_declaration(_Demo([]), {}),
        settings=lambda: SimpleNamespace(log_level="INFO", sentry_dsn=None),
        extra={"create-admin": lambda settings, argv: received.append(argv)},
    )
    argv = ["create-admin", "--email", "a@example.com", "--password-stdin", "extra"]
    assert cli.main(argv) == 0
    assert received == [["--email", "a@example.com", "--password-stdin", "extra"]]


def test_unknown_options_of_a_built_in_command_are_refused() -> None:
    with pytest.raises(SystemExit):
        _cli(_Demo([])).main(["job", "nightly", "--bogus"])


def test_unknown_options_of_a_built_in_command_are_still_refused() -> None:
    with pytest.raises(SystemExit):
        _cli(_Demo([])).main(["job", "nightly", "--email", "x"])
