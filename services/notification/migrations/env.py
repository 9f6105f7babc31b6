"""Alembic environment of the notification database (see keel_common.db.alembic)."""

from keel_common.db.alembic import run_env
from keel_notification.adapters.orm import metadata

run_env(metadata)
