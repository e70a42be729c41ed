"""`serve` over HTTP as a process (SPEC 10, 12): the same TLS as gRPC, and SIGTERM drains HTTP calls too.

(`serve --processes N` serving HTTP on the shared port is in tests/e2e/test_serving.py.)
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.test_e2e_grpcurl import certificate_authority, start_server  # noqa: F401  (a fixture)
from tests.e2e.test_faults import EXECUTABLE, _env, make_team, migrate
from tests.support.logs import log_events
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e

LIST = "/com.coralogixapis.incidents.v1.IncidentsService/ListIncidents"


def test_https_with_the_servers_certificate_and_plain_http_refused(
    certificate_authority: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    files = certificate_authority
    http_address = f"127.0.0.1:{free_port()}"
    served = start_server(
        f"sqlite:///{tmp_path / 'tls.db'}",
        tmp_path,
        serve_args=("--tls-cert", str(files["cert"]), "--tls-key", str(files["key"]), "--http-listen", http_address),
        transport=("-cacert", str(files["ca"])),
    )
    try:
        curl = ["curl", "-sS", "--max-time", "10", "-X", "POST", "-H", "Content-Type: application/json",
                "-H", f"Authorization: Bearer {served.api_key}", "-d", "{}"]  # fmt: skip
        trusted = subprocess.run(
            [*curl, "--cacert", str(files["ca"]), f"https://{http_address}{LIST}"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert trusted.returncode == 0, trusted.stderr
        assert "pagination" in json.loads(trusted.stdout)
        plain = subprocess.run([*curl, f"http://{http_address}{LIST}"], capture_output=True, text=True, timeout=30,
                               check=False)  # fmt: skip
        assert plain.returncode != 0 or "pagination" not in plain.stdout
        untrusted = subprocess.run([*curl, f"https://{http_address}{LIST}"], capture_output=True, text=True,
                                   timeout=30, check=False)  # fmt: skip
        assert untrusted.returncode != 0
        assert "certificate" in untrusted.stderr.lower(), untrusted.stderr
    finally:
        assert served.stop() == 0, served.log_text()


def test_sigterm_finishes_an_http_call_in_flight_refuses_new_ones_and_exits_0(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drain.db'}"
    migrate(url)
    team = make_team(url, "drain")
    address, http_address = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    log = tmp_path / "serve.log"
    with log.open("ab") as sink:
        server = subprocess.Popen(
            [str(EXECUTABLE), "serve", "--listen", address, "--http-listen", http_address, "--grace-seconds", "10"],
            env=_env(url, INCIDENTS_LOG_LEVEL="INFO"), stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    host, port = http_address.split(":")
    try:
        deadline = time.monotonic() + 30
        while "serving" not in log_events(log.read_text()):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        payload = {"summary": "in flight during shutdown", "severity": "error"}
        event = {"routing_key": team.api_key, "event_action": "trigger", "dedup_key": "drain", "payload": payload}
        body = json.dumps(event).encode()
        # A request in flight: its headers and half its body are sent when SIGTERM arrives.
        in_flight = socket.create_connection((host, int(port)), timeout=10)
        in_flight.sendall(
            f"POST /v2/enqueue HTTP/1.1\r\nHost: {http_address}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[: len(body) // 2]
        )
        time.sleep(0.3)
        server.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # New connections are refused once shutdown has begun.
        with pytest.raises(OSError):
            socket.create_connection((host, int(port)), timeout=2).close()
        in_flight.sendall(body[len(body) // 2 :])
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = in_flight.recv(65536)
            if not chunk:
                break
            answer += chunk
        in_flight.close()
        assert answer.startswith(b"HTTP/1.1 202"), answer
        assert b'"dedup_key":"drain"' in answer
        assert server.wait(timeout=30) == 0, log.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
