"""`make run`'s runner (scripts/run_local.py, supervisord): a process killed with SIGKILL is
restarted and the restart logged while the others keep answering; SIGINT (Ctrl-C) stops
everything and exits 0. Real processes: search's web and worker from a two-line Procfile on
free ports (the runner is the same for the Procfile's thirteen)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from keel_common.testing import eventually, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
DEADLINE = 120.0  # seconds: a liveness limit on a busy 2-core machine


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def pid_of(config: Path, name: str) -> int:
    out = subprocess.run(
        [str(BIN / "supervisorctl"), "-c", str(config), "pid", name],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.strip()
    return int(out) if out.isdigit() else 0


def test_a_killed_worker_comes_back_while_the_web_keeps_answering(tmp_path: Path) -> None:
    web_port, metrics_port = free_port(), free_port()
    db = f"sqlite:///{tmp_path / 'search.db'}"
    (tmp_path / "Procfile").write_text(
        f"# two of make run's processes\n"
        f"web: DATABASE_URL={db} HTTP_PORT={web_port} {BIN}/keel-search web\n"
        f"worker: DATABASE_URL={db} METRICS_PORT={metrics_port} {BIN}/keel-search worker\n"
    )
    env = {
        **os.environ,
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "LOG_LEVEL": "WARNING",
        "BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.db'}",
    }
    for key in ("DATABASE_URL", "HTTP_PORT", "METRICS_PORT"):
        env.pop(key, None)
    subprocess.run(
        [str(BIN / "keel-search"), "migrate"],
        env={**env, "DATABASE_URL": db},
        cwd=tmp_path,
        check=True,
        timeout=DEADLINE,
    )
    log = tmp_path / "run.log"
    output = log.open("wb")
    runner = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts/run_local.py"),
            "--procfile",
            str(tmp_path / "Procfile"),
            "--env",
            str(ROOT / ".env.dev"),
            "--var",
            str(tmp_path / "var"),
            "--directory",
            str(tmp_path),
        ],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    config = tmp_path / "var" / "supervisord.conf"
    web, metrics = (
        f"http://127.0.0.1:{web_port}/healthz",
        f"http://127.0.0.1:{metrics_port}/metrics",
    )
    try:
        eventually(lambda: answers(web) and answers(metrics), "both processes up", DEADLINE)
        first = pid_of(config, "worker")
        assert first > 0
        os.kill(first, signal.SIGKILL)

        # The web process never stopped answering while the worker was down and back.
        restarted = 0
        deadline = time.monotonic() + DEADLINE
        while restarted in (0, first) or not answers(metrics):
            assert answers(web), "the web process stopped answering when the worker died"
            assert time.monotonic() < deadline, "the worker did not come back"
            restarted = pid_of(config, "worker")
            time.sleep(0.2)
        text = log.read_text()
        assert "exited: worker (terminated by SIGKILL; not expected)" in text
        assert "spawned: 'worker'" in text
    finally:
        runner.send_signal(signal.SIGINT)  # what Ctrl-C sends
        code = runner.wait(DEADLINE)
        output.close()
    assert code == 0
    assert not answers(web) and not answers(metrics)  # everything stopped
