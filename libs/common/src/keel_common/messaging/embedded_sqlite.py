"""What kombu's SQLAlchemy transport needs to serve ``make run`` well from one SQLite file."""

from __future__ import annotations

import sqlite3
import threading
import warnings
from pathlib import Path
from typing import Any

import sqlalchemy as sa

_models_lock = threading.Lock()
_models_configured = False


def configure_kombu_models(channel: Any) -> None:
    """Map kombu's SQLAlchemy transport tables once per process, muting one known warning.

    kombu's models declare ``lazy="noload"``, which SQLAlchemy 2.1 deprecates; the warning is
    raised when the mappers are configured, and under ``-W error`` (our tests) a failed
    configuration would break every later query of the process. Nothing to do for the other
    transports, which have no models.
    """
    global _models_configured
    if _models_configured or not hasattr(channel, "queue_cls"):
        return
    with _models_lock:
        if _models_configured:
            return
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="The ``noload`` loader strategy", category=DeprecationWarning
            )
            channel.message_cls  # noqa: B018 -- building the class registers its mapper
            channel.queue_cls.registry.configure()
        _models_configured = True


def sqlite_options(url: str) -> dict[str, Any]:
    """Engine options for a ``sqla+sqlite:///path`` broker file shared by local processes.

    WAL lets readers and the writer overlap, and ``synchronous=NORMAL`` fsyncs at checkpoints
    instead of at every commit (a committed message survives a killed process, not a power
    cut: fine for development, which is all this transport is for). The directory is created
    so a fresh clone's ``make run`` works without a ``var/``.
    """
    database = sa.make_url(url.split("+", 1)[1]).database
    if not database or database == ":memory:":
        return {}
    Path(database).parent.mkdir(parents=True, exist_ok=True)

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(database, timeout=30, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    # kombu passes transport options on to sqlalchemy.create_engine.
    return {"creator": connect}
