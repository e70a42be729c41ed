"""notifications.proto <-> domain: rules (decoded with every violation named) and actions.

Beside api/convert/, whose helpers (ids, severities, timestamps) it uses: one decoder per message.
"""

from __future__ import annotations

from collections.abc import Sequence

from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from google.protobuf import duration_pb2
from incidents_service_api.v1 import notifications_pb2 as nt

from incidents_service.api.convert import decode, encode, enums
from incidents_service.domain import limits
from incidents_service.domain.errors import FieldViolation
from incidents_service.domain.notifications import (
    MAX_LABEL_MATCHERS,
    MAX_RULE_UPDATE_PATHS,
    UPDATABLE_RULE_FIELDS,
    AttemptOutcome,
    ChangeType,
    DeliveryAttempt,
    DeliveryState,
    IncidentAction,
    LabelMatcher,
    NotificationRule,
    NotificationTarget,
    RuleDraft,
    TargetKind,
    check_label_matcher,
    check_rule_name,
    check_secret,
    check_target_url,
)

CHANGE_TO_WIRE = {
    ChangeType.OPENED: nt.NOTIFICATION_CHANGE_OPENED,
    ChangeType.REOPENED: nt.NOTIFICATION_CHANGE_REOPENED,
    ChangeType.ACKNOWLEDGED: nt.NOTIFICATION_CHANGE_ACKNOWLEDGED,
    ChangeType.ASSIGNED: nt.NOTIFICATION_CHANGE_ASSIGNED,
    ChangeType.RESOLVED: nt.NOTIFICATION_CHANGE_RESOLVED,
    ChangeType.CLOSED: nt.NOTIFICATION_CHANGE_CLOSED,
    ChangeType.SEVERITY_RAISED: nt.NOTIFICATION_CHANGE_SEVERITY_RAISED,
}
CHANGE_FROM_WIRE: dict[int, ChangeType] = {wire: change for change, wire in CHANGE_TO_WIRE.items()}
STATE_TO_WIRE = {
    DeliveryState.PENDING: nt.ACTION_STATE_PENDING,
    DeliveryState.DELIVERED: nt.ACTION_STATE_DELIVERED,
    DeliveryState.FAILED: nt.ACTION_STATE_FAILED,
}
OUTCOME_TO_WIRE = {
    AttemptOutcome.DELIVERED: nt.ATTEMPT_OUTCOME_DELIVERED,
    AttemptOutcome.FAILED: nt.ATTEMPT_OUTCOME_FAILED,
    AttemptOutcome.REFUSED: nt.ATTEMPT_OUTCOME_REFUSED,
}
_OPERATORS = {nt.LABEL_MATCH_OPERATOR_EQUAL: True, nt.LABEL_MATCH_OPERATOR_NOT_EQUAL: False}


# ---- decoding ----------------------------------------------------------------------------------


def rule_draft_from_wire(
    rule: nt.NotificationRule, out: list[FieldViolation], fields: tuple[str, ...] = UPDATABLE_RULE_FIELDS
) -> RuleDraft:
    """The rule's values, each of `fields` validated (those of an update's mask; all on create)."""
    prefix = "rule"
    if "name" in fields:
        check_rule_name(f"{prefix}.name", rule.name, out)
    changes = _changes_from_wire(f"{prefix}.changes", list(rule.changes), out) if "changes" in fields else frozenset()
    minimum = None
    if "minimum_severity" in fields:
        minimum = decode.severity_from_wire(f"{prefix}.minimum_severity", rule.minimum_severity, out, allow_unset=True)
    matchers: list[LabelMatcher] = []
    if "label_matchers" in fields:
        matchers = _matchers_from_wire(f"{prefix}.label_matchers", rule.label_matchers, out)
    target = NotificationTarget(TargetKind.WEBHOOK, "")
    if "target" in fields:
        target = _target_from_wire(prefix, rule, out)
    return RuleDraft(
        name=rule.name,
        enabled=rule.enabled,
        changes=changes,
        minimum_severity=minimum,
        label_matchers=matchers,
        target=target,
    )


def _changes_from_wire(field: str, changes: list[int], out: list[FieldViolation]) -> frozenset[ChangeType]:
    if not limits.check_count(field, len(changes), len(CHANGE_TO_WIRE), "changes", out):
        return frozenset()
    if not changes:
        out.append(FieldViolation(field, f"name at least one of {', '.join(c.value for c in ChangeType)}"))
    found: set[ChangeType] = set()
    for index, value in enumerate(changes):
        change = CHANGE_FROM_WIRE.get(value)
        if change is None:
            out.append(FieldViolation(f"{field}[{index}]", f"unknown change {value}"))
        elif change in found:
            out.append(FieldViolation(f"{field}[{index}]", f"{change.value} is listed twice"))
        else:
            found.add(change)
    return frozenset(found)


