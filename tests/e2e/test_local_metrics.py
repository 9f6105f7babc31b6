"""`make run`'s metrics: the Procfile's two Python processes (``keel-local web``, one gunicorn
holding every service's API, and ``keel-local worker``, every service's worker) serve each
service's ``/metrics`` from one registry; each must list that service's series only. Real
processes under the real runner (scripts/run_local.py), two services (search and
notification) as the Procfile runs four."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

import requests

from keel_common.testing import eventually, free_port

from .test_local_runner import BIN, DEADLINE, ROOT, answers

SERVICES = ("search", "notification")


def _procfile(tmp_path: Path, ports: dict[str, dict[str, int]]) -> str:
    per_service = " ".join(
        f"{svc.upper()}__DATABASE_URL=sqlite:///{tmp_path / svc}.db"
        f" {svc.upper()}__HTTP_PORT={ports[svc]['web']}"
        f" {svc.upper()}__METRICS_PORT={ports[svc]['worker']}"
        for svc in SERVICES
    )
    names = " ".join(SERVICES)
    return (
        f"web: {per_service} {BIN}/keel-local web {names}\n"
        f"workers: {per_service} {BIN}/keel-local worker {names}\n"
    )


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "FILE_DELIVERY_DIR": str(tmp_path / "outbox"),
        "LOG_LEVEL": "WARNING",
        "BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.db'}",
    }
    for key in ("DATABASE_URL", "HTTP_PORT", "METRICS_PORT", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(key, None)
    return env


def _metrics(port: int) -> str:
    return requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text


def _start(
    tmp_path: Path, procfile: str, env: dict[str, str], log: BinaryIO
) -> subprocess.Popen[bytes]:
    for svc in SERVICES:
        database = {**env, "DATABASE_URL": f"sqlite:///{tmp_path / svc}.db"}
        migrate = [str(BIN / f"keel-{svc}"), "migrate"]
        subprocess.run(migrate, env=database, cwd=tmp_path, check=True, timeout=DEADLINE)
    (tmp_path / "Procfile").write_text(procfile)
    runner = [sys.executable, str(ROOT / "scripts/run_local.py")]
    runner += ["--procfile", str(tmp_path / "Procfile"), "--env", str(ROOT / ".env.dev")]
    runner += ["--var", str(tmp_path / "var"), "--directory", str(tmp_path)]
    return subprocess.Popen(runner, env=env, stdout=log, stderr=subprocess.STDOUT)


def test_each_service_s_metrics_list_only_its_own_series(tmp_path: Path) -> None:
    ports = {svc: {"web": free_port(), "worker": free_port()} for svc in SERVICES}
    log = (tmp_path / "run.log").open("wb")
    runner = _start(tmp_path, _procfile(tmp_path, ports), _env(tmp_path), log)
    try:
        for svc in SERVICES:
            for port in ports[svc].values():
                url = f"http://127.0.0.1:{port}/metrics"
                eventually(lambda url=url: answers(url), f"{svc} on {port}", DEADLINE)
        search, notification = (f"http://127.0.0.1:{ports[s]['web']}" for s in SERVICES)
        requests.get(f"{search}/v1/search/products", params={"q": "lamp"}, timeout=10)
        requests.get(f"{notification}/v1/notifications", timeout=10)  # 401, counted too

        for svc in SERVICES:
            (other,) = set(SERVICES) - {svc}
            for process, port in ports[svc].items():
                text = _metrics(port)
                assert f'service="{svc}"' in text, (svc, process, text[:2000])
                assert f'service="{other}"' not in text, (svc, process)
                assert f"keel_{other}_" not in text, (svc, process)
        assert "keel_search_result_cache_lookups_total" in _metrics(ports["search"]["web"])
    finally:
        runner.send_signal(signal.SIGINT)
        runner.wait(DEADLINE)
        log.close()
