"""compose.yaml: valid against the Compose Specification's JSON schema, and the same
processes as the Procfile (name, command, per-process settings), so the two cannot drift."""

from __future__ import annotations

import copy
import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from keel_common.testing.plugin import require

ROOT = Path(__file__).resolve().parents[2]
# From the PyPI docker-compose wheel (scripts/install-ship-tools.sh); no registry but PyPI here.
SCHEMA = ROOT / "var" / "compose-schema" / "compose_spec.json"
# Settings whose value is the same in both files (the rest, like DATABASE_URL, differ by design).
SAME_VALUE = ("HTTP_PORT", "GRPC_PORT", "METRICS_PORT")
BACKENDS = ("postgres", "rabbitmq", "redis")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def procfile() -> dict[str, list[str]]:
    """process name -> its words (leading NAME=value settings, then the command)."""
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            words = shlex.split(command)
            if "keel-local" in words:
                processes.update(per_service(words))
            else:
                processes[name.strip()] = words
    return processes


def per_service(words: list[str]) -> dict[str, list[str]]:
    """make run's combined processes as compose (and production) runs them: ``keel-local
    web`` is each service's ``web`` with its ``<SVC>__`` settings; ``keel-local worker
    --grpc`` is each service's ``worker`` and ``grpc``, and a ``scheduler`` for each service
    that declares scheduled jobs."""
    from keel_common.local import declarations

    scheduled = {d.name for d in declarations() if d.schedules}
    processes: dict[str, list[str]] = {}
    command = words[words.index(next(w for w in words if w.endswith("keel-local"))) + 1]
    for declaration in declarations():
        prefix = f"{declaration.name.upper()}__"
        own = [w.removeprefix(prefix) for w in words if w.startswith(prefix)]
        program = f"keel-{declaration.name}"
        if command == "web":
            processes[f"{declaration.name}-web"] = [*own, program, "web"]
            continue
        database = [w for w in own if w.startswith("DATABASE_URL=")]
        grpc_port = [w for w in own if w.startswith("GRPC_PORT=")]
        worker = [w for w in own if w not in grpc_port]
        processes[f"{declaration.name}-worker"] = [*worker, program, "worker"]
        if "--grpc" in words:
            processes[f"{declaration.name}-grpc"] = [*database, *grpc_port, program, "grpc"]
        if declaration.name in scheduled:
            processes[f"{declaration.name}-scheduler"] = [*database, program, "scheduler"]
    return processes


def drift(services: dict[str, Any], processes: dict[str, list[str]]) -> list[str]:
    """Every way compose.yaml's services differ from the Procfile's processes."""
    problems = []
    keel = {n for n, s in services.items() if "/keel-" in s.get("image", "")}
    keel -= {n for n in keel if n.endswith("-migrate")}
    for name, words in processes.items():
        if name == "gateway":
            if "gateway" not in services:
                problems.append("gateway: missing from compose.yaml")
            continue
        settings = dict(w.split("=", 1) for w in words if "=" in w and not w.startswith("-"))
        program, *args = [w for w in words if "=" not in w]
        service = services.get(name)
        if service is None:
            problems.append(f"{name}: in the Procfile, missing from compose.yaml")
            continue
        if f"/{program}:" not in service.get("image", ""):
            problems.append(f"{name}: image {service.get('image')} is not {program}")
        if service.get("command") != args:
            problems.append(f"{name}: command {service.get('command')} != {args}")
        env = service.get("environment", {})
        for key, value in settings.items():
            if key not in env:
                problems.append(f"{name}: {key} is set in the Procfile, not in compose.yaml")
            elif key in SAME_VALUE and str(env[key]) != value:
                problems.append(f"{name}: {key}={env[key]} != Procfile's {value}")
        if env.get("SERVICE_NAME") != program.removeprefix("keel-"):
            problems.append(f"{name}: SERVICE_NAME {env.get('SERVICE_NAME')}")
    problems += [f"{n}: in compose.yaml, not in the Procfile" for n in keel - set(processes)]
    return problems


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    require(SCHEMA.exists(), f"no {SCHEMA.name}: run scripts/install-ship-tools.sh")
    schema = json.loads(SCHEMA.read_text())
    errors = list(jsonschema.Draft201909Validator(schema).iter_errors(compose()))
    assert not errors, [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors]
    broken = compose()
    broken["services"]["core-web"]["depends_on"] = {"postgres": {"condition": "healthy"}}
    assert list(jsonschema.Draft201909Validator(schema).iter_errors(broken)), "schema too lax"


def test_compose_runs_exactly_the_procfile_processes() -> None:
    services, processes = compose()["services"], procfile()
    assert len(processes) >= 13
    assert drift(services, processes) == []


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda s: s.pop("notification-scheduler"), "notification-scheduler: in the Procfile"),
        (lambda s: s.pop("core-scheduler"), "core-scheduler: in the Procfile"),
        (lambda s: s["core-grpc"].update(command=["web"]), "core-grpc: command"),
        (lambda s: s["auth-web"]["environment"].update(HTTP_PORT="9"), "auth-web: HTTP_PORT"),
    ],
)
def test_a_drift_is_reported(break_it: Any, expected: str) -> None:
    services = copy.deepcopy(compose()["services"])
    break_it(services)
    assert any(p.startswith(expected) for p in drift(services, procfile()))


# Processes that keep no state: the console reaches the platform through the gateway only.
STATELESS = {"console-web"}


def test_every_process_waits_for_healthy_backends_and_migrations() -> None:
    services = compose()["services"]
    for name in procfile():
        if name == "gateway":
            continue
        assert services[name]["read_only"] is True and services[name]["cap_drop"] == ["ALL"]
        if name in STATELESS:
            assert "depends_on" not in services[name], name
            continue
        needs = services[name]["depends_on"]
        svc = name.split("-")[0]
        for backend in BACKENDS:
            assert needs[backend] == {"condition": "service_healthy"}, (name, backend)
            assert "healthcheck" in services[backend], backend
        assert needs[f"{svc}-migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["read_only"] is True and services[name]["cap_drop"] == ["ALL"]
    assert services["gateway"]["ports"] == ["8080:8080"]
    assert "15672:15672" in services["rabbitmq"]["ports"]


def test_env_example_sets_every_variable_compose_reads() -> None:
    text = (ROOT / "compose.yaml").read_text()
    example = (ROOT / ".env.example").read_text()
    defined = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line}
    used = {part.split("}")[0].split(":-")[0] for part in text.split("${")[1:]}
    assert used <= defined, used - defined


def app_owned_dirs() -> set[str]:
    """The folders the Dockerfile creates owned by the image's user (uid 10001)."""
    text = (ROOT / "docker" / "Dockerfile").read_text().replace("\\\n", " ")
    return {
        path
        for match in re.finditer(r"install -d -o 10001 -g 10001 -m \d+((?: /[^\s&]+)+)", text)
        for path in match.group(1).split()
    }


def test_every_named_volume_of_an_image_lands_on_a_folder_its_user_owns() -> None:
    """A fresh named volume copies the image folder it is mounted on, ownership included; on
    a folder the image lacks it is root's, and the non-root processes cannot write to it."""
    owned = app_owned_dirs()
    assert "/var/lib/keel/search-index" in owned
    services = compose()["services"]
    named = set(compose()["volumes"])
    mounts = {
        (name, target)
        for name, service in services.items()
        if "keel-" in service.get("image", "")
        for volume in service.get("volumes", [])
        for source, target in [volume.split(":")[:2]]
        if source in named
    }
    assert mounts, "no named volume on any Keel process"
    assert {(name, target) for name, target in mounts if target not in owned} == set()
