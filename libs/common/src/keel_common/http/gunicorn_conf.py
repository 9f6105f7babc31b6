"""gunicorn settings for every Keel web process (``keel-<svc> web`` loads them via ``serve``;
``gunicorn -c python:keel_common.http.gunicorn_conf 'pkg.mod:create_app()'`` works too).

Environment: ``HTTP_PORT`` (8080), ``WEB_CONCURRENCY`` worker processes (2),
``GUNICORN_THREADS`` threads per worker (2), ``GUNICORN_GRACEFUL_TIMEOUT`` seconds (25, under
Kubernetes' default 30 s termination grace period so in-flight requests finish before
SIGKILL), ``LOG_LEVEL``, ``SERVICE_NAME`` (for the log lines).

Two threads per worker, not four (session 17): a worker's threads share one GIL, and the hot
reads are CPU work (answered from copies in the process), so threads past two add hand-offs
of the GIL, not throughput. Measured with ``bench/http/run.py`` on a 2-core VM, 16
connections: the p99 of the cached reads fell from 17-22 ms to 9-15 ms, their req/s moved
within the runs' noise, and ``POST /v1/orders`` (PostgreSQL commits) did not lose (README,
"HTTP against hello-world"). A deployment whose requests wait on slow neighbours raises it.

Importing this module changes nothing; the Prometheus multiprocess directory is prepared
in ``on_starting``, in the master, before any worker exists.
"""

from __future__ import annotations

import gc
import os
import tempfile
from pathlib import Path
from typing import Any

from gunicorn import glogging

from keel_common.logging import configure_logging, is_configured


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = [f"0.0.0.0:{_int_env('HTTP_PORT', 8080)}"]
workers = _int_env("WEB_CONCURRENCY", 2)
worker_class = "gthread"
threads = _int_env("GUNICORN_THREADS", 2)
timeout = 30
graceful_timeout = _int_env("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = 5
# Above the gateway's 4 KiB request line, so an over-long URL is the gateway's problem+json
# 414, never gunicorn's HTML one.
limit_request_line = 8190
# The workers' heartbeat files: on a disk-backed /tmp a slow disk can stall them and get
# healthy workers killed; /dev/shm is memory.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = None  # the app writes its own JSON access line with request and trace ids
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
control_socket_disable = True  # several gunicorns share a host in dev; nothing uses it
logger_class = "keel_common.http.gunicorn_conf.JsonLogger"


def prepare_metrics_dir() -> str:
    """Point prometheus_client at a clean multiprocess directory (a fresh temp dir if
    ``PROMETHEUS_MULTIPROC_DIR`` is unset), so ``/metrics`` sums every worker's samples."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        # Files left by a previous run would be added to this run's counts.
        for stale in Path(path).glob("*.db"):
            stale.unlink()
    else:
        path = tempfile.mkdtemp(prefix="keel-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    # prometheus_client chose its value class when first imported, which the CLI may have
    # done before the directory existed; choose again so workers forked from here use files.
    from keel_common.metrics import choose_value_class

    choose_value_class()
    return path


def on_starting(server: Any) -> None:
    prepare_metrics_dir()


def post_worker_init(worker: Any) -> None:
    """The app is built, no request served yet: its start-up heap (modules, pydantic and
    SQLAlchemy structures, the routes: 130-170k objects) goes to the permanent generation.
    A full collection walked it all, 90-110 ms of CPU with the GIL held, stalling every
    request of the worker whenever enough survivors had piled up (hello-world's heap is a
    fraction of it). Only what the worker allocates from now on is ever collected."""
    gc.collect()  # the start-up garbage goes first, not into the permanent generation
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class JsonLogger(glogging.Logger):
    """gunicorn's own messages go through the root JSON handler like everything else."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if not is_configured():
            configure_logging(os.environ.get("SERVICE_NAME", "keel"), cfg.loglevel)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                if getattr(handler, "_gunicorn", False):
                    log.removeHandler(handler)
            log.propagate = True
