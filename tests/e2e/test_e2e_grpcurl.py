"""End to end: the real `incidents-service` processes, called with the real grpcurl binary.

The server runs as `incidents-service serve` (the console script of this virtualenv) on a scratch SQLite
file and on a scratch PostgreSQL database, after `incidents-service migrate`. The command-line tests
check that every failure is one `error:` line (or argparse's usage), never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from incidents_service.domain.queries import DEFAULT_ORDER, IncidentFilter, PageRequest
from incidents_service.operations import IncidentOperations
from incidents_service.storage.database import create_database_engine
from incidents_service.storage.unit_of_work import UnitOfWork
from tests.support.logs import log_events
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
CLI = BIN / "incidents-service"
GRPCURL = BIN / "grpcurl"
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/x"
INCIDENTS = "com.coralogixapis.incidents.v1.IncidentsService"
INGESTION = "incidents_service.v1.AlertIngestionService"
MANAGEMENT = "incidents_service.v1.IncidentManagementService"
NOTES = "incidents_service.v1.IncidentNotesService"
INSIGHTS = "incidents_service.v1.IncidentInsightsService"
ALERTS = "incidents_service.v1.IncidentAlertsService"
ALERT_SETTINGS = "incidents_service.v1.AlertSettingsService"
MAINTENANCE = "incidents_service.v1.MaintenanceWindowsService"
CORRELATION = "incidents_service.v1.CorrelationRulesService"
KEY_PATTERN = re.compile(r"ik_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any INCIDENTS_* setting of the developer's shell."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("INCIDENTS_")}
    env.update(extra)
    return env


def cli(*args: str, database_url: str | None = None, cwd: Path | None = None, **env: str):
    if database_url is not None:
        env["INCIDENTS_DATABASE_URL"] = database_url
    return subprocess.run(
        [str(CLI), *args],
        env=clean_env(**env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cli_ok(*args: str, database_url: str, cwd: Path | None = None) -> str:
    result = cli(*args, database_url=database_url, cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def grpcurl(
    address: str, *args: str, key: str | None = None, data: Any = None, transport: tuple[str, ...] = ("-plaintext",)
):
    command = [str(GRPCURL), *transport, "-max-time", "20"]
    if key is not None:
        command += ["-H", f"authorization: Bearer {key}"]
    if data is not None:
        command += ["-d", json.dumps(data)]
    return subprocess.run([*command, address, *args], capture_output=True, text=True, timeout=60, check=False)


def grpcurl_json(address: str, method: str, key: str, data: Any = None) -> dict[str, Any]:
    result = grpcurl(address, method, key=key, data=data)
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


# ---- the served process ----------------------------------------------------------------------


@dataclass
class ServedProcess:
    process: subprocess.Popen[bytes]
    address: str
    api_key: str
    team: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                pytest.fail(f"the server did not stop within 30 s of SIGTERM:\n{self.log_text()}")
        return self.process.returncode


def start_server(
    database_url: str, work: Path, serve_args: tuple[str, ...] = (), transport: tuple[str, ...] = ("-plaintext",)
) -> ServedProcess:
    cli_ok("migrate", database_url=database_url)
    team = f"e2e-{uuid.uuid4().hex[:10]}"
    cli_ok("teams", "create", team, database_url=database_url)
    api_key = cli_ok(
        "api-keys", "create", "--team", team, "--principal", "e2e@ci", "--quiet", database_url=database_url
    ).strip()
    address = f"127.0.0.1:{free_port()}"
    log = work / f"server-{team}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(CLI), "serve", "--listen", address, "--http-listen", "", "--grace-seconds", "5", *serve_args],
            env=clean_env(INCIDENTS_DATABASE_URL=database_url),
            cwd=work,
            stdout=log_file,
            stderr=log_file,
        )
    served = ServedProcess(process, address, api_key, team, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{served.log_text()}")
        health = grpcurl(address, "grpc.health.v1.Health/Check", transport=transport)
        if health.returncode == 0 and '"SERVING"' in health.stdout:
            return served
        time.sleep(0.2)
    served.stop()
    pytest.fail(f"the server did not report SERVING within 30 s:\n{served.log_text()}")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('e2e-sqlite') / 'incidents.db'}"
    url: str = request.getfixturevalue("postgres_database_url")
    return url


@pytest.fixture(scope="module")
def served(backend_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    process = start_server(backend_url, tmp_path_factory.mktemp("e2e-serve"))
    yield process
    assert process.stop() == 0, process.log_text()


def test_reflection_lists_every_service(served):
    result = grpcurl(served.address, "list")
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {
        INCIDENTS,
        INGESTION,
        MANAGEMENT,
        NOTES,
        INSIGHTS,
        "incidents_service.v1.NotificationRulesService",
        "incidents_service.v1.IncidentActionsService",
        ALERTS,
        ALERT_SETTINGS,
        MAINTENANCE,
        CORRELATION,
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }


def test_describe_shows_the_doc_comments(served):
    rpc = grpcurl(served.address, "describe", f"{INCIDENTS}.AcknowledgeIncidents")
    assert rpc.returncode == 0, rpc.stderr
    assert "// Acknowledges incidents: status TRIGGERED becomes ACKNOWLEDGED" in rpc.stdout
    message = grpcurl(served.address, "describe", "incidents_service.v1.AlertEvent")
    assert message.returncode == 0, message.stderr
    assert "// Required. Identifies the alerting condition" in message.stdout
    percentiles = grpcurl(served.address, "describe", "incidents_service.v1.DurationStatistics")
    assert percentiles.returncode == 0, percentiles.stderr
    assert "// Percentiles use the nearest-rank definition" in percentiles.stdout


def test_health_is_serving(served):
    for service in ("", INCIDENTS, INGESTION, MANAGEMENT, NOTES, INSIGHTS):
        result = grpcurl_health(served.address, service)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"status": "SERVING"}


def grpcurl_health(address: str, service: str) -> subprocess.CompletedProcess[str]:
    return grpcurl(address, "grpc.health.v1.Health/Check", data={"service": service})


def test_report_list_get_delete(served):
    event = {
        "correlation_key": "e2e-checkout-latency",
        "cx_event_key": f"e2e-{uuid.uuid4().hex}",
        "state_type": "UPSERT_INCIDENT_STATE_TYPE_TRIGGERED",
        "name": "Checkout p99 latency above 2s",
        "severity": "INCIDENT_SEVERITY_ERROR",
        "contextual_labels": {"service": "checkout"},
        "application_name": "shop",
    }
    report = grpcurl_json(served.address, f"{INGESTION}/ReportAlertEvents", served.api_key, {"events": [event]})
    [result] = report["results"]
    assert result["outcome"] == "CREATED"
    incident_id = result["incidentId"]

    again = grpcurl_json(served.address, f"{INGESTION}/ReportAlertEvents", served.api_key, {"events": [event]})
    assert again["results"] == [{"incidentId": incident_id, "outcome": "DUPLICATE"}]

    listed = grpcurl_json(served.address, f"{INCIDENTS}/ListIncidents", served.api_key, {})
    assert listed["pagination"]["totalSize"] == 1
    [incident] = listed["incidents"]
    assert incident["id"] == incident_id
    assert incident["status"] == "INCIDENT_STATUS_TRIGGERED"
    assert incident["displayLabels"]["application_name"] == "shop"

    got = grpcurl_json(served.address, f"{INCIDENTS}/GetIncident", served.api_key, {"id": incident_id})
    assert got["incident"]["name"] == "Checkout p99 latency above 2s"
    assert got["incident"]["severity"] == "INCIDENT_SEVERITY_ERROR"
    assert [e["incidentEventType"] for e in got["incident"]["events"]] == [
        "INCIDENT_EVENT_TYPE_OPEN",
        "INCIDENT_EVENT_TYPE_UPSERT_STATE",
    ]

    deleted = grpcurl_json(
        served.address, f"{INCIDENTS}/DeleteIncidents", served.api_key, {"incident_ids": [incident_id]}
    )
    assert deleted == {"deletedIds": [incident_id]}
    missing = grpcurl(served.address, f"{INCIDENTS}/GetIncident", key=served.api_key, data={"id": incident_id})
    assert missing.returncode != 0
    assert "Code: NotFound" in missing.stderr
    after = grpcurl_json(served.address, f"{INCIDENTS}/ListIncidents", served.api_key, {})
    assert after.get("incidents", []) == []
    assert after["pagination"].get("totalSize", 0) == 0


@pytest.mark.parametrize("key", [None, "ik_000000000000_not-a-real-key", "not a bearer token"])
def test_a_call_without_a_valid_key_is_unauthenticated(served, key):
    result = grpcurl(served.address, f"{INCIDENTS}/ListIncidents", key=key, data={})
    assert result.returncode != 0
    assert "Code: Unauthenticated" in result.stderr
    assert "Traceback" not in served.log_text()


def test_sigterm_stops_the_server_with_exit_code_0(served):
    # Runs last for each backend: the module's other tests have used the same process.
    assert served.stop() == 0, served.log_text()
    events = log_events(served.log_text())
    assert events[0] == "serving" and events[-2:] == ["shutdown", "stopped"]
    assert events.count("shutdown") == 1


# ---- the command line ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'incidents.db'}"
    cli_ok("migrate", database_url=url)
    cli_ok("teams", "create", "cli-team", database_url=url)
    return url


def assert_one_error_line(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if lines and lines[0].startswith("usage:"):
        assert ": error: " in lines[-1], result.stderr  # argparse: usage, then one error line
    else:
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr


UNREACHABLE_COMMANDS = [
    ["migrate"],
    ["serve"],
    ["teams", "create", "nobody"],
    ["teams", "list"],
    ["api-keys", "create", "--team", "nobody", "--principal", "p"],
    ["api-keys", "list"],
    ["api-keys", "revoke", "abc"],
    ["demo", "--team", "nobody"],
    ["dev-setup"],
]


@pytest.mark.parametrize("args", UNREACHABLE_COMMANDS, ids=" ".join)
def test_an_unreachable_database_is_one_error_line(args, tmp_path):
    result = cli(*args, "--database-url", UNREACHABLE, cwd=tmp_path)
    assert_one_error_line(result)
    assert "database" in result.stderr


BAD_ARGUMENTS = [
    [],
    ["bogus"],
    ["teams"],
    ["api-keys", "create", "--team", "cli-team"],
    ["serve", "--workers", "many"],
    ["serve", "--workers", "0"],
    ["serve", "--listen", "no-port"],
    ["serve", "--log-level", "LOUD"],
    ["serve", "--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"],
    ["serve", "--tls-cert", "/nonexistent/cert.pem"],
    ["teams", "create", " "],
    ["teams", "create", "cli-team"],
    ["api-keys", "create", "--team", "no-such-team", "--principal", "p"],
    ["api-keys", "create", "--team", "cli-team", "--principal", "p", "--permissions", "incidents:everything"],
    ["api-keys", "create", "--team", "cli-team", "--principal", " "],
    ["api-keys", "revoke", "no-such-key"],
    ["demo", "--team", "no-such-team"],
    ["demo", "--team", "cli-team", "--incidents", "0"],
    ["demo", "--team", "cli-team", "--incidents", "lots"],
]


@pytest.mark.parametrize("args", BAD_ARGUMENTS, ids=lambda args: " ".join(args) or "no-arguments")
def test_bad_arguments_are_one_error_line(args, migrated_sqlite, tmp_path):
    assert_one_error_line(cli(*args, database_url=migrated_sqlite, cwd=tmp_path))


@pytest.mark.parametrize(
    ("database_url", "env"),
    [
        ("mysql://user@127.0.0.1/db", {}),
        ("sqlite:////nonexistent-folder/incidents.db", {}),
        (None, {"INCIDENTS_WORKERS": "many"}),
        (None, {"INCIDENTS_GRACE_SECONDS": "soon"}),
    ],
    ids=["unsupported-url", "sqlite-folder-missing", "bad-workers-env", "bad-grace-env"],
)
def test_bad_settings_are_one_error_line(database_url, env, tmp_path):
    for args in (["migrate"], ["serve"]):
        assert_one_error_line(cli(*args, database_url=database_url, cwd=tmp_path, **env))


def test_commands_on_an_unmigrated_database_ask_for_migrate(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    for args in (["serve"], ["teams", "list"], ["api-keys", "list"], ["demo", "--team", "x"]):
        result = cli(*args, database_url=url, cwd=tmp_path)
        assert_one_error_line(result)
        assert "migrate" in result.stderr


def test_api_keys_create_quiet_prints_only_the_secret(migrated_sqlite):
    out = cli_ok(
        "api-keys",
        "create",
        "--team",
        "cli-team",
        "--principal",
        "bot",
        "--quiet",
        database_url=migrated_sqlite,
    )
    assert KEY_PATTERN.fullmatch(out.strip()), out
    assert out.count("\n") == 1
    listed = cli_ok("api-keys", "list", database_url=migrated_sqlite)
    key_id = out.split("_")[1]
    assert key_id in listed and out.strip() not in listed
    assert f"revoked API key {key_id}" in cli_ok("api-keys", "revoke", key_id, database_url=migrated_sqlite)


def test_dev_setup_twice_reuses_the_key_in_a_0600_file(tmp_path):
    # The defaults of `make run`: sqlite:///incidents.db in the working folder.
    first = cli("dev-setup", cwd=tmp_path)
    second = cli("dev-setup", cwd=tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    key_file = tmp_path / ".incidents-dev-key"
    key = key_file.read_text().strip()
    assert KEY_PATTERN.fullmatch(key)
    assert key in first.stdout and key in second.stdout
    assert "127.0.0.1:50051" in first.stdout
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (tmp_path / "incidents.db").exists()
    teams = cli("teams", "list", cwd=tmp_path).stdout.splitlines()
    assert [line.split("\t")[0] for line in teams] == ["default"]
    keys = cli("api-keys", "list", cwd=tmp_path).stdout.splitlines()[1:]
    assert len(keys) == 1


def test_dev_setup_replaces_a_revoked_key(tmp_path):
    assert cli("dev-setup", cwd=tmp_path).returncode == 0
    old_key = (tmp_path / ".incidents-dev-key").read_text().strip()
    assert cli("api-keys", "revoke", old_key.split("_")[1], cwd=tmp_path).returncode == 0
    assert cli("dev-setup", cwd=tmp_path).returncode == 0
    new_key = (tmp_path / ".incidents-dev-key").read_text().strip()
    assert new_key != old_key and KEY_PATTERN.fullmatch(new_key)
    assert stat.S_IMODE((tmp_path / ".incidents-dev-key").stat().st_mode) == 0o600


def team_incidents(engine: Engine, team_name: str) -> list[Any]:
    with UnitOfWork(engine, team_id="", write=False) as uow:
        team = uow.access.team_by_name(team_name)
    assert team is not None
    page = IncidentOperations(engine).list_incidents(team.id, IncidentFilter(), DEFAULT_ORDER, PageRequest(size=1000))
    assert page.total_size == len(page.items)
    return page.items


def test_demo_loads_incidents_and_can_run_twice(backend_url):
    team = f"demo-{uuid.uuid4().hex[:10]}"
    cli_ok("migrate", database_url=backend_url)
    cli_ok("teams", "create", team, database_url=backend_url)
    started = time.monotonic()
    out = cli_ok("demo", "--team", team, "--incidents", "120", database_url=backend_url)
    assert time.monotonic() - started < 60
    assert out.count("\n") == 1 and out.startswith("loaded 120 demo incidents"), out
    engine = create_database_engine(backend_url)
    try:
        incidents = team_incidents(engine, team)
        assert len(incidents) == 120
        assert {i.contextual_labels["service"] for i in incidents} >= {
            "checkout",
            "payments",
            "search",
            "auth",
        }
        assert len({i.severity for i in incidents}) >= 4
        assert any(i.closed_at is not None for i in incidents)
        assert any(i.closed_at is None and i.status.value == "RESOLVED" for i in incidents)
        assert any(i.status.value == "ACKNOWLEDGED" for i in incidents)
        assert any(i.assigned_to for i in incidents)
        assert all(i.application_name and i.subsystem_name and i.meta_labels for i in incidents)

        cli_ok("demo", "--team", team, "--incidents", "30", database_url=backend_url)
        assert len(team_incidents(engine, team)) == 150
    finally:
        engine.dispose()


# ---- TLS -----------------------------------------------------------------------------------------


@pytest.fixture
def certificate_authority(tmp_path: Path) -> dict[str, Path]:
    """A private CA and a server certificate it signed for localhost and 127.0.0.1 (openssl)."""
    if shutil.which("openssl") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the TLS test needs openssl")
        pytest.skip("openssl is not installed")
    files = {name: tmp_path / f"{name}.pem" for name in ("ca_key", "ca", "key", "csr", "cert")}
    extensions = tmp_path / "san.ext"
    extensions.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=incidents test CA",
            "-keyout", str(files["ca_key"]), "-out", str(files["ca"]))  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", str(files["key"]), "-out", str(files["csr"]))  # fmt: skip
    openssl("x509", "-req", "-in", str(files["csr"]), "-CA", str(files["ca"]), "-CAkey", str(files["ca_key"]),
            "-CAcreateserial", "-days", "1", "-extfile", str(extensions), "-out", str(files["cert"]))  # fmt: skip
    return files


def test_with_a_certificate_grpcurl_with_the_ca_works_and_plaintext_is_refused(certificate_authority, tmp_path):
    files = certificate_authority
    with_ca = ("-cacert", str(files["ca"]))
    served = start_server(
        f"sqlite:///{tmp_path / 'tls.db'}",
        tmp_path,
        serve_args=("--tls-cert", str(files["cert"]), "--tls-key", str(files["key"])),
        transport=with_ca,
    )
    try:
        created = grpcurl(
            served.address,
            f"{MANAGEMENT}/CreateIncident",
            key=served.api_key,
            data={"name": "over TLS"},
            transport=with_ca,
        )
        assert created.returncode == 0, created.stderr
        incident_id = json.loads(created.stdout)["incident"]["id"]
        listed = grpcurl(served.address, f"{INCIDENTS}/ListIncidents", key=served.api_key, transport=with_ca)
        assert listed.returncode == 0, listed.stderr
        assert [i["id"] for i in json.loads(listed.stdout)["incidents"]] == [incident_id]

        plaintext = grpcurl(served.address, f"{INCIDENTS}/ListIncidents", key=served.api_key)
        assert plaintext.returncode != 0 and "ListIncidents" not in plaintext.stdout
        # Without the CA the server's certificate is not trusted: the client refuses to talk.
        untrusted = grpcurl(served.address, "list", transport=())
        assert untrusted.returncode != 0
        assert "certificate" in untrusted.stderr.lower(), untrusted.stderr
    finally:
        assert served.stop() == 0, served.log_text()