def _matchers_from_wire(
    field: str, matchers: Sequence[nt.LabelMatcher], out: list[FieldViolation]
) -> list[LabelMatcher]:
    if not limits.check_count(field, len(matchers), MAX_LABEL_MATCHERS, "label matchers", out):
        return []
    found = []
    for index, matcher in enumerate(matchers):
        equal = _OPERATORS.get(matcher.operator)
        if equal is None:
            out.append(FieldViolation(f"{field}[{index}].operator", "must be EQUAL or NOT_EQUAL"))
            equal = True
        decoded = LabelMatcher(matcher.key, matcher.value, equal)
        check_label_matcher(f"{field}[{index}]", decoded, out)
        found.append(decoded)
    return found


def _target_from_wire(prefix: str, rule: nt.NotificationRule, out: list[FieldViolation]) -> NotificationTarget:
    which = rule.WhichOneof("target")
    if which == "webhook":
        check_target_url(f"{prefix}.webhook.url", rule.webhook.url, out)
        if rule.webhook.secret:
            check_secret(f"{prefix}.webhook.secret", rule.webhook.secret, out)
        return NotificationTarget(TargetKind.WEBHOOK, rule.webhook.url, rule.webhook.secret or None)
    if which == "slack":
        check_target_url(f"{prefix}.slack.url", rule.slack.url, out)
        return NotificationTarget(TargetKind.SLACK, rule.slack.url)
    out.append(FieldViolation(f"{prefix}.target", "set a webhook or a slack target"))
    return NotificationTarget(TargetKind.WEBHOOK, "")


def update_fields_from_wire(paths: list[str], out: list[FieldViolation]) -> tuple[str, ...]:
    if not limits.check_count("update_mask.paths", len(paths), MAX_RULE_UPDATE_PATHS, "paths", out):
        return ()
    if not paths:
        out.append(FieldViolation("update_mask", f"name at least one of {', '.join(UPDATABLE_RULE_FIELDS)}"))
    fields: list[str] = []
    for path in paths:
        if path not in UPDATABLE_RULE_FIELDS:
            out.append(
                FieldViolation("update_mask", f"unknown path {path[:64]!r}; use {', '.join(UPDATABLE_RULE_FIELDS)}")
            )
        elif path in fields:
            out.append(FieldViolation("update_mask", f"path {path!r} is listed twice"))
        else:
            fields.append(path)
    return tuple(fields)


# ---- encoding ----------------------------------------------------------------------------------


def rule_to_wire(rule: NotificationRule) -> nt.NotificationRule:
    message = nt.NotificationRule(
        id=rule.id,
        name=rule.name,
        enabled=rule.enabled,
        changes=[CHANGE_TO_WIRE[change] for change in ChangeType if change in rule.changes],
        minimum_severity=(
            enums.SEVERITY_TO_WIRE[rule.minimum_severity]
            if rule.minimum_severity is not None
            else pb.INCIDENT_SEVERITY_UNSPECIFIED
        ),
        label_matchers=[
            nt.LabelMatcher(
                key=m.key,
                operator=nt.LABEL_MATCH_OPERATOR_EQUAL if m.equal else nt.LABEL_MATCH_OPERATOR_NOT_EQUAL,
                value=m.value,
            )
            for m in rule.label_matchers
        ],
        created_at=encode.timestamp_to_wire(rule.created_at),
        updated_at=encode.timestamp_to_wire(rule.updated_at),
        updated_by=rule.updated_by,
    )
    if rule.target.kind is TargetKind.WEBHOOK:
        # Never the secret, nor credentials in the URL.
        message.webhook.url = rule.target.shown_url()
        message.webhook.has_secret = bool(rule.target.secret)
    else:
        # A Slack incoming-webhook URL is the credential itself: only its host is shown.
        message.slack.host = rule.target.host
    return message


def _duration_ms(milliseconds: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=milliseconds // 1000, nanos=(milliseconds % 1000) * 1_000_000)


def _attempt_to_wire(attempt: DeliveryAttempt) -> nt.DeliveryAttempt:
    return nt.DeliveryAttempt(
        attempted_at=encode.timestamp_to_wire(attempt.attempted_at),
        outcome=OUTCOME_TO_WIRE[attempt.outcome],
        http_status=attempt.http_status or 0,
        error=attempt.error,
        duration=_duration_ms(attempt.duration_ms),
    )


def action_to_wire(action: IncidentAction) -> nt.IncidentAction:
    message = nt.IncidentAction(
        id=action.id,
        rule_id=action.rule_id,
        rule_name=action.rule_name,
        change=CHANGE_TO_WIRE[action.change],
        change_time=encode.timestamp_to_wire(action.change_time),
        target_type=action.target_kind.value,
        target_host=action.target_host,
        state=STATE_TO_WIRE[action.state],
        attempt_count=action.attempt_count,
        attempts=[_attempt_to_wire(attempt) for attempt in action.attempts],
        last_error=action.last_error,
        created_at=encode.timestamp_to_wire(action.created_at),
    )
    if action.next_attempt_at is not None:
        message.next_attempt_at.CopyFrom(encode.timestamp_to_wire(action.next_attempt_at))
    if action.finished_at is not None:
        message.finished_at.CopyFrom(encode.timestamp_to_wire(action.finished_at))
    return message
