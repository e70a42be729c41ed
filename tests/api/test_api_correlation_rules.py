"""Correlation rules (SPEC 16), on SQLite and PostgreSQL: alerts of different correlation keys with equal
`service` labels inside the rule's window join one incident, outside it they do not; the incident's
correlation log keeps the match; the joined key's later events go to the same incident. The rpcs and
the CLI."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from incidents_service_api.v1 import incident_alerts_pb2 as alr
from incidents_service_api.v1 import incident_alerts_pb2_grpc as alr_grpc

from incidents_service import auth, cli
from incidents_service.domain.model import AlertEvent, AlertOutcome, IncidentState, IncidentStatus
from incidents_service.domain.queries import PageRequest
from incidents_service.operations import CorrelationRuleDraft, IncidentOperations
from tests.builders import TRIGGERED, alert, report, violated_fields
from tests.conftest import Client, RunningServer

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FIRES, CLEARS = IncidentState.TRIGGERED, IncidentState.RESOLVED


def test_alerts_with_equal_service_labels_inside_the_window_join_one_incident(engine) -> None:
    team = auth.create_team(engine, f"corr-{uuid.uuid4().hex[:10]}")
    clock = [T0]
    operations = IncidentOperations(engine, clock=lambda: clock[0])
    rule = operations.create_correlation_rule(
        team.id, "sre@example.com", CorrelationRuleDraft("same service", ("service",), timedelta(minutes=10))
    )

    def event(key: str, state: IncidentState, minute: int, service: str) -> tuple[AlertOutcome, str | None]:
        clock[0] = T0 + timedelta(minutes=minute)
        sent = AlertEvent(key, uuid.uuid4().hex, state, clock[0], alert_labels={"service": service, "check": key})
        [result] = operations.report_alert_events(team.id, [sent])
        return result.outcome, result.incident_id

    outcome, first = event("latency", FIRES, 0, "checkout")
    assert outcome is AlertOutcome.CREATED
    # Another key, the same service, 5 minutes later: it joins the open incident.
    assert event("errors", FIRES, 5, "checkout") == (AlertOutcome.UPDATED, first)
    # Another service: its own incident.
    outcome, other = event("disk", FIRES, 6, "search")
    assert outcome is AlertOutcome.CREATED and other != first
    # The same service 30 minutes after its group's last alert: outside the window, its own incident.
    outcome, late = event("saturation", FIRES, 36, "checkout")
    assert outcome is AlertOutcome.CREATED and late not in (first, other)
    # The joined key's later events go to the incident it joined: both resolving resolve it.
    assert event("errors", CLEARS, 37, "checkout") == (AlertOutcome.UPDATED, first)
    assert event("latency", CLEARS, 38, "checkout") == (AlertOutcome.UPDATED, first)
    assert first is not None
    incident = operations.get_incident(team.id, first).incident
    assert (incident.state, incident.status) == (CLEARS, IncidentStatus.RESOLVED)

    listed = operations.incident_alerts(team.id, first, PageRequest(size=10))
    assert [found.key for found in listed.page.items] == ["latency", "errors"]
    assert listed.correlation_log == [
        {"rule_id": rule.id, "rule_name": "same service", "labels": json.dumps({"service": "checkout"}),
         "alert_key": "errors", "matched_at": (T0 + timedelta(minutes=5)).isoformat()}
    ]  # fmt: skip
    assert operations.incident_alerts(team.id, other or "", PageRequest(size=10)).correlation_log == []


def _rules(client: Client) -> alr_grpc.CorrelationRulesServiceStub:
    return alr_grpc.CorrelationRulesServiceStub(client.channel)


def test_correlation_rule_rpcs_and_the_log_over_grpc(client: Client, teams) -> None:
    stub = _rules(client)
    wanted = alr.CorrelationRule(name="by service", label_keys=["service"], window_minutes=15)
    rule = stub.CreateCorrelationRule(alr.CreateCorrelationRuleRequest(rule=wanted), metadata=client.metadata).rule
    assert rule.id and rule.created_by == client.principal and list(rule.label_keys) == ["service"]
    listed = stub.ListCorrelationRules(alr.ListCorrelationRulesRequest(), metadata=client.metadata).rules
    assert [found.id for found in listed] == [rule.id]

    run = uuid.uuid4().hex[:8]
    first, second = (alert(f"{name}-{run}", uuid.uuid4().hex, TRIGGERED, alert_labels={"service": "checkout"})
                     for name in ("latency", "errors"))  # fmt: skip
    results = client.ingestion.ReportAlertEvents(report(first, second)).results
    assert results[0].incident_id == results[1].incident_id
    answer = alr_grpc.IncidentAlertsServiceStub(client.channel).ListIncidentAlerts(
        alr.ListIncidentAlertsRequest(incident_id=results[0].incident_id), metadata=client.metadata
    )
    [entry] = answer.summary.correlation_log
    assert (entry.rule_id, entry.rule_name, dict(entry.labels), entry.alert_key) == (
        rule.id, "by service", {"service": "checkout"}, f"errors-{run}"
    )  # fmt: skip

    other = teams.team()
    reader = teams.key(client.team_name, "r", frozenset({auth.READ}))
    for caller, code in ((other, grpc.StatusCode.NOT_FOUND), (reader, grpc.StatusCode.PERMISSION_DENIED)):
        with pytest.raises(grpc.RpcError) as info:
            request = alr.DeleteCorrelationRuleRequest(id=rule.id)
            _rules(caller).DeleteCorrelationRule(request, metadata=caller.metadata)
        assert info.value.code() == code
    stub.DeleteCorrelationRule(alr.DeleteCorrelationRuleRequest(id=rule.id), metadata=client.metadata)
    assert not stub.ListCorrelationRules(alr.ListCorrelationRulesRequest(), metadata=client.metadata).rules
    with pytest.raises(grpc.RpcError) as info:
        bad = alr.CorrelationRule(window_minutes=0)
        stub.CreateCorrelationRule(alr.CreateCorrelationRuleRequest(rule=bad), metadata=client.metadata)
    assert violated_fields(info.value) == ["rule.label_keys", "rule.window_minutes"]


def test_the_cli_adds_lists_and_deletes_rules(server: RunningServer, client: Client, capsys) -> None:
    database = ["--database-url", server.database_url]
    team = ["--team", client.team_name]
    assert cli.main(["correlation-rules", "create", *database, *team, "--label", "service", "--label", "region",
                     "--window-minutes", "15", "--name", "service and region"]) == 0  # fmt: skip
    rule_id = capsys.readouterr().out.split()[3]
    assert cli.main(["correlation-rules", "list", *database, *team]) == 0
    listed = capsys.readouterr().out
    assert rule_id in listed and "service,region" in listed and "15" in listed
    assert cli.main(["correlation-rules", "delete", *database, *team, rule_id]) == 0
    assert cli.main(["correlation-rules", "delete", *database, *team, rule_id]) == 1
