from keel_common.db.alembic import run_env
from keel_core.adapters.orm import metadata

run_env(metadata)
