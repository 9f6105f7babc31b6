"""Guard the event contracts (``keel_events``) against drift and breaking changes.

    python scripts/events.py lock    # what `make events` runs: rewrite contracts.lock.json
    python scripts/events.py check   # what `make test` runs

The lock file holds the JSON schema of every event type and version. ``check`` fails when
the lock is out of date with the code (run ``make events`` and commit it), and when a change
since the committed lock breaks a consumer built against it: a removed event type, a removed
field, a field whose schema changed, or a new required field (events of the old shape are
still in queues, retry queues and dead letters). A breaking change is a new ``.v<N+1>`` type.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "libs" / "common" / "src" / "keel_events" / "contracts.lock.json"


def current_schemas() -> dict[str, Any]:
    from keel_events import event_classes

    return {
        event_type: {"producer": cls.producer, "schema": _inline(cls.model_json_schema())}
        for event_type, cls in event_classes().items()
    }


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with ``$ref``s replaced by their definitions, so fields compare alone."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {k: resolve(v) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    problems = []
    for event_type, before in old.items():
        after = new.get(event_type)
        if after is None:
            problems.append(f"{event_type} removed (consumers and queued events still use it)")
            continue
        if after["producer"] != before["producer"]:
            problems.append(f"{event_type} changed producer")
        old_fields = before["schema"].get("properties", {})
        new_fields = after["schema"].get("properties", {})
        for name, schema in old_fields.items():
            if name not in new_fields:
                problems.append(f"{event_type}.{name} removed")
            elif new_fields[name] != schema:
                problems.append(f"{event_type}.{name} changed its type")
        added_required = set(after["schema"].get("required", [])) - set(
            before["schema"].get("required", [])
        )
        for name in sorted(added_required):
            problems.append(f"{event_type}.{name} is a new required field")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("lock", "check"))
    args = parser.parse_args(argv)
    schemas = current_schemas()
    if args.command == "lock":
        LOCK.write_text(json.dumps(schemas, indent=2, sort_keys=True) + "\n")
        print(f"events: locked {len(schemas)} contracts in {LOCK.relative_to(ROOT)}")
        return 0
    locked = json.loads(LOCK.read_text()) if LOCK.exists() else {}
    problems = breaking_changes(locked, schemas)
    for problem in problems:
        print(f"events: breaking change: {problem}", file=sys.stderr)
    if problems:
        return 1
    if locked != schemas:
        print("events: contracts.lock.json is out of date: run `make events`", file=sys.stderr)
        return 1
    print(f"events: ok ({len(schemas)} contracts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
