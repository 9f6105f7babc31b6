"""scripts/run_local.py turns the Procfile into supervisord programs that restart on exit."""

from __future__ import annotations

import configparser
import importlib.util
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("run_local", ROOT / "scripts" / "run_local.py")
assert spec is not None and spec.loader is not None
run_local = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_local)


def test_every_procfile_process_is_a_program_that_restarts_and_stops_as_a_group(
    tmp_path: Path,
) -> None:
    processes = run_local.read_procfile(ROOT / "Procfile")
    assert "workers" in processes and "gateway" in processes
    parser = configparser.RawConfigParser()
    parser.read_string(run_local.render(processes, tmp_path / "var", ROOT))
    programs = [s.removeprefix("program:") for s in parser.sections() if s.startswith("program:")]
    assert programs == list(processes)
    for name, command in processes.items():
        section = parser[f"program:{name}"]
        assert section["autorestart"] == "true"
        assert section["stopasgroup"] == section["killasgroup"] == "true"
        # The shell execs the Procfile's command, so signals reach the process itself.
        assert shlex.split(section["command"]) == ["/bin/sh", "-c", f"exec env {command}"]
    assert parser["supervisord"]["nodaemon"] == "true"


def test_make_run_schedules_every_services_jobs() -> None:
    """#18: core's sweep-abandoned-uploads (and auth's key rotation) never ran locally, when
    only notification had a scheduler process. The Procfile's one keel-local process runs
    every installed service's scheduled jobs."""
    from keel_common.local import declarations, scheduled_jobs

    command = run_local.read_procfile(ROOT / "Procfile")["workers"]
    assert shlex.split(command)[-3:] == ["keel-local", "worker", "--grpc"]
    scheduled = {d.name: sorted(scheduled_jobs(d)) for d in declarations()}
    assert "sweep-abandoned-uploads" in scheduled["core"]
    assert "rotate-signing-key" in scheduled["auth"]
    assert scheduled["notification"]


def test_env_dev_sets_each_variable_once() -> None:
    """A second assignment silently wins, so an edit to the first one would do nothing."""
    names = [
        line.split("=", 1)[0]
        for line in (ROOT / ".env.dev").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert len(names) == len(set(names)), sorted(n for n in set(names) if names.count(n) > 1)
