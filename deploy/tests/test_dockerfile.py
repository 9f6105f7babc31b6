"""The Dockerfile: pinned bases, non-root, no HEALTHCHECK, lock-file installs, a tight context.

No Docker engine runs here, so the build stage is replayed without one: its COPY, ENV, WORKDIR
and RUN instructions run in a temporary folder standing in for /app, which proves the lock
file installs each service without dev dependencies and yields the `keel` entry point.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from keel_common.testing.plugin import require

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "docker" / "Dockerfile"
SERVICES = ("auth", "core", "notification", "search")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for word, rest in instructions():
        if word == "FROM":
            found.append([])
        found[-1].append((word, rest))
    return found


def test_every_base_image_is_pinned_to_an_exact_version():
    for _word, rest in [i for i in instructions() if i[0] == "FROM"]:
        image = rest.split()[0]
        assert re.search(r":\d+\.\d+\.\d+", image) or "@sha256:" in image, image


def test_the_runtime_stage_runs_as_non_root_without_healthcheck_or_build_tools():
    runtime = stages()[-1]
    words = [w for w, _ in runtime]
    assert "HEALTHCHECK" not in [w for w, _ in instructions()]
    user = [r for w, r in runtime if w == "USER"]
    assert user and all(not u.startswith(("0", "root")) for u in user)
    assert ("ENTRYPOINT", '["keel"]') in runtime and ("CMD", '["web"]') in runtime
    runs = " ".join(r for w, r in runtime if w == "RUN")
    assert "apt-get" not in runs and "uv " not in runs and "pip uninstall" in runs
    assert words.index("USER") > words.index("COPY")
    copies = [r for w, r in runtime if w == "COPY"]
    assert copies == ["--from=build /app /app"], "only the built /app reaches the runtime"


def test_dependencies_come_from_the_lock_file_without_dev_tools():
    syncs = [r for w, r in instructions() if w == "RUN" and "uv sync" in r]
    assert len(syncs) == 2
    for run in syncs:
        assert "--frozen" in run and "--no-dev" in run and '--package "keel-${SERVICE}"' in run


def test_the_context_ships_exactly_what_the_build_copies():
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    rules = [line for line in ignore if line.strip() and not line.startswith("#")]
    assert rules[0] == "**", "deny by default"
    allowed = [r[1:].rstrip("/") for r in rules if r.startswith("!")]
    for word, rest in instructions():
        if word != "COPY" or rest.startswith("--from"):
            continue
        *sources, _dest = rest.split()
        for source in sources:
            for service in SERVICES:
                path = source.replace("${SERVICE}", service)
                assert any(
                    fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/")
                    for pattern in allowed
                ), path


@pytest.mark.parametrize("service", SERVICES)
def test_the_build_stage_installs_the_service_from_the_lock_file(service, tmp_path):
    require(shutil.which("uv") is not None, "uv is not installed")
    app = tmp_path / "app"
    app.mkdir()
    env = dict(os.environ, SERVICE=service)
    env.pop("VIRTUAL_ENV", None)
    workdir = app
    for word, rest in stages()[1]:
        rest = rest.replace("/app", str(app))
        if word == "ENV":
            for key, value in re.findall(r"(\w+)=(\S+)", rest):
                env[key] = value
            env["UV_PYTHON"] = sys.executable  # the base image's interpreter stands in
            # Speed only: bytecode and copied files are not what this test is about.
            env["UV_COMPILE_BYTECODE"] = "0"
            env["UV_LINK_MODE"] = "symlink"
        elif word == "WORKDIR":
            workdir = Path(rest)
            workdir.mkdir(parents=True, exist_ok=True)
        elif word == "COPY" and not rest.startswith("--from"):
            *sources, dest = rest.replace("${SERVICE}", service).split()
            for source in sources:
                copy_into(REPO / source, workdir, dest)
        elif word == "RUN":
            command = re.sub(r"--mount=\S+", "", rest)
            subprocess.run(["sh", "-c", command], cwd=workdir, env=env, check=True)
    venv = app / ".venv"
    assert (venv / "bin" / "keel").resolve() == (venv / "bin" / f"keel-{service}").resolve()
    check = f"import keel_{service}, keel_common, gunicorn, grpc, kombu"
    subprocess.run([str(venv / "bin" / "python"), "-c", check], check=True)
    dev_only = subprocess.run([str(venv / "bin" / "python"), "-c", "import pytest"])
    assert dev_only.returncode != 0, "dev dependencies must stay out of the image"


def copy_into(source: Path, workdir: Path, dest: str) -> None:
    """COPY semantics: a folder's content goes to dest; a file goes into dest when it ends in /."""
    target = workdir / dest
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
        return
    if dest.endswith("/"):
        target = target / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
