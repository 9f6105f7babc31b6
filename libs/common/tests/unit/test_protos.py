"""The checked-in stubs match protos/, and the breaking-change check tells safe edits apart."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[4]
AUTH = "auth/v1/auth.proto"
CHECK_PERMISSION_RPC = (
    "  rpc CheckPermission(CheckPermissionRequest) returns (CheckPermissionResponse) {\n"
    "    option idempotency_level = NO_SIDE_EFFECTS;\n  }\n"
)


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("keel_protos_script", ROOT / "scripts/protos.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


protos = _load_script()
Edit = Callable[..., list[str]]


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The descriptor set of protos/ as it is now: the baseline of every edit below."""
    built = protos.build(protos.PROTOS, tmp_path_factory.mktemp("baseline"), stubs=False)
    return protos.load_descriptor_set(built.read_bytes())


@pytest.fixture
def edit(tmp_path: Path, committed: object) -> Edit:
    """Copy protos/, apply (old, new) replacements to one file, return the breaking changes."""
    copies = iter(range(100))

    def apply(*replacements: tuple[str, str], proto: str = AUTH) -> list[str]:
        work = tmp_path / str(next(copies))
        shutil.copytree(protos.PROTOS, work / "protos")
        source = (work / "protos" / proto).read_text()
        for old, new in replacements:
            assert old in source, f"test setup: {old!r} is not in {proto}"
            source = source.replace(old, new, 1)
        (work / "protos" / proto).write_text(source)
        built = protos.build(work / "protos", work / "out", stubs=False)
        return protos.breaking_changes(committed, protos.load_descriptor_set(built.read_bytes()))

    return apply


def test_checked_in_stubs_and_descriptor_set_match_the_protos(tmp_path: Path) -> None:
    descriptors = protos.build(protos.PROTOS, tmp_path)

    assert protos.stale_files(tmp_path / "keel_protos", protos.STUBS / "keel_protos") == []
    assert descriptors.read_bytes() == (protos.PROTOS / "descriptor_set.binpb").read_bytes()


def test_an_edited_or_leftover_stub_is_reported_stale(tmp_path: Path) -> None:
    protos.build(protos.PROTOS, tmp_path)
    checked_in = tmp_path / "checked_in"
    shutil.copytree(tmp_path / "keel_protos", checked_in)
    (checked_in / "auth/v1/auth_pb2.py").write_text("# edited by hand\n")
    (checked_in / "auth/v1/leftover_pb2.py").write_text("")

    stale = protos.stale_files(tmp_path / "keel_protos", checked_in)

    assert stale == ["auth/v1/auth_pb2.py", "auth/v1/leftover_pb2.py"]


def test_stubs_import_from_keel_protos_while_proto_packages_stay_versioned() -> None:
    from keel_protos.auth.v1 import auth_pb2, auth_pb2_grpc
    from keel_protos.core.v1 import core_pb2
    from keel_protos.notification.v1 import notification_pb2
    from keel_protos.search.v1 import search_pb2

    modules = (auth_pb2, core_pb2, notification_pb2, search_pb2)
    services = [s for m in modules for s in m.DESCRIPTOR.services_by_name.values()]

    assert hasattr(auth_pb2_grpc, "AuthServiceStub")
    assert [s.full_name for s in services] == [
        "auth.v1.AuthService",
        "core.v1.CatalogService",
        "notification.v1.NotificationService",
        "search.v1.SearchService",
    ]


def test_adding_a_field_is_not_breaking(edit: Edit) -> None:
    added = "  bool email_verified = 6;\n  string locale = 9;"
    assert edit(("  bool email_verified = 6;", added)) == []


def test_removing_a_field_without_reserving_it_is_breaking(edit: Edit) -> None:
    assert edit(("  string phone = 4;  // E.164, empty when unknown\n", "")) == [
        "field auth.v1.User.phone (4) removed without reserving 4"
    ]


def test_removing_a_field_and_reserving_its_number_is_not_breaking(edit: Edit) -> None:
    assert edit(("  string phone = 4;", '  reserved 4;\n  reserved "phone";')) == []


def test_renumbering_a_field_is_breaking(edit: Edit) -> None:
    assert edit(("string phone = 4;", "string phone = 40;")) == [
        "field auth.v1.User.phone (4) renumbered to 40"
    ]


def test_changing_a_field_type_or_label_is_breaking(edit: Edit) -> None:
    assert edit(("string phone = 4;", "int64 phone = 4;")) == [
        "field auth.v1.User.phone (4) changed type"
    ]
    assert edit(("  string phone = 4;", "  repeated string phone = 4;")) == [
        "field auth.v1.User.phone (4) changed label (singular/repeated)"
    ]


def test_removing_an_rpc_is_breaking(edit: Edit) -> None:
    assert edit((CHECK_PERMISSION_RPC, "")) == ["rpc auth.v1.AuthService/CheckPermission removed"]


def test_removing_a_message_is_breaking(edit: Edit) -> None:
    problems = edit(
        (CHECK_PERMISSION_RPC, ""),
        ("message CheckPermissionResponse {\n  bool allowed = 1;\n}\n", ""),
    )

    assert "message auth.v1.CheckPermissionResponse removed" in problems


def test_removing_an_enum_value_without_reserving_it_is_breaking(edit: Edit) -> None:
    search = "search/v1/search.proto"
    removed = edit(("  SORT_ORDER_NEWEST = 2;\n", ""), proto=search)
    reserved = edit(("  SORT_ORDER_NEWEST = 2;\n", "  reserved 2;\n"), proto=search)

    assert removed == [
        "enum value search.v1.SortOrder.SORT_ORDER_NEWEST (2) removed without reserving 2"
    ]
    assert reserved == []


def test_check_command_fails_against_a_baseline_that_had_a_field_now_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "protos"
    shutil.copytree(protos.PROTOS, copy)
    source = (copy / AUTH).read_text()
    added = "  bool email_verified = 6;\n  string nickname = 8;"
    (copy / AUTH).write_text(source.replace("  bool email_verified = 6;", added))
    baseline = protos.build(copy, tmp_path / "out", stubs=False)

    assert protos.main(["check", "--against", str(baseline)]) == 1
    out = capsys.readouterr().out
    assert "breaking: field auth.v1.User.nickname (8) removed without reserving 8" in out
