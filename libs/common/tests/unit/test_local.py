"""keel-local: each service's own settings from <SVC>__<VAR>, its jobs on their schedules,
its log lines under its own name."""

from __future__ import annotations

import io
import json
import logging
import os

from keel_common.cli import build_scheduler
from keel_common.local import as_service, environment, scheduled_jobs, service_environment
from keel_common.logging import configure_logging
from keel_common.service import Job, ServiceDeclaration


def test_a_service_sees_its_own_prefixed_variables_over_the_shared_ones() -> None:
    shared = {"DATABASE_URL": "sqlite:///shared.db", "LOG_LEVEL": "INFO"}
    environ = {**shared, "CORE__DATABASE_URL": "sqlite:///var/core.db", "AUTH__METRICS_PORT": "1"}
    core = service_environment("core", environ)
    assert core["DATABASE_URL"] == "sqlite:///var/core.db"
    assert core["LOG_LEVEL"] == "INFO" and "METRICS_PORT" not in core
    assert service_environment("auth", environ)["METRICS_PORT"] == "1"


def test_the_environment_is_restored_after_a_bootstrap() -> None:
    before = dict(os.environ)
    with environment({"ONLY": "this"}):
        assert dict(os.environ) == {"ONLY": "this"}
    assert dict(os.environ) == before


def test_every_scheduled_job_is_scheduled_and_logs_as_its_service() -> None:
    stream = io.StringIO()
    handler = configure_logging("local", "INFO", stream=stream)
    try:
        ran: list[str] = []

        def sweep(service: object) -> None:
            ran.append("sweep")
            logging.getLogger("keel.test").info("swept")

        declaration: ServiceDeclaration[object] = ServiceDeclaration(
            name="core",
            bootstrap=lambda: None,
            jobs={
                "sweep": Job(run=sweep, schedule="17 * * * *"),
                "by-hand": Job(run=sweep),
            },
        )
        jobs = scheduled_jobs(declaration)
        assert sorted(jobs) == ["sweep"]
        scheduler = build_scheduler(jobs, object())
        assert [job.id for job in scheduler.get_jobs()] == ["sweep"]
        jobs["sweep"].run(object())
    finally:
        logging.getLogger().removeHandler(handler)
    assert ran == ["sweep"]
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert (line["service"], line["message"]) == ("core", "swept")


def test_outside_a_service_thread_lines_carry_the_process_name() -> None:
    stream = io.StringIO()
    handler = configure_logging("local", "INFO", stream=stream)
    try:
        as_service("auth", logging.getLogger("keel.test").info)("inside")
        logging.getLogger("keel.test").info("outside")
    finally:
        logging.getLogger().removeHandler(handler)
    services = [json.loads(line)["service"] for line in stream.getvalue().splitlines()]
    assert services == ["auth", "local"]
