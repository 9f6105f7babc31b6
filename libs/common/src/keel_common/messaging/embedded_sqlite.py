"""What kombu's SQLAlchemy transport needs to serve ``make run`` well from one SQLite file."""

from __future__ import annotations

import datetime
import sqlite3
import threading
import warnings
from pathlib import Path
from queue import Empty
from typing import Any

import sqlalchemy as sa
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as _sqla
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads

from keel_common.sqlite_wal import use_wal

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


def embedded_url(url: str) -> tuple[str, dict[str, Any], float]:
    """The kombu URL, transport options and visibility timeout for a ``sqla+sqlite:`` URL.

    ``sqla+sqlite:///var/broker.db?visibility_timeout=5`` takes the timeout (seconds) from the
    query; the scheme is rewritten to ``keel-sqla+`` so kombu uses ``AckingTransport``.
    """
    _, rest = url.split("+", 1)
    parsed = sa.make_url(rest)
    timeout = float(parsed.query.get("visibility_timeout", VISIBILITY_TIMEOUT))  # type: ignore[arg-type]
    parsed = parsed.difference_update_query(["visibility_timeout"])
    options: dict[str, Any] = dict(TABLES)
    if parsed.drivername.startswith("sqlite"):
        options.update(sqlite_options(parsed.database))
    rest = parsed.render_as_string(hide_password=False)
    return f"{ACKING_SCHEME}+{rest}", options, timeout


def sqlite_options(database: str | None) -> dict[str, Any]:
    """Engine options for a SQLite broker file shared by local processes.

    WAL lets readers and the writer overlap, and ``synchronous=NORMAL`` fsyncs at checkpoints
    instead of at every commit (a committed message survives a killed process, not a power
    cut: fine for development, which is all this transport is for). The directory is created
    so a fresh clone's ``make run`` works without a ``var/``.
    """
    if not database or database == ":memory:":
        return {}
    Path(database).parent.mkdir(parents=True, exist_ok=True)

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(database, timeout=30, check_same_thread=False)
        use_wal(connection, timeout=30)
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    # kombu passes transport options on to sqlalchemy.create_engine.
    return {"creator": connect}


# Separate tables from kombu's defaults: rows in those were never deleted and never leased, so
# an old var/broker.db would otherwise redeliver every message it ever delivered.
TABLES = {"queue_tablename": "keel_broker_queue", "message_tablename": "keel_broker_message"}
VISIBILITY_TIMEOUT = 30.0  # seconds an unacked message stays leased to its consumer


class AckingChannel(_sqla.Channel):
    """kombu's SQLAlchemy channel with acknowledgements and a visibility timeout.

    kombu's channel hides a row when a consumer fetches it and never looks at it again, so a
    consumer killed before its ack loses the message. Here a fetch is a lease: the row stays,
    invisible, with ``timestamp`` set to the lease start; an ack (or a reject) deletes it, a
    graceful close makes it visible again, and a lease older than the visibility timeout (a
    consumer that was killed) makes the row eligible again, as Redis's and SQS's transports do.
    Rows are fetched in id (publish) order, since ``timestamp`` now means the lease.
    """

    visibility_timeout = VISIBILITY_TIMEOUT

    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        self._leases: dict[str, int] = {}  # delivery tag -> row id, for the unacked messages

    def _get(self, queue: str, timeout: Any = None) -> Any:
        obj = self._get_or_create(queue)
        model = self.message_cls
        now = datetime.datetime.now()
        expired = now - datetime.timedelta(seconds=self.visibility_timeout)
        if self.session.bind.name == "sqlite":
            self.session.execute(sa.text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            row = self.session.execute(
                sa.select(model.id, model.payload)
                .where(model.queue_id == obj.id)
                .where(sa.or_(model.visible.is_(True), model.sent_at < expired))
                .order_by(model.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                raise Empty()
            self.session.execute(
                sa.update(model).where(model.id == row.id).values(visible=False, sent_at=now)
            )
            payload = loads(bytes_to_str(row.payload))
            self._leases[payload["properties"]["delivery_tag"]] = row.id
            return payload
        finally:
            self.session.commit()

    def basic_ack(self, delivery_tag: str, multiple: bool = False) -> None:
        super().basic_ack(delivery_tag, multiple)
        self._delete(delivery_tag)

    def basic_reject(self, delivery_tag: str, requeue: bool = False) -> None:
        super().basic_reject(delivery_tag, requeue)  # a requeue goes through _restore
        self._delete(delivery_tag)

    def _restore(self, message: Any) -> None:
        # Release the lease rather than copying the message: it keeps its place in the queue.
        row_id = self._leases.pop(message.delivery_tag, None)
        if row_id is None:
            super()._restore(message)
            return
        model = self.message_cls
        self.session.execute(sa.update(model).where(model.id == row_id).values(visible=True))
        self.session.commit()

    def _restore_at_beginning(self, message: Any) -> None:
        self._restore(message)

    def extend_leases(self) -> None:
        """Restart the lease of every message this channel holds unacked (long holds)."""
        if not self._leases:
            return
        model = self.message_cls
        ids = list(self._leases.values())
        now = datetime.datetime.now()
        self.session.execute(sa.update(model).where(model.id.in_(ids)).values(sent_at=now))
        self.session.commit()

    def _delete(self, delivery_tag: str) -> None:
        row_id = self._leases.pop(delivery_tag, None)
        if row_id is not None:
            model = self.message_cls
            self.session.execute(sa.delete(model).where(model.id == row_id))
            self.session.commit()

    def _size(self, queue: str) -> int:
        # Every row not yet acked, leased or not: what RabbitMQ's ready + unacked would say.
        obj = self._get_or_create(queue)
        model = self.message_cls
        query = sa.select(sa.func.count()).where(model.queue_id == obj.id)
        return int(self.session.execute(query).scalar_one())


class AckingTransport(_sqla.Transport):
    Channel = AckingChannel


ACKING_SCHEME = "keel-sqla"
TRANSPORT_ALIASES[ACKING_SCHEME] = f"{__name__}:AckingTransport"
