"""Alembic environment of the auth database (its tables and the outbox, from ``orm``)."""

from keel_auth.adapters.orm import metadata
from keel_common.db.alembic import run_env

run_env(metadata)
