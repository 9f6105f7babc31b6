"""Alembic environment of the auth database (see keel_common.db.alembic)."""

from keel_auth.adapters.orm import metadata
from keel_auth.bootstrap import outbox_table
from keel_common.db.alembic import run_env

outbox_table()  # adds the shared outbox table to our metadata
run_env(metadata)
