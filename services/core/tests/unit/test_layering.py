"""The domain and the service layer know nothing of the web, the database or the broker."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import keel_core

PACKAGE = Path(keel_core.__file__).parent
FORBIDDEN = {"flask", "flask_openapi3", "sqlalchemy", "grpc", "kombu", "pika", "keel_common"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize(
    "path",
    sorted((PACKAGE / "domain").glob("*.py")) + sorted((PACKAGE / "service_layer").glob("*.py")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_inner_layers_import_no_framework(path: Path) -> None:
    assert _imported_roots(path) & FORBIDDEN == set()
