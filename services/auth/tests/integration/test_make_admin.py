"""The README's first step, ``make admin EMAIL=you@example.com``, run as written against a
temporary database (the password piped on stdin, as a script or CI gives it)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import sqlalchemy as sa

from keel_auth.entrypoints.cli import MIGRATIONS
from keel_common.db.alembic import upgrade

ROOT = Path(__file__).resolve().parents[4]


def test_make_admin_creates_the_first_admin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'auth.db'}"
    upgrade(url, MIGRATIONS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "admin",
            "EMAIL=You@Example.com",
            f"ADMIN_DATABASE_URL={url}",
        ],
        cwd=ROOT,
        input="correct horse battery staple\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "you@example.com is an admin" in done.stdout
    assert "correct horse" not in done.stdout + done.stderr
    with sa.create_engine(url).connect() as db:
        roles = db.execute(sa.text("SELECT roles FROM users WHERE email = 'you@example.com'"))
        assert "admin" in roles.scalar_one()
