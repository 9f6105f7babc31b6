"""Drive one URL for a fixed time and read req/s, p50 and p99: wrk, or a Python fallback.

wrk (C, epoll) takes far less CPU per request than the servers it measures; the fallback
(threads + keep-alive sessions) takes much more, so its figures are a floor and say so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

INSTALL = Path(__file__).resolve().parents[2] / "scripts" / "install-wrk.sh"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class Load:
    seconds: int = 10
    threads: int = 2
    connections: int = 16


@dataclass(frozen=True)
class Measured:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers and failed connections, reads and writes
    client: str
    timeouts: int = 0  # requests still unanswered after wrk's 2 s (slow, not refused)


def median_of(runs: list[Measured]) -> Measured:
    """Each figure's median over repeated runs of one call (the VM's speed moves between
    runs; one run's figure can be half of the next one's)."""

    def mid(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    return Measured(
        mid([r.rps for r in runs]),
        mid([r.p50_ms for r in runs]),
        mid([r.p99_ms for r in runs]),
        sum(r.errors for r in runs),
        runs[0].client,
        sum(r.timeouts for r in runs),
    )


def ensure_wrk() -> str | None:
    if shutil.which("wrk") is None and INSTALL.exists():
        subprocess.run([str(INSTALL)], check=False)
    return shutil.which("wrk")


def measure(url: str, load: Load, headers: dict[str, str], lua: str | None = None) -> Measured:
    wrk = shutil.which("wrk")
    if wrk is None:
        return _python_client(url, load, headers)
    command = [wrk, f"-t{load.threads}", f"-c{load.connections}", f"-d{load.seconds}s",
               "--latency"]  # fmt: skip
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if lua:
            script.write(lua)
            script.flush()
            command += ["-s", script.name]
        out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return _parse(out)


def _parse(out: str) -> Measured:
    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert found, out
        return float(found[1]) * _UNITS[found[2]]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rps, out
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non2xx[1]) if non2xx else 0
    connect, read, write, timeouts = map(int, socket_errors.groups()) if socket_errors else (0,) * 4
    errors += connect + read + write
    return Measured(float(rps[1]), latency("50"), latency("99"), errors, "wrk", timeouts)


def _python_client(url: str, load: Load, headers: dict[str, str]) -> Measured:
    samples: list[float] = []
    errors = [0]
    deadline = time.monotonic() + load.seconds
    lock = threading.Lock()

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status = session.get(url, headers=headers, timeout=10).status_code
            with lock:
                samples.append((time.perf_counter() - started) * 1000)
                errors[0] += status >= 400

    workers = [threading.Thread(target=client) for _ in range(load.connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    return Measured(len(samples) / load.seconds, pick(0.5), pick(0.99), errors[0], "python")
