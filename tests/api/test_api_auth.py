"""Authentication, permissions and team isolation over the real gRPC channel (SPEC section 2)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from google.protobuf import descriptor_pb2
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from incidents_service_api.v1 import incidents_service_api_pb2_grpc as api_grpc

from incidents_service import auth
from tests.builders import alert, get, list_request, report, status_details, sv, svs
from tests.support.calls import rpc_error

INCIDENTS_SERVICE = "com.coralogixapis.incidents.v1.IncidentsService"
INGESTION_SERVICE = "incidents_service.v1.AlertIngestionService"
MANAGEMENT_SERVICE = "incidents_service.v1.IncidentManagementService"


# ---- the rpcs of this file, with a valid request each ---------------------------------------------


@dataclass(frozen=True)
class Rpc:
    stub: str  # "incidents", "ingestion" or "management": the Client attribute / stub kind
    name: str
    permission: str
    request: Callable[[], Any]

    def __str__(self) -> str:
        return self.name


def _random_id() -> str:
    return str(uuid.uuid4())


RPCS = [
    Rpc("incidents", "GetIncident", auth.READ, lambda: get(_random_id())),
    Rpc(
        "incidents",
        "BatchGetIncident",
        auth.READ,
        lambda: svc.BatchGetIncidentRequest(ids=svs([_random_id()])),
    ),
    Rpc("incidents", "ListIncidents", auth.READ, list_request),
    Rpc(
        "incidents",
        "GetIncidentEvents",
        auth.READ,
        lambda: svc.GetIncidentEventsRequest(incident_id=sv(_random_id())),
    ),
    Rpc(
        "incidents",
        "DeleteIncidents",
        auth.DELETE,
        lambda: svc.DeleteIncidentsRequest(incident_ids=svs([_random_id()])),
    ),
    Rpc("management", "CreateIncident", auth.WRITE, lambda: api.CreateIncidentRequest(name="auth test")),
    Rpc("ingestion", "ReportAlertEvents", auth.INGEST, lambda: report(alert("auth-k", f"auth-{_random_id()}"))),
    # The query rpcs (SPEC 6) all need incidents:read.
    Rpc("incidents", "ListIncidentAggregations", auth.READ, svc.ListIncidentAggregationsRequest),
    Rpc("incidents", "GetFilterValues", auth.READ, svc.GetFilterValuesRequest),
    Rpc("incidents", "ListIncidentEvents", auth.READ, svc.ListIncidentEventsRequest),
    Rpc("incidents", "ListIncidentEventsTotalCount", auth.READ, svc.ListIncidentEventsTotalCountRequest),
    Rpc("incidents", "ListIncidentEventsFilterValues", auth.READ, svc.ListIncidentEventsFilterValuesRequest),
]


def _raw_stub(channel: grpc.Channel, kind: str) -> Any:
    """A stub that sends no metadata of its own."""
    if kind == "incidents":
        return svc_grpc.IncidentsServiceStub(channel)
    if kind == "ingestion":
        return api_grpc.AlertIngestionServiceStub(channel)
    return api_grpc.IncidentManagementServiceStub(channel)


def _call_with(server, rpc: Rpc, metadata: tuple[tuple[str, str], ...] | None) -> Any:
    method = getattr(_raw_stub(server.channel, rpc.stub), rpc.name)
    return method(rpc.request(), metadata=metadata, timeout=30)


def _bearer(api_key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {api_key}"),)


def _new_incident(client) -> str:
    created = client.management.CreateIncident(api.CreateIncidentRequest(name="team data")).incident
    return created.id.value


# ---- UNAUTHENTICATED ---------------------------------------------------------------------------


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_call_without_metadata_is_unauthenticated(server, rpc):
    rpc_error(lambda: _call_with(server, rpc, None), code=grpc.StatusCode.UNAUTHENTICATED)


@pytest.mark.parametrize("value", ["Token x", "Bearer", "Basic dXNlcjpwYXNz", "ik_abc_def", "Bearer a b"])
def test_malformed_authorization_is_unauthenticated(server, value):
    rpc = RPCS[0]

    rpc_error(lambda: _call_with(server, rpc, (("authorization", value),)), code=grpc.StatusCode.UNAUTHENTICATED)


def test_valid_key_with_another_scheme_is_unauthenticated(server, client):
    rpc_error(
        lambda: _call_with(server, RPCS[2], (("authorization", f"Token {client.api_key}"),)),
        code=grpc.StatusCode.UNAUTHENTICATED,
    )


def test_unknown_key_is_unauthenticated(server):
    unknown = f"ik_{uuid.uuid4().hex[:12]}_{uuid.uuid4().hex}{uuid.uuid4().hex}"

    rpc_error(lambda: _call_with(server, RPCS[2], _bearer(unknown)), code=grpc.StatusCode.UNAUTHENTICATED)


def test_altered_key_is_unauthenticated(server, client):
    altered = client.api_key[:-1] + ("A" if client.api_key[-1] != "A" else "B")

    rpc_error(lambda: _call_with(server, RPCS[2], _bearer(altered)), code=grpc.StatusCode.UNAUTHENTICATED)


def test_unauthenticated_answer_never_echoes_the_key(server, client):
    error = rpc_error(
        lambda: _call_with(server, RPCS[2], (("authorization", f"Token {client.api_key}"),)),
        code=grpc.StatusCode.UNAUTHENTICATED,
    )

    assert client.api_key not in (error.details() or "")


def test_revoked_key_is_unauthenticated(server, client):
    issued = auth.create_api_key(server.engine, client.team_name, "revoked@example.com", auth.ALL_PERMISSIONS)
    auth.revoke_api_key(server.engine, issued.key_id)  # before its first use: nothing cached

    rpc_error(lambda: _call_with(server, RPCS[2], _bearer(issued.api_key)), code=grpc.StatusCode.UNAUTHENTICATED)


def test_key_revoked_after_use_stops_working_within_6_seconds(server, client):
    issued = auth.create_api_key(server.engine, client.team_name, "soon-revoked@example.com", auth.ALL_PERMISSIONS)
    _call_with(server, RPCS[2], _bearer(issued.api_key))  # works, and is now cached

    auth.revoke_api_key(server.engine, issued.key_id)
    revoked_at = time.monotonic()
    while True:
        try:
            _call_with(server, RPCS[2], _bearer(issued.api_key))
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.UNAUTHENTICATED, exc.details()
            break
        assert time.monotonic() - revoked_at < 6, "the revoked key still works 6 s after revocation"
        time.sleep(0.25)


def test_revoking_one_key_leaves_the_teams_other_keys_working(server, client):
    issued = auth.create_api_key(server.engine, client.team_name, "other@example.com", auth.ALL_PERMISSIONS)
    auth.revoke_api_key(server.engine, issued.key_id)

    response = client.incidents.ListIncidents(list_request())

    assert response.pagination.total_size.value == 0


# ---- PERMISSION_DENIED ------------------------------------------------------------------------


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_key_without_the_rpcs_permission_is_denied_naming_it(server, client, teams, rpc):
    lacking = teams.key(client.team_name, "limited@example.com", auth.ALL_PERMISSIONS - {rpc.permission})

    error = rpc_error(
        lambda: getattr(getattr(lacking, rpc.stub), rpc.name)(rpc.request()), code=grpc.StatusCode.PERMISSION_DENIED
    )

    assert rpc.permission in error.details()
    [info] = status_details(error, error_details_pb2.ErrorInfo)
    assert dict(info.metadata) == {"permission": rpc.permission}


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_key_with_only_the_rpcs_permission_is_allowed(server, client, teams, rpc):
    only = teams.key(client.team_name, "narrow@example.com", frozenset({rpc.permission}))

    try:
        getattr(getattr(only, rpc.stub), rpc.name)(rpc.request())
    except grpc.RpcError as exc:
        # A random id may be missing; what matters is that the key got past authorization.
        assert exc.code() == grpc.StatusCode.NOT_FOUND, exc.details()


def test_denied_call_changes_nothing(client, teams):
    no_write = teams.key(client.team_name, "reader@example.com", auth.ALL_PERMISSIONS - {auth.WRITE})

    rpc_error(
        lambda: no_write.management.CreateIncident(api.CreateIncidentRequest(name="x")),
        code=grpc.StatusCode.PERMISSION_DENIED,
    )

    assert client.incidents.ListIncidents(list_request()).pagination.total_size.value == 0


# ---- team isolation --------------------------------------------------------------------------


def _not_found_shape(error: grpc.RpcError, incident_id: str) -> tuple[str, list[tuple[str, str]]]:
    """The NOT_FOUND answer with the id itself blanked out, to compare two answers."""
    message = (error.details() or "").replace(incident_id, "<id>")
    resources = [
        (info.resource_type, info.resource_name.replace(incident_id, "<id>"))
        for info in status_details(error, error_details_pb2.ResourceInfo)
    ]
    return message, resources


@pytest.fixture
def other_teams_incident(teams) -> str:
    return _new_incident(teams.team("mallory@example.com"))


def test_get_of_another_teams_incident_answers_like_a_missing_id(client, other_teams_incident):
    missing = _random_id()

    theirs = rpc_error(lambda: client.incidents.GetIncident(get(other_teams_incident)), code=grpc.StatusCode.NOT_FOUND)
    nowhere = rpc_error(lambda: client.incidents.GetIncident(get(missing)), code=grpc.StatusCode.NOT_FOUND)

    assert _not_found_shape(theirs, other_teams_incident) == _not_found_shape(nowhere, missing)


def test_batch_get_lists_another_teams_incident_as_not_found(client, other_teams_incident):
    mine = _new_incident(client)

    response = client.incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs([mine, other_teams_incident])))

    assert list(response.incidents) == [mine]
    assert [v.value for v in response.not_found_ids] == [other_teams_incident]


def test_get_events_of_another_teams_incident_answers_like_a_missing_id(client, other_teams_incident):
    def events(incident_id: str) -> Any:
        return client.incidents.GetIncidentEvents(svc.GetIncidentEventsRequest(incident_id=sv(incident_id)))

    missing = _random_id()
    theirs = rpc_error(lambda: events(other_teams_incident), code=grpc.StatusCode.NOT_FOUND)
    nowhere = rpc_error(lambda: events(missing), code=grpc.StatusCode.NOT_FOUND)

    assert _not_found_shape(theirs, other_teams_incident) == _not_found_shape(nowhere, missing)


def test_delete_of_another_teams_incident_answers_like_a_missing_id_and_keeps_it(client, teams):
    owner = teams.team("mallory@example.com")
    theirs_id = _new_incident(owner)

    def delete(incident_id: str) -> Any:
        return client.incidents.DeleteIncidents(svc.DeleteIncidentsRequest(incident_ids=svs([incident_id])))

    missing = _random_id()
    theirs = rpc_error(lambda: delete(theirs_id), code=grpc.StatusCode.NOT_FOUND)
    nowhere = rpc_error(lambda: delete(missing), code=grpc.StatusCode.NOT_FOUND)

    assert _not_found_shape(theirs, theirs_id) == _not_found_shape(nowhere, missing)
    assert owner.incidents.GetIncident(get(theirs_id)).incident.id.value == theirs_id


def test_list_shows_only_the_callers_team(client, teams):
    other = teams.team("mallory@example.com")
    mine = _new_incident(client)
    for _ in range(3):
        _new_incident(other)

    response = client.incidents.ListIncidents(list_request())

    assert [incident.id.value for incident in response.incidents] == [mine]
    assert response.pagination.total_size.value == 1


def test_keys_of_one_team_see_the_same_incidents(client, teams):
    second_key = teams.key(client.team_name, "bot@example.com")
    incident_id = _new_incident(client)

    assert second_key.incidents.GetIncident(get(incident_id)).incident.id.value == incident_id


# ---- principal ------------------------------------------------------------------------------


def test_principal_of_the_key_is_the_user_id_of_create_incidents_open_event(client, teams):
    bot = teams.key(client.team_name, "pager-bot")

    created = bot.management.CreateIncident(api.CreateIncidentRequest(name="from the bot")).incident

    events = client.incidents.GetIncidentEvents(svc.GetIncidentEventsRequest(incident_id=created.id)).incident_events
    [opened] = events
    assert opened.incident_event_type == pb.INCIDENT_EVENT_TYPE_OPEN
    assert opened.originator_type == pb.ORIGINATOR_TYPE_ADMINISTRATIVE
    assert opened.administrative_event.user_id.value == "pager-bot"


# ---- health and reflection need no key ---------------------------------------------------------


@pytest.mark.parametrize("service", ["", INCIDENTS_SERVICE, INGESTION_SERVICE, MANAGEMENT_SERVICE])
def test_health_check_works_without_a_key(server, service):
    response = health_pb2_grpc.HealthStub(server.channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=10
    )

    assert response.status == health_pb2.HealthCheckResponse.SERVING


def _reflect(server, request: reflection_pb2.ServerReflectionRequest) -> reflection_pb2.ServerReflectionResponse:
    stub = reflection_pb2_grpc.ServerReflectionStub(server.channel)
    [response] = list(stub.ServerReflectionInfo(iter([request]), timeout=10))
    return response


def test_reflection_lists_services_without_a_key(server):
    response = _reflect(server, reflection_pb2.ServerReflectionRequest(list_services=""))

    names = {service.name for service in response.list_services_response.service}
    assert {INCIDENTS_SERVICE, INGESTION_SERVICE, MANAGEMENT_SERVICE, "grpc.health.v1.Health"} <= names


def test_reflection_describes_a_service_without_a_key(server):
    response = _reflect(server, reflection_pb2.ServerReflectionRequest(file_containing_symbol=INCIDENTS_SERVICE))

    files = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in response.file_descriptor_response.file_descriptor_proto
    ]
    methods = {
        method.name
        for file in files
        for service in file.service
        if f"{file.package}.{service.name}" == INCIDENTS_SERVICE
        for method in service.method
    }
    assert {"GetIncident", "ListIncidents", "DeleteIncidents"} <= methods
