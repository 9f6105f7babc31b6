"""keel_common.db on SQLite and PostgreSQL: standard columns, soft delete, unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import registry

from keel_common.db import (
    SqlAlchemyUnitOfWork,
    create_engine,
    make_session_factory,
    map_entity,
    soft_delete,
    standard_table,
)
from keel_common.messaging import Envelope
from keel_common.outbox import outbox_table

metadata = sa.MetaData()
widgets = standard_table("widgets", metadata, sa.Column("name", sa.String(50), nullable=False))
outbox = outbox_table(metadata)


class Widget:
    def __init__(self, name: str) -> None:
        self.id = uuid.uuid4()
        self.name = name


@dataclass(frozen=True)
class WidgetMade:
    type: ClassVar[str] = "test.widget.made.v1"
    widget_id: uuid.UUID
    name: str

    @property
    def subject(self) -> str:
        return str(self.widget_id)

    def to_data(self) -> dict[str, str]:
        return {"widget_id": str(self.widget_id), "name": self.name}


map_entity(registry(), Widget, widgets)


@pytest.fixture
def session_factory(database_url: str):
    engine = create_engine(database_url)
    metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def test_standard_columns_are_set_by_the_framework(session_factory) -> None:
    with session_factory() as session:
        widget = Widget("bolt")
        session.add(widget)
        session.commit()
        row = session.execute(sa.select(widgets).where(widgets.c.id == widget.id)).one()
    assert isinstance(row.pk, int)
    assert row.created_at is not None and row.updated_at is not None
    assert row.deleted_at is None
    assert widget.is_deleted is False


def test_updated_at_moves_on_update(session_factory) -> None:
    with session_factory() as session:
        widget = Widget("bolt")
        session.add(widget)
        session.commit()
        created = widget.updated_at
        widget.name = "nut"
        session.commit()
        assert widget.updated_at > created


def test_soft_deleted_rows_are_hidden_unless_asked_for(session_factory) -> None:
    with session_factory() as session:
        kept, gone = Widget("kept"), Widget("gone")
        session.add_all([kept, gone])
        session.commit()
        soft_delete(gone)
        session.commit()
        assert gone.is_deleted

    with session_factory() as session:
        names = {w.name for w in session.scalars(sa.select(Widget))}
        assert names == {"kept"}
        assert session.get(Widget, gone._pk) is None or session.get(Widget, gone._pk).is_deleted
        everything = session.scalars(
            sa.select(Widget).execution_options(include_deleted=True)
        ).all()
        assert {w.name for w in everything} == {"kept", "gone"}
        # the row is still there: soft delete never removes data
        assert session.execute(sa.select(sa.func.count()).select_from(widgets)).scalar() == 2


def test_commit_stages_published_events_in_the_same_transaction(session_factory) -> None:
    uow = SqlAlchemyUnitOfWork(session_factory, source="keel-test", outbox=outbox)
    with uow:
        widget = Widget("bolt")
        uow.session.add(widget)
        uow.publish(WidgetMade(widget_id=widget.id, name="bolt"))
        uow.commit()

    with session_factory() as session:
        rows = session.execute(sa.select(outbox)).mappings().all()
    assert len(rows) == 1
    envelope = Envelope.from_json(_payload(rows[0]))
    assert envelope.type == "test.widget.made.v1"
    assert envelope.source == "keel-test"
    assert envelope.subject == str(widget.id)
    assert envelope.data == {"widget_id": str(widget.id), "name": "bolt"}


def test_leaving_without_commit_rolls_back_state_and_events(session_factory) -> None:
    uow = SqlAlchemyUnitOfWork(session_factory, source="keel-test", outbox=outbox)
    with uow:
        widget = Widget("bolt")
        uow.session.add(widget)
        uow.publish(WidgetMade(widget_id=widget.id, name="bolt"))

    with session_factory() as session:
        assert session.scalars(sa.select(Widget)).all() == []
        assert session.execute(sa.select(outbox)).all() == []


def _payload(row) -> bytes:
    for key in ("payload", "body", "envelope"):
        if key in row:
            value = row[key]
            return value.encode() if isinstance(value, str) else bytes(value)
    raise AssertionError(f"no payload column in outbox row: {list(row.keys())}")
