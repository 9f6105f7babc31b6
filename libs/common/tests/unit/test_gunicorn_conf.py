from __future__ import annotations

import gc
import importlib
import logging
import os
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from gunicorn.config import Config
from prometheus_client import values

from keel_common.http import gunicorn_conf
from keel_common.http.server import KeelGunicorn
from keel_common.logging import is_configured


def reloaded(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for name in ("HTTP_PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(gunicorn_conf)


@pytest.fixture(autouse=True)
def restore_module() -> object:
    yield
    importlib.reload(gunicorn_conf)  # back to the values of the real environment


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = reloaded(monkeypatch)
    assert conf.bind == ["0.0.0.0:8080"]
    assert (conf.workers, conf.threads, conf.worker_class) == (2, 2, "gthread")
    assert conf.graceful_timeout == 25
    assert conf.accesslog is None
    assert conf.control_socket_disable is True


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = reloaded(
        monkeypatch,
        HTTP_PORT="8002",
        WEB_CONCURRENCY="5",
        GUNICORN_THREADS="8",
        GUNICORN_GRACEFUL_TIMEOUT="10",
    )
    assert conf.bind == ["0.0.0.0:8002"]
    assert (conf.workers, conf.threads, conf.graceful_timeout) == (5, 8, 10)


def test_worker_heartbeat_files_live_in_memory_when_possible() -> None:
    expected = "/dev/shm" if os.path.isdir("/dev/shm") else None
    assert gunicorn_conf.worker_tmp_dir == expected


def test_every_setting_is_one_gunicorn_accepts() -> None:
    app = KeelGunicorn("unused:app", {"bind": ["127.0.0.1:0"]})
    assert app.cfg.worker_class_str == "gthread"
    assert app.cfg.bind == ["127.0.0.1:0"]
    assert app.cfg.child_exit is gunicorn_conf.child_exit
    assert app.cfg.logger_class is gunicorn_conf.JsonLogger
    assert Config().settings.keys() >= {"control_socket_disable", "worker_tmp_dir"}


def test_prepare_metrics_dir_creates_one_and_switches_to_multiprocess(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "placeholder")  # restored after the test
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    monkeypatch.setattr(values, "ValueClass", values.ValueClass)
    path = gunicorn_conf.prepare_metrics_dir()
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == path
    assert Path(path).is_dir()
    assert values.ValueClass is not values.MutexValue
    os.rmdir(path)


def test_prepare_metrics_dir_wipes_a_previous_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setattr(values, "ValueClass", values.ValueClass)
    (tmp_path / "counter_123.db").write_bytes(b"stale")
    assert gunicorn_conf.prepare_metrics_dir() == str(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_worker_freezes_its_start_up_heap_once_the_app_is_built() -> None:
    app = KeelGunicorn("unused:app", {"bind": ["127.0.0.1:0"]})
    assert app.cfg.post_worker_init is gunicorn_conf.post_worker_init
    try:
        gunicorn_conf.post_worker_init(SimpleNamespace())
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_child_exit_removes_the_dead_workers_live_gauges(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    (tmp_path / "counter_4242.db").write_bytes(b"")  # counters outlive their worker
    gunicorn_conf.child_exit(None, SimpleNamespace(pid=4242))
    assert [p.name for p in tmp_path.iterdir()] == ["counter_4242.db"]


def test_gunicorn_messages_go_to_the_root_json_handler() -> None:
    root = logging.getLogger()
    handlers_before = list(root.handlers)
    app = KeelGunicorn("unused:app", {})
    try:
        logger = gunicorn_conf.JsonLogger(app.cfg)
        error_log = logging.getLogger("gunicorn.error")
        assert logger.error_log is error_log
        assert error_log.propagate is True
        assert not [h for h in error_log.handlers if getattr(h, "_gunicorn", False)]
        assert is_configured()
    finally:
        for handler in set(root.handlers) - set(handlers_before):
            root.removeHandler(handler)
