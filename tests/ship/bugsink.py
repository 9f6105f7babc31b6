"""A real Sentry-protocol server for the tests: Bugsink (PyPI `bugsink`, a Django app) from
its own virtualenv var/bugsink-venv (scripts/install-ship-tools.sh), on loopback, with a
SQLite store in a temporary folder. Events are read back through its canonical REST API."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import requests

from keel_common.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / "var" / "bugsink-venv"


@dataclass
class Bugsink:
    url: str
    token: str
    dsn: str
    project: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def api(self, path: str, **params: Any) -> Any:
        response = requests.get(
            f"{self.url}/api/canonical/0/{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def events(self) -> list[dict[str, Any]]:
        """Every stored event of the project, each with its full payload (``data``)."""
        found = []
        for issue in self.api("issues/", project=self.project)["results"]:
            for event in self.api("events/", issue=issue["id"])["results"]:
                found.append(self.api(f"events/{event['id']}/"))
        return found

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


def start(workdir: Path) -> Bugsink:
    """Configure (`bugsink-create-conf --template=local`), migrate, make a token, a team and a
    project through the API, and serve with gunicorn."""
    port = free_port()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bugsink_conf", PYTHONPATH=str(workdir))
    env.pop("SENTRY_DSN", None)

    def manage(*args: str) -> str:
        return subprocess.run(
            [str(VENV / "bin" / "bugsink-manage"), *args],
            cwd=workdir,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    subprocess.run(
        [
            str(VENV / "bin" / "bugsink-create-conf"),
            "--template=local",
            "--host=127.0.0.1",
            f"--port={port}",
            "-o",
            "bugsink_conf.py",
        ],
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    manage("migrate", "-v0")
    manage("migrate", "snappea", "--database=snappea", "-v0")
    token = manage("create_auth_token").strip()
    log = (workdir / "bugsink.log").open("wb")
    process = subprocess.Popen(
        [
            str(VENV / "bin" / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "bugsink.wsgi",
        ],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        return _configure(url, token, process, log)
    except BaseException:
        process.terminate()
        process.wait(30)
        log.close()
        raise


def _configure(url: str, token: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> Bugsink:
    """Wait for gunicorn's worker, then one team and one project; the project's DSN."""
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 120  # the first request loads Django: slow on a busy machine
    while True:
        try:
            requests.get(f"{url}/api/canonical/0/teams/", headers=headers, timeout=30)
            break
        except requests.RequestException:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
            time.sleep(0.5)
    api = f"{url}/api/canonical/0"
    team = requests.post(f"{api}/teams/", json={"name": "keel"}, headers=headers, timeout=30)
    team.raise_for_status()
    project = requests.post(
        f"{api}/projects/",
        json={"name": "keel", "team": team.json()["id"]},
        headers=headers,
        timeout=30,
    )
    project.raise_for_status()
    created = requests.get(f"{api}/projects/{project.json()['id']}/", headers=headers, timeout=30)
    return Bugsink(url, token, created.json()["dsn"], int(project.json()["id"]), process, log)
