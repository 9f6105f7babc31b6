"""keel_common.grpc.calls: a failed call to another service becomes the port's own error."""

from __future__ import annotations

import grpc
import pytest

from keel_common.grpc.calls import unavailable_as


class UsersUnavailable(Exception):
    pass


class _Failed(grpc.RpcError, grpc.Call):  # type: ignore[misc]
    """What a stub raises: an RpcError that is also the Call with its status."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.DEADLINE_EXCEEDED

    def details(self) -> str:
        return "Deadline Exceeded"

    def initial_metadata(self) -> None: ...
    def trailing_metadata(self) -> None: ...
    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> None: ...
    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: object) -> bool:
        return False


def test_a_failed_call_is_raised_as_the_ports_error_with_code_and_detail() -> None:
    with (
        pytest.raises(UsersUnavailable) as raised,
        unavailable_as(UsersUnavailable, "auth GetUsers"),
    ):
        raise _Failed()
    assert str(raised.value) == "auth GetUsers failed: DEADLINE_EXCEEDED: Deadline Exceeded"
    assert isinstance(raised.value.__cause__, grpc.RpcError)


def test_other_errors_pass_through() -> None:
    with pytest.raises(KeyError), unavailable_as(UsersUnavailable, "auth GetUsers"):
        raise KeyError("not a call failure")
