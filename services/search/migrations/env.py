from keel_common.db.alembic import run_env
from keel_search.adapters.orm import metadata

run_env(metadata)
