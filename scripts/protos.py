"""Generate the Python stubs for protos/ and guard them against drift and breaking changes.

    python scripts/protos.py generate   # what `make protos` runs
    python scripts/protos.py check [--against git:REF | --against PATH]

``generate`` rewrites libs/common/src/keel_protos/ (protobuf, grpc and mypy-protobuf stubs) and
protos/descriptor_set.binpb. ``check`` regenerates into a temporary directory and fails when a
checked-in file differs, then compares the descriptors against the last committed descriptor
set (``git:HEAD`` by default; CI passes ``--against git:origin/main``) and fails on a change
that breaks existing clients: a removed message, enum, service or RPC, a removed field or enum
value whose number is not reserved, a renumbered, retyped or relabelled field.

The proto packages stay ``auth.v1`` etc.; protoc's ``-Ikeel_protos=protos`` mapping makes the
generated imports land inside the ``keel_protos`` Python package.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parents[1]
PROTOS = ROOT / "protos"
STUBS = ROOT / "libs" / "common" / "src"
PACKAGE = "keel_protos"
DESCRIPTOR_SET = "descriptor_set.binpb"
INIT_DOC = '"""Generated from protos/ by scripts/protos.py (`make protos`); do not edit."""\n'

FileSet = descriptor_pb2.FileDescriptorSet


def _protoc(args: list[str]) -> None:
    from grpc_tools import protoc

    include = Path(protoc.__file__).parent / "_proto"
    plugins = Path(sys.executable).parent
    code = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{include}",
            f"--plugin=protoc-gen-mypy={plugins / 'protoc-gen-mypy'}",
            f"--plugin=protoc-gen-mypy_grpc={plugins / 'protoc-gen-mypy_grpc'}",
            *args,
        ]
    )
    if code != 0:
        raise SystemExit(f"protoc failed (exit {code})")


def build(proto_root: Path, out_dir: Path, *, stubs: bool = True) -> Path:
    """Compile every .proto under proto_root; return the descriptor set written to out_dir.

    With ``stubs`` the Python, gRPC and mypy stubs land in out_dir/keel_protos as well.
    """
    files = sorted(
        f"{PACKAGE}/{p.relative_to(proto_root).as_posix()}" for p in proto_root.rglob("*.proto")
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    descriptors = out_dir / DESCRIPTOR_SET
    outputs = ("python_out=", "grpc_python_out=", "mypy_out=quiet:", "mypy_grpc_out=quiet:")
    flags = [f"--{option}{out_dir}" for option in outputs] if stubs else []
    _protoc([f"-I{PACKAGE}={proto_root}", *flags, f"--descriptor_set_out={descriptors}", *files])
    if stubs:
        package = out_dir / PACKAGE
        for folder in [package, *(p for p in package.rglob("*") if p.is_dir())]:
            (folder / "__init__.py").write_text(INIT_DOC)
        (package / "py.typed").write_text("")
    return descriptors


def _tree(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _differs(a: Path, b: Path) -> bool:
    return not filecmp.cmp(a, b, shallow=False)


def stale_files(fresh: Path, checked_in: Path) -> list[str]:
    """Files that differ between a fresh build and the checked-in tree: missing, extra, edited."""
    ours, theirs = _tree(fresh), _tree(checked_in) if checked_in.exists() else set()
    changed = {p for p in ours & theirs if _differs(fresh / p, checked_in / p)}
    return sorted((ours ^ theirs) | changed)


def load_descriptor_set(data: bytes) -> FileSet:
    result = FileSet()
    result.ParseFromString(data)
    return result


def _walk_messages(prefix: str, messages, out: dict) -> None:
    for message in messages:
        name = f"{prefix}.{message.name}"
        out[name] = message
        _walk_messages(name, message.nested_type, out)


def _index(files: FileSet) -> tuple[dict, dict, dict]:
    messages: dict = {}
    enums: dict = {}
    services: dict = {}
    for file in files.file:
        _walk_messages(file.package, file.message_type, messages)
        for enum in file.enum_type:
            enums[f"{file.package}.{enum.name}"] = enum
        for service in file.service:
            services[f"{file.package}.{service.name}"] = service
    for name, message in list(messages.items()):
        for enum in message.enum_type:
            enums[f"{name}.{enum.name}"] = enum
    return messages, enums, services


def _field_changes(name: str, old, new) -> list[str]:
    problems = []
    reserved = {n for r in new.reserved_range for n in range(r.start, r.end)}
    new_by_number = {f.number: f for f in new.field}
    new_by_name = {f.name: f for f in new.field}
    for field in old.field:
        label = f"field {name}.{field.name} ({field.number})"
        moved = new_by_name.get(field.name)
        current = new_by_number.get(field.number)
        if moved is not None and moved.number != field.number:
            problems.append(f"{label} renumbered to {moved.number}")
        elif current is None and field.number not in reserved:
            problems.append(f"{label} removed without reserving {field.number}")
        if current is None:
            continue
        if current.name != field.name:
            problems.append(f"{label} renamed to {current.name} (breaks JSON clients)")
        if (current.type, current.type_name) != (field.type, field.type_name):
            problems.append(f"{label} changed type")
        if current.label != field.label:
            problems.append(f"{label} changed label (singular/repeated)")
    return problems


def _enum_changes(name: str, old, new) -> list[str]:
    reserved = {n for r in new.reserved_range for n in range(r.start, r.end + 1)}
    numbers = {v.number for v in new.value}
    return [
        f"enum value {name}.{v.name} ({v.number}) removed without reserving {v.number}"
        for v in old.value
        if v.number not in numbers and v.number not in reserved
    ]


def _method_changes(name: str, old, new) -> list[str]:
    methods = {m.name: m for m in new.method}
    problems = []
    for method in old.method:
        current = methods.get(method.name)
        shape = ("input_type", "output_type", "client_streaming", "server_streaming")
        if current is None:
            problems.append(f"rpc {name}/{method.name} removed")
        elif any(getattr(current, a) != getattr(method, a) for a in shape):
            problems.append(f"rpc {name}/{method.name} changed its request, response or streaming")
    return problems


def breaking_changes(old: FileSet, new: FileSet) -> list[str]:
    """Every change from old to new that breaks a client or server built from old."""
    problems: list[str] = []
    kinds = ("message", "enum", "service")
    compare = (_field_changes, _enum_changes, _method_changes)
    for kind, diff, before, after in zip(kinds, compare, _index(old), _index(new), strict=True):
        for name, descriptor in before.items():
            if name not in after:
                problems.append(f"{kind} {name} removed")
            else:
                problems.extend(diff(name, descriptor, after[name]))
    return problems


def committed_descriptor_set(against: str) -> bytes | None:
    """The baseline: ``git:REF`` reads protos/descriptor_set.binpb at REF, else a file path."""
    if not against.startswith("git:"):
        path = Path(against)
        return path.read_bytes() if path.exists() else None
    spec = f"{against[4:]}:{(PROTOS / DESCRIPTOR_SET).relative_to(ROOT).as_posix()}"
    shown = subprocess.run(["git", "show", spec], cwd=ROOT, capture_output=True, check=False)  # noqa: S603, S607
    return shown.stdout if shown.returncode == 0 else None


def generate() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        descriptors = build(PROTOS, Path(tmp))
        shutil.rmtree(STUBS / PACKAGE, ignore_errors=True)
        shutil.copytree(Path(tmp) / PACKAGE, STUBS / PACKAGE)
        shutil.copyfile(descriptors, PROTOS / DESCRIPTOR_SET)
    print(f"wrote {STUBS / PACKAGE} and {PROTOS / DESCRIPTOR_SET}")
    return 0


def check(against: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        descriptors = build(PROTOS, Path(tmp))
        stale = stale_files(Path(tmp) / PACKAGE, STUBS / PACKAGE)
        if not (PROTOS / DESCRIPTOR_SET).exists() or _differs(descriptors, PROTOS / DESCRIPTOR_SET):
            stale.append(f"protos/{DESCRIPTOR_SET}")
        current = load_descriptor_set(descriptors.read_bytes())
    for path in stale:
        print(f"stale: {path}")
    baseline = committed_descriptor_set(against)
    if baseline is None and against == "git:HEAD":
        # Nothing committed yet (a fresh repository): compare with the file on disk instead.
        baseline = committed_descriptor_set(str(PROTOS / DESCRIPTOR_SET))
    if baseline is None:
        print(f"no committed descriptor set at {against}; breaking-change check skipped")
        problems = []
    else:
        problems = breaking_changes(load_descriptor_set(baseline), current)
    for problem in problems:
        print(f"breaking: {problem}")
    if stale:
        print("stubs are out of date: run `make protos`")
    ok = not stale and not problems
    print("protos: ok" if ok else "protos: FAILED")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="write the stubs and the descriptor set")
    checking = commands.add_parser("check", help="fail on stale stubs or breaking changes")
    checking.add_argument("--against", default="git:HEAD", help="git:REF or a descriptor set path")
    args = parser.parse_args(argv)
    return generate() if args.command == "generate" else check(args.against)


if __name__ == "__main__":
    raise SystemExit(main())
