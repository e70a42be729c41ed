"""Every rpc as JSON over Connect (SPEC 12): curl, `buf curl` and grpcurl get the same answers and errors.

The server of the session fixture serves gRPC and HTTP from one event loop; the tests call the same
incidents through both and compare the parsed JSON. Both databases.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc

from incidents_service import auth
from tests.builders import alert, get, report
from tests.conftest import Client, RunningServer, TeamFactory
from tests.http_calls import call, connect, error_details, rpc_path, without
from tests.spec import READ_RPCS, SPEC_PERMISSIONS

BIN = Path(sys.executable).parent
GRPCURL = BIN / "grpcurl"
BUF = BIN / "buf"
SCHEMA = Path(__file__).resolve().parents[2] / "generated" / "incidents_service_api" / "descriptor_set.binpb"
# Incidents' `duration` grows between two calls; everything else must be equal.
CHANGING = ("duration",)
INCIDENTS = "com.coralogixapis.incidents.v1.IncidentsService"
# Where each rpc of the SPEC's permission table is served (its service, from the server's own table).
PATH_OF = {path.rsplit("/", 1)[-1]: path for path in auth.METHOD_PERMISSIONS}


def grpcurl(server: RunningServer, key: str, method: str, body: dict[str, Any]) -> tuple[int, Any]:
    result = subprocess.run(
        [str(GRPCURL), "-plaintext", "-format-error", "-H", f"authorization: Bearer {key}", "-d", json.dumps(body),
         server.address, method],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return result.returncode, json.loads(result.stdout if result.returncode == 0 else result.stderr)


def buf_curl(server: RunningServer, key: str, method: str, body: dict[str, Any]) -> tuple[int, Any]:
    result = subprocess.run(
        [str(BUF), "curl", "--schema", str(SCHEMA), "--protocol", "connect", "-H", f"Authorization: Bearer {key}",
         "-d", json.dumps(body), f"{server.http_url}/{method}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return result.returncode, json.loads(result.stdout if result.returncode == 0 else result.stderr)


def curl(server: RunningServer, key: str, method: str, body: dict[str, Any]) -> tuple[int, Any]:
    result = subprocess.run(
        ["curl", "-sS", "-X", "POST", "-H", f"Authorization: Bearer {key}", "-H", "Content-Type: application/json",
         "-d", json.dumps(body), "-w", "\n%{http_code}", f"{server.http_url}/{method}"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    text, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(text)


def open_incident(client: Client, name: str = "Checkout latency") -> str:
    key = f"http-{uuid.uuid4().hex[:8]}"
    results = client.ingestion.ReportAlertEvents(report(alert(key, f"{key}-1", name=name, severity=3))).results
    incident_id: str = results[0].incident_id
    return incident_id


@pytest.mark.e2e
def test_list_get_acknowledge_answer_as_grpcurl_prints(server: RunningServer, client: Client) -> None:
    incident_id = open_incident(client)
    key = client.api_key
    calls = [
        (f"{INCIDENTS}/ListIncidents", {"pagination": {"page_size": 5}}),
        (f"{INCIDENTS}/GetIncident", {"id": incident_id}),
        # grpcurl acknowledges first; a second acknowledge changes nothing and answers the same incident.
        (f"{INCIDENTS}/AcknowledgeIncidents", {"incident_ids": [incident_id]}),
    ]
    for method, body in calls:
        code, printed = grpcurl(server, key, method, body)
        assert code == 0, printed
        status, over_curl = curl(server, key, method, body)
        assert status == 200, over_curl
        buf_code, over_buf = buf_curl(server, key, method, body)
        assert buf_code == 0, over_buf
        assert without(over_curl, *CHANGING) == without(printed, *CHANGING), method
        assert without(over_buf, *CHANGING) == without(printed, *CHANGING), method
    assert printed["incidents"][0]["status"] == "INCIDENT_STATUS_ACKNOWLEDGED"


@pytest.mark.e2e
def test_an_error_carries_the_grpc_code_message_and_details(server: RunningServer, client: Client) -> None:
    missing = str(uuid.uuid4())
    method = f"{INCIDENTS}/AcknowledgeIncidents"
    code, printed = grpcurl(server, client.api_key, method, {"incident_ids": [missing]})
    assert code != 0
    assert printed["code"] == 5  # NOT_FOUND
    status, over_curl = curl(server, client.api_key, method, {"incident_ids": [missing]})
    assert status == 404
    assert over_curl["code"] == "not_found"
    assert over_curl["message"] == printed["message"]
    assert error_details(over_curl) == printed["details"]
    assert printed["details"][0]["resource_name"] == missing
    buf_code, over_buf = buf_curl(server, client.api_key, method, {"incident_ids": [missing]})
    assert buf_code != 0
    assert (over_buf["code"], over_buf["message"]) == ("not_found", printed["message"])
    assert error_details(over_buf) == printed["details"]


def test_invalid_argument_names_the_field_as_grpc_does(server: RunningServer, client: Client) -> None:
    answer = connect(server.http_url, "incidents/GetIncident", {}, client.api_key)
    assert answer.status == 400
    error = answer.json()
    assert error["code"] == "invalid_argument"
    fields = [v["field"] for d in error_details(error) for v in d.get("field_violations", [])]
    assert fields == ["id"]
    unknown = connect(server.http_url, "incidents/GetIncident", {"id": "x", "idd": "y"}, client.api_key)
    assert unknown.status == 400
    assert [v["field"] for d in error_details(unknown.json()) for v in d["field_violations"]] == ["idd"]


def test_read_only_rpcs_answer_get_requests(server: RunningServer, client: Client) -> None:
    incident_id = open_incident(client)
    by_post = connect(server.http_url, "incidents/GetIncident", {"id": incident_id}, client.api_key)
    by_get = call(
        server.http_url,
        rpc_path("incidents/GetIncident"),
        key=client.api_key,
        method="GET",
        query={"connect": "v1", "encoding": "json", "message": json.dumps({"id": incident_id})},
    )
    assert by_post.status == by_get.status == 200
    assert without(by_get.json(), *CHANGING) == without(by_post.json(), *CHANGING)
    # A write is never a GET: a crawler or a prefetch cannot acknowledge anything.
    refused = call(
        server.http_url,
        rpc_path("incidents/AcknowledgeIncidents"),
        key=client.api_key,
        method="GET",
        query={"connect": "v1", "encoding": "json", "message": json.dumps({"incident_ids": [incident_id]})},
    )
    assert refused.status == 405
    assert client.incidents.GetIncident(get(incident_id)).incident.status == pb.INCIDENT_STATUS_TRIGGERED


def test_every_rpc_is_served_and_every_read_answers_get(server: RunningServer, client: Client) -> None:
    for rpc, permission in SPEC_PERMISSIONS.items():
        answer = connect(server.http_url, PATH_OF[rpc], {}, client.api_key)
        # An empty request is served (not 404/501); it may be refused for what it lacks, never 5xx.
        assert answer.status in (200, 400, 404), (rpc, answer.status, answer.body[:300])
        assert "code" not in answer.json() or answer.json()["code"] in ("invalid_argument", "not_found"), rpc
        if rpc in READ_RPCS:
            by_get = call(
                server.http_url,
                PATH_OF[rpc],
                key=client.api_key,
                method="GET",
                query={"connect": "v1", "encoding": "json", "message": "{}"},
            )
            assert by_get.status == answer.status, rpc
        assert permission  # every rpc of the SPEC table is reachable


def test_binary_protobuf_is_served_too(server: RunningServer, client: Client) -> None:
    incident_id = open_incident(client, name="Binary")
    request = svc.GetIncidentRequest()
    request.id.value = incident_id
    answer = call(
        server.http_url,
        rpc_path("incidents/GetIncident"),
        request.SerializeToString(),
        key=client.api_key,
        headers={"Content-Type": "application/proto"},
    )
    assert answer.status == 200
    assert svc.GetIncidentResponse.FromString(answer.body).incident.name.value == "Binary"


def test_another_teams_incident_is_not_found_over_http(
    server: RunningServer, client: Client, teams: TeamFactory
) -> None:
    theirs = open_incident(teams.team())
    nowhere = str(uuid.uuid4())
    seen = connect(server.http_url, "incidents/GetIncident", {"id": theirs}, client.api_key)
    unseen = connect(server.http_url, "incidents/GetIncident", {"id": nowhere}, client.api_key)
    assert seen.status == unseen.status == 404
    assert seen.json()["message"].replace(theirs, "X") == unseen.json()["message"].replace(nowhere, "X")
