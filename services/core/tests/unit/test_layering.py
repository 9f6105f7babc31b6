"""The domain and the service layer know nothing of the web, the database or the broker,
and inner layers never reach outward: domain <- service_layer <- adapters/entrypoints."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import keel_core

PACKAGE = Path(keel_core.__file__).parent
FORBIDDEN = {"flask", "flask_openapi3", "sqlalchemy", "grpc", "kombu", "pika", "keel_common"}
# Plain-Python homes shared by every service (no framework behind them).
ALLOWED = {
    "keel_common.unit_of_work",
    "keel_common.clock",
    "keel_common.pagination",
    "keel_common.second_factor",
}
# What each inner layer may not import.
OUTER = {
    "domain": ("service_layer", "adapters", "entrypoints", "bootstrap"),
    "service_layer": ("adapters", "entrypoints", "bootstrap"),
}
INNER_MODULES = sorted((PACKAGE / "domain").glob("*.py")) + sorted(
    (PACKAGE / "service_layer").glob("*.py")
)


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def _module_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", INNER_MODULES, ids=_module_id)
def test_inner_layers_import_no_framework(path: Path) -> None:
    roots = {m.split(".")[0] for m in _imported_modules(path) - ALLOWED}
    assert roots & FORBIDDEN == set()


@pytest.mark.parametrize("path", INNER_MODULES, ids=_module_id)
def test_inner_layers_import_no_outer_layer(path: Path) -> None:
    outer = tuple(f"keel_core.{layer}" for layer in OUTER[path.parent.name])
    assert {m for m in _imported_modules(path) if m.startswith(outer)} == set()
