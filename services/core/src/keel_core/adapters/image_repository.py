"""``ImageRepository`` over one ORM session."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Session

from keel_core.adapters.orm import product_images
from keel_core.domain.images import ImageStatus
from keel_core.service_layer.image_ports import ImageRepository


class SqlAlchemyImageRepository(ImageRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def abandoned(self, created_before: datetime, limit: int) -> list[tuple[UUID, UUID]]:
        table = product_images
        statement = (
            sa.select(table.c.product_id, table.c.id)
            .where(table.c.status == ImageStatus.PENDING, table.c.created_at < created_before)
            .order_by(table.c.created_at)
            .limit(limit)
        )
        return [(row.product_id, row.id) for row in self.session.execute(statement)]
