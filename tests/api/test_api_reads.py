"""CreateIncident and the reads and deletes of IncidentsService over the real gRPC channel.

SPEC sections 3, 5, 6 (filters on status, state, severity; pagination), 7 and 8.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.rpc import error_details_pb2
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from tests.builders import RESOLVED, alert, get, list_request, report, status_details, sv, svs, violated_fields
from tests.support.calls import next_page_token, rpc_error

# ---- helpers -----------------------------------------------------------------------------------


def _make_incidents(client, count: int, start: datetime | None = None, prefix: str = "k") -> list[str]:
    """`count` incidents created one second apart (oldest first); their ids in that order."""
    start = start or datetime.now(UTC) - timedelta(hours=2)
    ids: list[str] = []
    for offset in range(0, count, 1000):
        events = [
            alert(f"{prefix}{i:05d}", f"{prefix}-e{i}", at=start + timedelta(seconds=i))
            for i in range(offset, min(count, offset + 1000))
        ]
        ids.extend(r.incident_id for r in client.ingestion.ReportAlertEvents(report(*events)).results)
    return ids


def _incident(client, incident_id: str) -> pb.Incident:
    return client.incidents.GetIncident(get(incident_id)).incident


def _events(client, incident_id: str) -> list[pb.IncidentEvent]:
    request = svc.GetIncidentEventsRequest(incident_id=sv(incident_id))
    return list(client.incidents.GetIncidentEvents(request).incident_events)


def _list(client, request: svc.ListIncidentsRequest) -> svc.ListIncidentsResponse:
    return client.incidents.ListIncidents(request)


def _ids(response: svc.ListIncidentsResponse) -> list[str]:
    return [incident.id.value for incident in response.incidents]


def _walk(client, page_size: int, between_pages=None, **filter_fields) -> list[list[str]]:
    """Every page of a listing, following next_page_token; calls between_pages() after each page."""
    pages, token = [], ""
    for _ in range(1000):
        response = _list(client, list_request(page_size=page_size, page_token=token, **filter_fields))
        pages.append(_ids(response))
        token = response.pagination.next_page_token.value
        if not token:
            return pages
        if between_pages is not None:
            between_pages()
    raise AssertionError("pagination never ended")


def _missing_resources(error: grpc.RpcError) -> list[str]:
    return [info.resource_name for info in status_details(error, error_details_pb2.ResourceInfo)]


def _delete(client, ids: list[str]) -> svc.DeleteIncidentsResponse:
    return client.incidents.DeleteIncidents(svc.DeleteIncidentsRequest(incident_ids=svs(ids)))


def _random_id() -> str:
    return str(uuid.uuid4())


# ---- CreateIncident -----------------------------------------------------------------------------


def test_create_incident_answers_triggered_incident_with_given_fields(client):
    request = api.CreateIncidentRequest(
        name="Checkout broken",
        description="500s on /pay",
        severity=pb.INCIDENT_SEVERITY_CRITICAL,
        contextual_labels={"service": "checkout"},
        display_labels={"owner": "payments"},
        meta_labels=[pb.MetaLabel(key=sv("env"), value=sv("prod"))],
    )

    created = client.management.CreateIncident(request).incident

    assert created.id.value
    assert created.name.value == "Checkout broken"
    assert created.description.value == "500s on /pay"
    assert created.severity == pb.INCIDENT_SEVERITY_CRITICAL
    assert created.state == pb.INCIDENT_STATE_TRIGGERED
    assert created.status == pb.INCIDENT_STATUS_TRIGGERED
    assert dict(created.contextual_labels) == {"service": "checkout"}
    assert dict(created.display_labels) == {"owner": "payments"}
    assert [(m.key.value, m.value.value) for m in created.meta_labels] == [("env", "prod")]
    assert _incident(client, created.id.value).name.value == "Checkout broken"


def test_create_incident_records_administrative_open_event_by_principal(client):
    created = client.management.CreateIncident(api.CreateIncidentRequest(name="manual")).incident

    [opened] = _events(client, created.id.value)
    assert opened.incident_event_type == pb.INCIDENT_EVENT_TYPE_OPEN
    assert opened.originator_type == pb.ORIGINATOR_TYPE_ADMINISTRATIVE
    assert opened.WhichOneof("originator") == "administrative_event"
    assert opened.administrative_event.user_id.value == client.principal
    assert [e.id.value for e in created.events] == [opened.id.value]


def test_create_incident_without_name_is_invalid_argument(client):
    error = rpc_error(
        client.management.CreateIncident, api.CreateIncidentRequest(), code=grpc.StatusCode.INVALID_ARGUMENT
    )

    assert "name" in violated_fields(error)
    assert client.incidents.ListIncidents(list_request()).pagination.total_size.value == 0


def test_create_incident_severity_defaults_to_info(client):
    created = client.management.CreateIncident(api.CreateIncidentRequest(name="x")).incident

    assert created.severity == pb.INCIDENT_SEVERITY_INFO
    assert _incident(client, created.id.value).severity == pb.INCIDENT_SEVERITY_INFO


def test_create_incident_with_assignee_assigns_it_by_principal(client):
    created = client.management.CreateIncident(api.CreateIncidentRequest(name="x", assignee="bob@example.com")).incident

    incident = _incident(client, created.id.value)
    [assignment] = incident.assignments
    assert assignment.assigned_to.user_id.value == "bob@example.com"
    assert assignment.assigned_by.user_id.value == client.principal
    opened, assigned = _events(client, created.id.value)
    assert opened.incident_event_type == pb.INCIDENT_EVENT_TYPE_OPEN
    assert assigned.incident_event_type == pb.INCIDENT_EVENT_TYPE_ASSIGN
    assert assigned.assignment.assignment.assigned_to.user_id.value == "bob@example.com"
    assert assigned.assignment.assignment.assigned_by.user_id.value == client.principal
    assert assigned.administrative_event.user_id.value == client.principal


def test_create_incident_without_assignee_is_unassigned(client):
    created = client.management.CreateIncident(api.CreateIncidentRequest(name="x")).incident

    assert list(_incident(client, created.id.value).assignments) == []


# ---- GetIncident ------------------------------------------------------------------------------


def test_get_unknown_incident_is_not_found_naming_it(client):
    missing = _random_id()

    error = rpc_error(client.incidents.GetIncident, get(missing), code=grpc.StatusCode.NOT_FOUND)

    assert missing in error.details()
    assert _missing_resources(error) == [missing]


def test_get_incident_without_id_is_invalid_argument(client):
    error = rpc_error(client.incidents.GetIncident, svc.GetIncidentRequest())

    assert "id" in violated_fields(error)


def _incident_with_120_alert_events(client) -> str:
    start = datetime.now(UTC) - timedelta(hours=1)
    events = [alert("busy", f"e{i:03d}", at=start + timedelta(seconds=i)) for i in range(120)]
    [incident_id] = {r.incident_id for r in client.ingestion.ReportAlertEvents(report(*events)).results}
    return incident_id


def test_get_incident_shows_newest_100_events_oldest_first(client):
    incident_id = _incident_with_120_alert_events(client)

    events = _incident(client, incident_id).events

    # 121 events: OPEN and UPSERT_STATE for e000, then one UPSERT_STATE per later alert.
    assert len(events) == 100
    assert [e.upsert_state.payload.cx_event_key.value for e in events] == [f"e{i:03d}" for i in range(20, 120)]


def test_get_incident_duration_is_time_since_creation_while_open(client):
    [result] = client.ingestion.ReportAlertEvents(
        report(alert("k", "e1", at=datetime.now(UTC) - timedelta(hours=1)))
    ).results

    duration = _incident(client, result.incident_id).duration.ToTimedelta()

    assert timedelta(hours=1) <= duration < timedelta(hours=1, minutes=1)


def test_open_incident_has_no_closed_at(client):
    [incident_id] = _make_incidents(client, 1)

    assert not _incident(client, incident_id).HasField("closed_at")


def test_get_incident_reports_is_muted_from_the_alert(client):
    muted, loud = client.ingestion.ReportAlertEvents(
        report(alert("muted", "m1", is_muted=True), alert("loud", "l1"))
    ).results

    assert _incident(client, muted.incident_id).is_muted.value is True
    assert _incident(client, loud.incident_id).is_muted.value is False


# ---- BatchGetIncident ---------------------------------------------------------------------------


def test_batch_get_answers_found_by_id_and_missing_in_not_found_ids(client):
    first, second = _make_incidents(client, 2)
    missing = _random_id()

    response = client.incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs([first, missing, second])))

    assert set(response.incidents) == {first, second}
    assert response.incidents[first].id.value == first
    assert response.incidents[second].id.value == second
    assert [v.value for v in response.not_found_ids] == [missing]


def test_batch_get_with_duplicate_ids_answers_each_once(client):
    [incident_id] = _make_incidents(client, 1)
    missing = _random_id()

    response = client.incidents.BatchGetIncident(
        svc.BatchGetIncidentRequest(ids=svs([incident_id, missing, incident_id, missing]))
    )

    assert list(response.incidents) == [incident_id]
    assert {v.value for v in response.not_found_ids} == {missing}


def test_batch_get_of_only_missing_ids_does_not_fail(client):
    missing = [_random_id(), _random_id()]

    response = client.incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs(missing)))

    assert dict(response.incidents) == {}
    assert [v.value for v in response.not_found_ids] == missing


def test_batch_get_incidents_carry_their_events(client):
    incident_id = _incident_with_120_alert_events(client)

    response = client.incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs([incident_id])))

    events = response.incidents[incident_id].events
    assert [e.upsert_state.payload.cx_event_key.value for e in events] == [f"e{i:03d}" for i in range(20, 120)]


def test_batch_get_of_more_than_1000_ids_is_invalid_argument(client):
    request = svc.BatchGetIncidentRequest(ids=svs([_random_id() for _ in range(1001)]))

    error = rpc_error(client.incidents.BatchGetIncident, request)

    assert "1000" in error.details()
    assert "ids" in violated_fields(error)


# ---- GetIncidentEvents --------------------------------------------------------------------------


def test_get_incident_events_lists_all_events_oldest_first(client):
    incident_id = _incident_with_120_alert_events(client)

    events = _events(client, incident_id)

    assert len(events) == 121
    assert events[0].incident_event_type == pb.INCIDENT_EVENT_TYPE_OPEN
    assert [e.upsert_state.payload.cx_event_key.value for e in events[1:]] == [f"e{i:03d}" for i in range(120)]
    assert len({e.id.value for e in events}) == 121


def test_get_incident_events_lists_a_late_event_where_it_was_applied(client):
    """The log is in application order, so replaying it reproduces the incident (README)."""
    now = datetime.now(UTC)
    [first] = client.ingestion.ReportAlertEvents(report(alert("k", "late", at=now - timedelta(minutes=1)))).results
    client.ingestion.ReportAlertEvents(report(alert("k", "early", state=RESOLVED, at=now - timedelta(minutes=9))))

    keys = [
        e.upsert_state.payload.cx_event_key.value
        for e in _events(client, first.incident_id)
        if e.incident_event_type == pb.INCIDENT_EVENT_TYPE_UPSERT_STATE
    ]

    assert keys == ["late", "early"]
    incident = client.incidents.GetIncident(get(first.incident_id)).incident
    assert incident.state == pb.INCIDENT_STATE_TRIGGERED  # the late RESOLVED did not move it back


def test_get_events_of_unknown_incident_is_not_found(client):
    missing = _random_id()
    request = svc.GetIncidentEventsRequest(incident_id=sv(missing))

    error = rpc_error(client.incidents.GetIncidentEvents, request, code=grpc.StatusCode.NOT_FOUND)

    assert missing in error.details()
    assert _missing_resources(error) == [missing]


# ---- ListIncidents: order and filters ----------------------------------------------------------


def test_list_default_order_is_newest_created_first(client):
    ids = _make_incidents(client, 5)

    assert _ids(_list(client, list_request())) == list(reversed(ids))


def test_listed_incidents_have_no_events(client):
    _make_incidents(client, 3)

    listed = _list(client, list_request()).incidents

    assert len(listed) == 3
    assert all(len(incident.events) == 0 for incident in listed)


@pytest.fixture
def filter_data(client) -> dict[str, str]:
    """Five incidents: name -> id, with these (status, state, severity):

    a TRIGGERED/TRIGGERED/INFO, b ACKNOWLEDGED/TRIGGERED/CRITICAL, c RESOLVED/RESOLVED/CRITICAL,
    d TRIGGERED/TRIGGERED/WARNING, e RESOLVED/RESOLVED/INFO.
    """
    severities = {
        "a": pb.INCIDENT_SEVERITY_INFO,
        "b": pb.INCIDENT_SEVERITY_CRITICAL,
        "c": pb.INCIDENT_SEVERITY_CRITICAL,
        "d": pb.INCIDENT_SEVERITY_WARNING,
        "e": pb.INCIDENT_SEVERITY_INFO,
    }
    start = datetime.now(UTC) - timedelta(hours=1)
    results = client.ingestion.ReportAlertEvents(
        report(
            *[
                alert(name, f"{name}1", at=start + timedelta(seconds=i), severity=severity)
                for i, (name, severity) in enumerate(severities.items())
            ],
            alert("c", "c2", state=RESOLVED, at=start + timedelta(minutes=1)),
            alert("e", "e2", state=RESOLVED, at=start + timedelta(minutes=1)),
        )
    ).results
    ids = dict(zip(severities, (r.incident_id for r in results[:5]), strict=True))
    client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=svs([ids["b"]])))
    return ids


TRIGGERED_STATUS, ACKNOWLEDGED_STATUS, RESOLVED_STATUS = (
    pb.INCIDENT_STATUS_TRIGGERED,
    pb.INCIDENT_STATUS_ACKNOWLEDGED,
    pb.INCIDENT_STATUS_RESOLVED,
)


@pytest.mark.parametrize(
    ("filter_fields", "expected"),
    [
        pytest.param({"status": [ACKNOWLEDGED_STATUS]}, "b", id="status-one"),
        pytest.param({"status": [TRIGGERED_STATUS]}, "ad", id="status-triggered-excludes-acknowledged"),
        pytest.param({"status": [TRIGGERED_STATUS, ACKNOWLEDGED_STATUS]}, "abd", id="status-or"),
        pytest.param({"state": [pb.INCIDENT_STATE_TRIGGERED]}, "abd", id="state-triggered"),
        pytest.param({"state": [pb.INCIDENT_STATE_RESOLVED]}, "ce", id="state-resolved"),
        pytest.param({"severity": [pb.INCIDENT_SEVERITY_CRITICAL]}, "bc", id="severity-one"),
        pytest.param({"severity": [pb.INCIDENT_SEVERITY_INFO, pb.INCIDENT_SEVERITY_WARNING]}, "ade", id="severity-or"),
        pytest.param(
            {"state": [pb.INCIDENT_STATE_TRIGGERED], "severity": [pb.INCIDENT_SEVERITY_CRITICAL]},
            "b",
            id="state-and-severity",
        ),
        pytest.param(
            {"status": [TRIGGERED_STATUS, RESOLVED_STATUS], "severity": [pb.INCIDENT_SEVERITY_INFO]},
            "ae",
            id="status-or-and-severity",
        ),
        pytest.param(
            {
                "status": [RESOLVED_STATUS],
                "state": [pb.INCIDENT_STATE_RESOLVED],
                "severity": [pb.INCIDENT_SEVERITY_CRITICAL],
            },
            "c",
            id="all-three",
        ),
        pytest.param({"status": [ACKNOWLEDGED_STATUS], "state": [pb.INCIDENT_STATE_RESOLVED]}, "", id="no-match"),
    ],
)
def test_list_filters_combine_fields_with_and_values_with_or(client, filter_data, filter_fields, expected):
    response = _list(client, list_request(**filter_fields))

    expected_ids = [filter_data[name] for name in reversed(expected)]  # newest first
    assert _ids(response) == expected_ids
    assert response.pagination.total_size.value == len(expected_ids)


def test_list_unknown_status_value_is_invalid_argument(client):
    error = rpc_error(client.incidents.ListIncidents, list_request(status=[99]))

    assert any(field.startswith("filter.status") for field in violated_fields(error))


# ---- ListIncidents: pagination ---------------------------------------------------------------


def test_list_page_size_zero_means_50(client):
    ids = _make_incidents(client, 60)

    response = _list(client, list_request(page_size=0))

    assert _ids(response) == list(reversed(ids))[:50]
    assert response.pagination.next_page_token.value
    assert response.pagination.total_size.value == 60


def test_list_page_size_above_1000_is_capped_not_refused(client):
    ids = _make_incidents(client, 60)

    response = _list(client, list_request(page_size=2000))

    assert _ids(response) == list(reversed(ids))
    assert response.pagination.next_page_token.value == ""


def test_list_page_size_above_1000_returns_1000(client):
    _make_incidents(client, 1001)

    response = _list(client, list_request(page_size=5000))

    assert len(response.incidents) == 1000
    assert response.pagination.next_page_token.value
    assert response.pagination.total_size.value == 1001


def test_paging_yields_every_incident_once_in_order(client):
    ids = _make_incidents(client, 23)

    pages = _walk(client, page_size=5)

    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    assert [incident_id for page in pages for incident_id in page] == list(reversed(ids))


def test_paging_with_a_filter_yields_every_match_once(client, filter_data):
    pages = _walk(client, page_size=1, state=[pb.INCIDENT_STATE_TRIGGERED])

    assert pages == [[filter_data["d"]], [filter_data["b"]], [filter_data["a"]]]


def test_last_page_has_empty_token_and_every_page_reports_total_size(client):
    _make_incidents(client, 7)
    token, totals, tokens = "", [], []
    while True:
        response = _list(client, list_request(page_size=3, page_token=token))
        totals.append(response.pagination.total_size.value)
        token = response.pagination.next_page_token.value
        tokens.append(token)
        if not token:
            break

    assert totals == [7, 7, 7]
    assert tokens[-1] == "" and all(tokens[:-1])


def test_exact_multiple_of_page_size_ends_without_an_empty_page(client):
    _make_incidents(client, 6)

    pages = _walk(client, page_size=3)

    assert [len(page) for page in pages] == [3, 3]


def _first_token(client, **filter_fields) -> str:
    return next_page_token(_list(client, list_request(page_size=2, **filter_fields)))


def test_altered_page_token_is_invalid_argument(client):
    _make_incidents(client, 5)
    token = _first_token(client)
    position = len(token) // 2
    altered = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]

    error = rpc_error(
        client.incidents.ListIncidents,
        list_request(page_size=2, page_token=altered),
        code=grpc.StatusCode.INVALID_ARGUMENT,
    )

    assert "pagination.page_token" in violated_fields(error)


def test_garbage_page_token_is_invalid_argument(client):
    rpc_error(
        client.incidents.ListIncidents,
        list_request(page_size=2, page_token="not a token!"),
        code=grpc.StatusCode.INVALID_ARGUMENT,
    )


def test_page_token_with_a_different_filter_is_invalid_argument(client):
    _make_incidents(client, 5)
    token = _first_token(client)

    error = rpc_error(
        client.incidents.ListIncidents,
        list_request(page_size=2, page_token=token, severity=[pb.INCIDENT_SEVERITY_INFO]),
        code=grpc.StatusCode.INVALID_ARGUMENT,
    )

    assert "pagination.page_token" in violated_fields(error)


def test_page_token_with_a_different_order_is_invalid_argument(client):
    _make_incidents(client, 5)
    request = list_request(page_size=2, page_token=_first_token(client))
    request.order_bys.append(pb.OrderBy(incident_field=pb.INCIDENTS_FIELDS_NAME))

    rpc_error(client.incidents.ListIncidents, request)


def test_page_token_from_another_team_is_invalid_argument(client, teams):
    other = teams.team("bob@example.com")
    _make_incidents(client, 5)
    _make_incidents(other, 5)
    token = _first_token(client)

    error = rpc_error(
        other.incidents.ListIncidents,
        list_request(page_size=2, page_token=token),
        code=grpc.StatusCode.INVALID_ARGUMENT,
    )

    assert "pagination.page_token" in violated_fields(error)


def test_page_token_works_with_the_same_filter_and_page_size_change(client):
    ids = _make_incidents(client, 5)
    token = _first_token(client)

    response = _list(client, list_request(page_size=10, page_token=token))

    assert _ids(response) == list(reversed(ids))[2:]


def test_incidents_created_while_paging_neither_repeat_nor_skip_others(client):
    ids = _make_incidents(client, 20)
    added: list[str] = []

    def create_newer_incidents() -> None:
        # Newer than every listed incident: before the cursor in newest-first order.
        added.extend(_make_incidents(client, 2, start=datetime.now(UTC), prefix=f"new{len(added)}-"))

    pages = _walk(client, page_size=6, between_pages=create_newer_incidents)

    assert added
    assert [incident_id for page in pages for incident_id in page] == list(reversed(ids))


def test_incidents_deleted_while_paging_do_not_make_others_skip(client):
    ids = list(reversed(_make_incidents(client, 12)))  # newest first
    response = _list(client, list_request(page_size=4))
    _delete(client, [ids[3], ids[5]])  # the last of page one, and one of page two

    rest = _ids(_list(client, list_request(page_size=100, page_token=response.pagination.next_page_token.value)))

    assert _ids(response) == ids[:4]
    assert rest == [incident_id for incident_id in ids[4:] if incident_id != ids[5]]


# ---- DeleteIncidents ---------------------------------------------------------------------------


def test_deleted_incident_and_its_events_disappear_from_every_read(client):
    deleted, kept = _make_incidents(client, 2)

    _delete(client, [deleted])

    rpc_error(client.incidents.GetIncident, get(deleted), code=grpc.StatusCode.NOT_FOUND)
    rpc_error(
        client.incidents.GetIncidentEvents,
        svc.GetIncidentEventsRequest(incident_id=sv(deleted)),
        code=grpc.StatusCode.NOT_FOUND,
    )
    batch = client.incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs([deleted, kept])))
    assert [v.value for v in batch.not_found_ids] == [deleted]
    listed = _list(client, list_request())
    assert _ids(listed) == [kept]
    assert listed.pagination.total_size.value == 1
    assert len(_events(client, kept)) == 2


def test_delete_answers_deleted_ids_in_request_order_with_duplicates_once(client):
    a, b, c = _make_incidents(client, 3)

    response = _delete(client, [c, a, c, b, a])

    assert [v.value for v in response.deleted_ids] == [c, a, b]
    assert _list(client, list_request()).pagination.total_size.value == 0


def test_delete_with_an_unknown_id_is_not_found_naming_it_and_deletes_nothing(client):
    a, b = _make_incidents(client, 2)
    missing = _random_id()

    error = rpc_error(
        client.incidents.DeleteIncidents,
        svc.DeleteIncidentsRequest(incident_ids=svs([a, missing, b])),
        code=grpc.StatusCode.NOT_FOUND,
    )

    assert missing in error.details()
    assert _missing_resources(error) == [missing]
    assert a not in error.details() and b not in error.details()
    assert set(_ids(_list(client, list_request()))) == {a, b}


def test_delete_of_another_teams_incident_is_not_found_and_deletes_nothing(client, teams):
    other = teams.team("bob@example.com")
    [mine] = _make_incidents(client, 1)
    [theirs] = _make_incidents(other, 1)

    error = rpc_error(
        client.incidents.DeleteIncidents,
        svc.DeleteIncidentsRequest(incident_ids=svs([mine, theirs])),
        code=grpc.StatusCode.NOT_FOUND,
    )

    assert _missing_resources(error) == [theirs]
    assert _ids(_list(client, list_request())) == [mine]
    assert _incident(other, theirs).id.value == theirs


def test_delete_of_more_than_1000_ids_is_invalid_argument(client):
    [incident_id] = _make_incidents(client, 1)
    ids = [incident_id] + [_random_id() for _ in range(1000)]

    error = rpc_error(
        client.incidents.DeleteIncidents,
        svc.DeleteIncidentsRequest(incident_ids=svs(ids)),
        code=grpc.StatusCode.INVALID_ARGUMENT,
    )

    assert "1000" in error.details()
    assert "incident_ids" in violated_fields(error)
    assert _incident(client, incident_id).id.value == incident_id


def test_delete_with_no_ids_is_invalid_argument(client):
    rpc_error(client.incidents.DeleteIncidents, svc.DeleteIncidentsRequest())


@pytest.mark.parametrize("odd_id", ["not-a-uuid", "x" * 1024, "ünïcödé-id", "' OR 1=1 --"])
def test_get_with_an_id_that_is_no_uuid_is_not_found(client, odd_id):
    _make_incidents(client, 1)

    error = rpc_error(client.incidents.GetIncident, get(odd_id), code=grpc.StatusCode.NOT_FOUND)

    assert _missing_resources(error) == [odd_id]


def test_create_incident_name_over_1024_characters_is_invalid_argument(client):
    error = rpc_error(
        client.management.CreateIncident,
        api.CreateIncidentRequest(name="n" * 1025),
        code=grpc.StatusCode.INVALID_ARGUMENT,
    )

    assert "name" in violated_fields(error)
    assert "1024" in error.details()


def test_paging_over_incidents_created_at_the_same_instant_yields_each_once(client):
    # No timestamps: every event of one call is stamped with the same receive time.
    results = client.ingestion.ReportAlertEvents(report(*[alert(f"k{i}", f"e{i}") for i in range(13)])).results
    ids = [r.incident_id for r in results]
    created = {_incident(client, i).created_at.ToDatetime() for i in ids}

    pages = _walk(client, page_size=4)

    walked = [incident_id for page in pages for incident_id in page]
    assert len(created) == 1
    assert len(walked) == len(set(walked)) == 13
    assert walked in (sorted(ids), sorted(ids, reverse=True))  # ties broken by id: a total order


def test_a_walk_reports_the_total_counted_at_its_first_page(client):
    """total_size is counted once per walk (README): deep pages pay no count and agree with page 1."""
    _make_incidents(client, 6)
    first = _list(client, list_request(page_size=2))
    assert first.pagination.total_size.value == 6

    _make_incidents(client, 3, prefix="later")
    second = _list(client, list_request(page_size=2, page_token=first.pagination.next_page_token.value))
    fresh = _list(client, list_request(page_size=2))

    assert second.pagination.total_size.value == 6
    assert fresh.pagination.total_size.value == 9
