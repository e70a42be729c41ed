"""Server assembly: health follows the database, TLS when configured, one log line per call, settings."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from incidents_service import logs
from incidents_service.config import Settings
from incidents_service.domain.errors import StorageUnavailable
from incidents_service.operations import IncidentOperations
from incidents_service.server import SERVICE_NAMES, DatabaseHealth
from incidents_service.storage.database import create_database_engine
from tests.builders import alert, get, report
from tests.conftest import BackgroundServer

UNREACHABLE_POSTGRES = "postgresql://nobody@127.0.0.1:1/incidents"


def test_health_is_not_serving_while_the_database_does_not_answer():
    engine = create_database_engine(UNREACHABLE_POSTGRES)

    async def probe_and_check() -> list[int]:
        servicer = health.aio.HealthServicer()
        with ThreadPoolExecutor(1) as executor:
            assert await DatabaseHealth(engine, servicer, executor).probe() is False
        answers = [
            await servicer.Check(health_pb2.HealthCheckRequest(service=name), None) for name in ("", *SERVICE_NAMES)
        ]
        return [answer.status for answer in answers]

    assert set(asyncio.run(probe_and_check())) == {health_pb2.HealthCheckResponse.NOT_SERVING}


def test_health_is_serving_while_the_database_answers(server):
    stub = health_pb2_grpc.HealthStub(server.channel)
    for name in ("", *SERVICE_NAMES):
        answer = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_an_unreachable_database_is_reported_unavailable_quickly():
    operations = IncidentOperations(create_database_engine(UNREACHABLE_POSTGRES))
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        operations.get_incident("team", "incident")
    assert time.monotonic() - started < 10


def test_every_call_logs_one_json_line_with_method_code_and_team_but_never_the_key(client, caplog):
    with caplog.at_level(logging.INFO, logger="incidents_service.calls"):
        client.ingestion.ReportAlertEvents(report(alert("log-key", "log-event")))
        with pytest.raises(grpc.RpcError):
            client.incidents.GetIncident(get("missing-incident"))
    formatter = logs.formatter()
    lines = [formatter.format(record) for record in caplog.records if record.name == "incidents_service.calls"]
    assert len(lines) == 2
    assert all(client.api_key not in line for line in lines)
    report_line, get_line = (json.loads(line) for line in lines)
    assert report_line["event"] == get_line["event"] == "rpc"
    assert report_line["method"] == "/incidents_service.v1.AlertIngestionService/ReportAlertEvents"
    assert (report_line["code"], get_line["code"]) == ("OK", "NOT_FOUND")
    assert get_line["method"] == "/com.coralogixapis.incidents.v1.IncidentsService/GetIncident"
    assert get_line["team"] == client.team_name and get_line["principal"] == client.principal
    assert get_line["level"] == "info" and isinstance(get_line["duration_ms"], float)
    assert datetime.fromisoformat(get_line["timestamp"]).tzinfo is not None


def test_settings_reject_half_a_tls_configuration_and_bad_listen_addresses():
    assert Settings(tls_cert="cert.pem").problems()
    assert Settings(listen="no-port").problems()
    assert Settings(workers=0).problems()
    assert Settings().problems() == []


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_with_a_certificate_the_server_speaks_tls_only(engine, database_url, certificate):
    cert, key = certificate
    settings = Settings(
        database_url=database_url, listen="127.0.0.1:0", tls_cert=str(cert), tls_key=str(key), workers=2
    )
    background = BackgroundServer(settings, engine)
    port = background.start()
    try:
        credentials = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
        with grpc.secure_channel(f"localhost:{port}", credentials) as channel:
            answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel, pytest.raises(grpc.RpcError) as refused:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=3)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        background.stop()
