"""SIGTERM drains a real server process: health turns NOT_SERVING, in-flight calls finish."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from keel_protos.auth.v1 import auth_pb2, auth_pb2_grpc

SERVER = """
import sys, time
from keel_common.grpc import create_server, serve
from keel_protos.auth.v1 import auth_pb2, auth_pb2_grpc

class Auth(auth_pb2_grpc.AuthServiceServicer):
    def GetUser(self, request, context):
        print("in-flight", flush=True)
        time.sleep(0.5)  # long enough to still be running when SIGTERM arrives
        return auth_pb2.GetUserResponse(user=auth_pb2.User(id=request.id))

server = create_server(
    "auth", 0, lambda s: auth_pb2_grpc.add_AuthServiceServicer_to_server(Auth(), s),
    service_names=["auth.v1.AuthService"], host="127.0.0.1",
)
print(server.port, flush=True)
serve(server, grace=10)
print("stopped", flush=True)
"""


def test_sigterm_flips_health_and_lets_the_call_in_flight_finish(tmp_path: Path) -> None:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    command = [sys.executable, str(script)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            port = int(process.stdout.readline())
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                health = health_pb2_grpc.HealthStub(channel)
                watch = health.Watch(health_pb2.HealthCheckRequest(), timeout=30)
                assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
                users = auth_pb2_grpc.AuthServiceStub(channel)
                call = users.GetUser.future(auth_pb2.GetUserRequest(id="u1"), timeout=30)
                assert process.stdout.readline().strip() == "in-flight"

                process.send_signal(signal.SIGTERM)

                assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
                watch.cancel()
                assert call.result().user.id == "u1"
            assert process.wait(timeout=30) == 0
            assert process.stdout.read().strip() == "stopped"
        finally:
            if process.poll() is None:
                process.kill()
