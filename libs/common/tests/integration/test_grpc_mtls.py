"""Service-to-service mTLS over loopback: real TLS handshakes with certificates from a CA the
test makes, the caller identity read from them, and the per-method allowlist."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from keel_common.discovery import StaticDiscovery
from keel_common.grpc import (
    Callers,
    KeelServer,
    MutualTls,
    ServerSecurity,
    channel_for,
    create_server,
    mutual_tls,
)
from keel_common.testing.certificates import IssuedCertificate, TestCertificateAuthority
from keel_protos.auth.v1 import auth_pb2, auth_pb2_grpc
from keel_protos.core.v1 import core_pb2, core_pb2_grpc

SERVICE = "auth.v1.AuthService"
CATALOG = "core.v1.CatalogService"
CALLERS: Callers = {
    SERVICE: {"GetUsers": ("core", "notification"), "GetUser": ()},
    CATALOG: {"ListProducts": ("search",)},
}


class Auth(auth_pb2_grpc.AuthServiceServicer):
    def GetUsers(self, request: Any, context: grpc.ServicerContext) -> Any:
        return auth_pb2.GetUsersResponse(users=[auth_pb2.User(id=i) for i in request.ids])

    def GetUser(self, request: Any, context: grpc.ServicerContext) -> Any:
        return auth_pb2.GetUserResponse(user=auth_pb2.User(id=request.id))


class Catalog(core_pb2_grpc.CatalogServiceServicer):
    def ListProducts(self, request: Any, context: grpc.ServicerContext) -> Any:
        yield core_pb2.Product(id="p1")
        yield core_pb2.Product(id="p2")


def register(server: grpc.Server) -> None:
    auth_pb2_grpc.add_AuthServiceServicer_to_server(Auth(), server)
    core_pb2_grpc.add_CatalogServiceServicer_to_server(Catalog(), server)


def tls(issued: IssuedCertificate) -> MutualTls:
    return MutualTls(issued.certificate, issued.private_key, issued.ca)


@pytest.fixture(scope="module")
def ca() -> TestCertificateAuthority:
    return TestCertificateAuthority()


@pytest.fixture
def server(ca: TestCertificateAuthority) -> Iterator[KeelServer]:
    security = ServerSecurity(tls=tls(ca.issue("auth")), reflection=False, health_port=0)
    running = create_server(
        "auth",
        0,
        register,
        service_names=[SERVICE, CATALOG],
        host="127.0.0.1",
        max_workers=4,
        security=security,
        callers=CALLERS,
    )
    running.start()
    yield running
    running.drain(grace=0)


def users_as(server: KeelServer, credentials: MutualTls | None) -> auth_pb2_grpc.AuthServiceStub:
    discovery = StaticDiscovery({"auth": f"127.0.0.1:{server.port}"})
    return auth_pb2_grpc.AuthServiceStub(channel_for("auth", discovery, timeout=5, tls=credentials))


def code_of(call: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as failed:
        call()
    return failed.value.code()


def test_an_allowed_caller_gets_its_answer(server, ca) -> None:
    core = users_as(server, tls(ca.issue("core")))

    answer = core.GetUsers(auth_pb2.GetUsersRequest(ids=["u1"]))

    assert [user.id for user in answer.users] == ["u1"]


def test_another_service_certificate_is_denied_the_method(server, ca) -> None:
    search = users_as(server, tls(ca.issue("search")))

    code = code_of(lambda: search.GetUsers(auth_pb2.GetUsersRequest(ids=["u1"])))

    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_a_method_nobody_is_listed_for_is_denied_even_to_trusted_callers(server, ca) -> None:
    core = users_as(server, tls(ca.issue("core")))

    code = code_of(lambda: core.GetUser(auth_pb2.GetUserRequest(id="u1")))

    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_a_stream_answers_only_its_allowed_caller(server, ca) -> None:
    # The one test server holds auth's certificate, so the channels verify it as "auth".
    address = StaticDiscovery({"auth": f"127.0.0.1:{server.port}"})
    search = channel_for("auth", address, tls=tls(ca.issue("search")))
    notification = channel_for("auth", address, tls=tls(ca.issue("notification")))
    request = core_pb2.ListProductsRequest()

    products = list(core_pb2_grpc.CatalogServiceStub(search).ListProducts(request, timeout=5))
    denied = code_of(
        lambda: list(
            core_pb2_grpc.CatalogServiceStub(notification).ListProducts(request, timeout=5)
        )
    )

    assert [p.id for p in products] == ["p1", "p2"]
    assert denied == grpc.StatusCode.PERMISSION_DENIED


def test_a_caller_without_a_certificate_is_refused(server, ca) -> None:
    plaintext = users_as(server, None)
    with grpc.secure_channel(
        f"127.0.0.1:{server.port}",
        grpc.ssl_channel_credentials(root_certificates=ca.pem),
        options=[("grpc.ssl_target_name_override", "auth")],
    ) as channel:
        anonymous_tls = auth_pb2_grpc.AuthServiceStub(channel)
        request = auth_pb2.GetUsersRequest(ids=["u1"])

        assert code_of(lambda: plaintext.GetUsers(request)) == grpc.StatusCode.UNAVAILABLE
        assert code_of(lambda: anonymous_tls.GetUsers(request, timeout=5)) == (
            grpc.StatusCode.UNAVAILABLE
        )


def test_a_certificate_from_another_ca_is_refused(server) -> None:
    impostor = users_as(server, tls(TestCertificateAuthority("rogue").issue("core")))

    code = code_of(lambda: impostor.GetUsers(auth_pb2.GetUsersRequest(ids=["u1"])))

    assert code == grpc.StatusCode.UNAVAILABLE


def test_a_server_whose_certificate_names_another_service_is_not_trusted(ca) -> None:
    # A compromised search pod registering itself as "auth" in discovery.
    security = ServerSecurity(tls=tls(ca.issue("search")), reflection=False)
    fake = create_server(
        "auth",
        0,
        lambda s: auth_pb2_grpc.add_AuthServiceServicer_to_server(Auth(), s),
        service_names=[SERVICE],
        host="127.0.0.1",
        security=security,
        callers=CALLERS,
    )
    fake.start()
    try:
        core = users_as(fake, tls(ca.issue("core")))
        code = code_of(lambda: core.GetUsers(auth_pb2.GetUsersRequest(ids=["u1"])))
    finally:
        fake.drain(grace=0)

    assert code == grpc.StatusCode.UNAVAILABLE


def test_probes_get_health_in_the_clear_and_nothing_else(server) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{server.health_port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        status = health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=5).status
        users = auth_pb2_grpc.AuthServiceStub(channel)
        code = code_of(lambda: users.GetUsers(auth_pb2.GetUsersRequest(ids=["u1"]), timeout=5))

    assert status == health_pb2.HealthCheckResponse.SERVING
    assert code == grpc.StatusCode.UNIMPLEMENTED


def test_reflection_is_off_outside_development(server, ca) -> None:
    core = tls(ca.issue("core"))
    with grpc.secure_channel(
        f"127.0.0.1:{server.port}",
        core.channel_credentials(),
        options=[("grpc.ssl_target_name_override", "auth")],
    ) as channel:
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")

        code = code_of(lambda: list(reflection.ServerReflectionInfo(iter([request]), timeout=5)))

    assert code == grpc.StatusCode.UNIMPLEMENTED


class Settings:
    def __init__(self, environment: str, **files: str) -> None:
        self.environment = environment
        for name in ("grpc_tls_cert_file", "grpc_tls_key_file", "grpc_tls_ca_file"):
            setattr(self, name, files.get(name, ""))


def test_settings_read_the_mounted_files(tmp_path: Path, ca) -> None:
    directory = ca.issue("core").write(tmp_path / "core")
    settings = Settings(
        "production",
        grpc_tls_cert_file=str(directory / "tls.crt"),
        grpc_tls_key_file=str(directory / "tls.key"),
        grpc_tls_ca_file=str(directory / "ca.crt"),
    )

    loaded = mutual_tls(settings)

    assert loaded is not None and loaded.ca == ca.pem


def test_only_development_may_run_without_certificates() -> None:
    from keel_common.settings import ConfigError

    assert mutual_tls(Settings("development")) is None
    with pytest.raises(ConfigError) as production:
        mutual_tls(Settings("production"))
    with pytest.raises(ConfigError) as partial:
        mutual_tls(Settings("development", grpc_tls_cert_file="/x/tls.crt"))

    assert "GRPC_TLS_CA_FILE" in production.value.problems
    assert set(partial.value.problems) == {"GRPC_TLS_KEY_FILE", "GRPC_TLS_CA_FILE"}
