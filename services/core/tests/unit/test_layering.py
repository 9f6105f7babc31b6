"""The domain and the service layer know nothing of the web, the database or the broker."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import keel_core

PACKAGE = Path(keel_core.__file__).parent
FORBIDDEN = {"flask", "flask_openapi3", "sqlalchemy", "grpc", "kombu", "pika", "keel_common"}
# Plain-Python ports shared by every service (no framework behind them).
ALLOWED = {"keel_common.unit_of_work"}


def _imported_roots(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return {m.split(".")[0] for m in modules - ALLOWED}


@pytest.mark.parametrize(
    "path",
    sorted((PACKAGE / "domain").glob("*.py")) + sorted((PACKAGE / "service_layer").glob("*.py")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_inner_layers_import_no_framework(path: Path) -> None:
    assert _imported_roots(path) & FORBIDDEN == set()
