import uuid

import grpc
import pytest
from flask import Flask, jsonify

from keel_common.auth import (
    FakeTokenVerifier,
    bearer_metadata,
    install_token_verifier,
    principal_from_context,
    require_principal,
)
from keel_common.http import create_app
from keel_common.settings import ServiceSettings


@pytest.fixture
def verifier() -> FakeTokenVerifier:
    return FakeTokenVerifier()


@pytest.fixture
def app(verifier: FakeTokenVerifier) -> Flask:
    app = create_app("test", ServiceSettings(service_name="test"))
    install_token_verifier(app, verifier)

    @app.get("/v1/test/me")
    def me() -> object:
        principal = require_principal()
        return jsonify(user_id=str(principal.user_id), roles=sorted(principal.roles))

    return app


def test_a_valid_bearer_token_gives_the_principal(app: Flask, verifier: FakeTokenVerifier) -> None:
    user_id = uuid.uuid4()
    token = verifier.issue(user_id=user_id, roles=["user"])

    response = app.test_client().get("/v1/test/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.json == {"user_id": str(user_id), "roles": ["user"]}


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a b", "token"]
)
def test_a_missing_or_malformed_header_is_a_401_problem(app: Flask, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = app.test_client().get("/v1/test/me", headers=headers)

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json["status"] == 401


def test_an_invalid_token_is_a_401_with_invalid_token(
    app: Flask, verifier: FakeTokenVerifier
) -> None:
    token = verifier.issue()
    verifier.revoke(verifier.verify(token).session_id)

    response = app.test_client().get("/v1/test/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert token not in response.get_data(as_text=True)


class Aborted(Exception):
    pass


class FakeContext:
    def __init__(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self._metadata = metadata
        self.code: grpc.StatusCode | None = None

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.code = code
        raise Aborted(details)


def test_grpc_metadata_carries_the_principal(verifier: FakeTokenVerifier) -> None:
    user_id = uuid.uuid4()
    context = FakeContext(bearer_metadata(verifier.issue(user_id=user_id)))

    principal = principal_from_context(context, verifier)  # type: ignore[arg-type]

    assert principal.user_id == user_id


@pytest.mark.parametrize("metadata", [(), (("authorization", "Bearer nope"),)])
def test_grpc_without_a_valid_token_is_unauthenticated(
    verifier: FakeTokenVerifier, metadata: tuple[tuple[str, str], ...]
) -> None:
    context = FakeContext(metadata)
    with pytest.raises(Aborted):
        principal_from_context(context, verifier)  # type: ignore[arg-type]
    assert context.code is grpc.StatusCode.UNAUTHENTICATED


def test_a_route_may_verify_with_its_own_verifier_and_keeps_nothing(
    app: Flask, verifier: FakeTokenVerifier
) -> None:
    """A route whose use case checks the session itself verifies the signature only; what
    its verifier accepted must not serve a later ``require_principal()`` of the request."""
    lenient = FakeTokenVerifier()
    token = lenient.issue(user_id=uuid.uuid4(), roles=["user"])
    seen: list[object] = []

    @app.get("/v1/test/lenient")
    def lenient_route() -> object:
        seen.append(require_principal(lenient).user_id)
        require_principal()  # the app's verifier: it does not know the token
        return jsonify()

    response = app.test_client().get(
        "/v1/test/lenient", headers={"Authorization": f"Bearer {token}"}
    )

    assert len(seen) == 1
    assert response.status_code == 401
