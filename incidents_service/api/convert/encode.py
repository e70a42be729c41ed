"""Answers out: domain objects -> wire messages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from google.protobuf import duration_pb2, timestamp_pb2
from google.protobuf.wrappers_pb2 import BoolValue, Int32Value, StringValue, UInt32Value
from incidents_service_api.v1 import incident_insights_pb2 as ins

from incidents_service.api.convert.enums import (
    ALERT_TYPE_TO_WIRE,
    EVENT_TYPE_TO_WIRE,
    ORIGINATOR_TO_WIRE,
    SEVERITY_TO_WIRE,
    STATE_TO_WIRE,
    STATUS_TO_WIRE,
    TIMELINE_ACTION_TO_WIRE,
    UPSERT_STATE_TO_WIRE,
)
from incidents_service.domain.model import (
    AlertType,
    EventType,
    Incident,
    IncidentEvent,
    IncidentState,
    IncidentStatus,
    OriginatorType,
    Severity,
)
from incidents_service.domain.notes import Note
from incidents_service.domain.queries import (
    FilterValues,
    IncidentGroup,
    SortField,
    SortKey,
)
from incidents_service.domain.statistics import DurationStats, IncidentStatistics
from incidents_service.domain.timeline import TimelineEntry


def _sv(value: str) -> StringValue:
    return StringValue(value=value)


def _user(user_id: str) -> pb.UserDetails:
    return pb.UserDetails(user_id=_sv(user_id))


def timestamp_to_wire(value: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value)
    return ts


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _set_timestamp(message: timestamp_pb2.Timestamp, value: datetime) -> None:
    """Timestamp.FromDatetime for an aware datetime, in C-level datetime arithmetic (it goes through
    a time tuple and calendar.timegm in Python: a list page sets three per incident)."""
    since_epoch = value - _EPOCH
    message.seconds = since_epoch.days * 86400 + since_epoch.seconds
    message.nanos = since_epoch.microseconds * 1000


def incident_to_wire(incident: Incident, now: datetime, events: Sequence[IncidentEvent] = ()) -> pb.Incident:
    message = pb.Incident(
        state=STATE_TO_WIRE[incident.state],
        status=STATUS_TO_WIRE[incident.status],
        severity=SEVERITY_TO_WIRE[incident.severity],
    )
    # Map fields filled key by key: passing the dicts to the constructor (or to update) goes through
    # MutableMapping.update in Python, twice as slow.
    labels = message.contextual_labels
    for key, value in incident.contextual_labels.items():
        labels[key] = value
    labels = message.display_labels
    for key, value in incident.display_labels.items():
        labels[key] = value
    message.id.value = incident.id
    message.name.value = incident.name
    message.description.value = incident.description
    _set_timestamp(message.created_at, incident.created_at)
    message.is_muted.value = incident.is_muted(now)
    for key, value in incident.meta_labels:
        label = message.meta_labels.add()
        label.key.value = key
        label.value.value = value
    if incident.assigned_to is not None:
        assignment = message.assignments.add()
        assignment.assigned_to.user_id.value = incident.assigned_to
        assignment.assigned_by.user_id.value = incident.assigned_by or ""
    if incident.closed_at is not None:
        _set_timestamp(message.closed_at, incident.closed_at)
    if incident.last_state_update_time is not None:
        _set_timestamp(message.last_state_update_time, incident.last_state_update_time)
    if incident.last_state_update_key is not None:
        message.last_state_update_key.value = incident.last_state_update_key
    duration = incident.duration(now)  # never negative
    message.duration.seconds = duration.days * 86400 + duration.seconds
    message.duration.nanos = duration.microseconds * 1000
    for event in events:
        if event.type in EVENT_TYPE_TO_WIRE:
            _fill_event(message.events.add(), event)
    return message


def event_to_wire(event: IncidentEvent) -> pb.IncidentEvent | None:
    """The wire form of an event; None for UPDATE events, which the wire enum cannot express."""
    if event.type not in EVENT_TYPE_TO_WIRE:
        return None
    message = pb.IncidentEvent()
    _fill_event(message, event)
    return message


def _fill_event(message: pb.IncidentEvent, event: IncidentEvent) -> None:
    message.id.value = event.id
    message.incident_event_type = EVENT_TYPE_TO_WIRE[event.type]
    message.originator_type = ORIGINATOR_TO_WIRE[event.originator.type]
    if event.originator.type is OriginatorType.ADMINISTRATIVE:
        message.administrative_event.user_id.value = event.originator.name
    else:
        message.operational_event.system_name.value = event.originator.name
    payload: dict[str, Any] = event.payload
    if event.type is EventType.UPSERT_STATE:
        upsert = message.upsert_state
        upsert.state_type = UPSERT_STATE_TO_WIRE[IncidentState(payload["state_type"])]
        upsert.is_muted.value = bool(payload.get("is_muted", False))
        if payload.get("cx_event_key"):
            upsert.payload.cx_event_key.value = payload["cx_event_key"]
    elif event.type is EventType.ACKNOWLEDGE:
        message.acknowledge.acknowledged_by.user_id.value = payload["acknowledged_by"]
    elif event.type is EventType.CLOSE:
        message.close.closed_by.user_id.value = payload["closed_by"]
    elif event.type is EventType.ASSIGN:
        message.assignment.assignment.assigned_to.user_id.value = payload["assigned_to"]
        message.assignment.assignment.assigned_by.user_id.value = payload["assigned_by"]
    elif event.type is EventType.UNASSIGN:
        message.unassign.SetInParent()
    elif event.type is EventType.SNOOZE_INDICATOR:
        snooze = message.snooze_indicator
        snooze.start_time.FromDatetime(datetime.fromisoformat(payload["start_time"]))
        snooze.duration_minutes.value = int(payload["duration_minutes"])
        snooze.user_id.value = payload["user_id"]


def events_to_wire(events: Iterable[IncidentEvent]) -> list[pb.IncidentEvent]:
    return [wire for wire in (event_to_wire(e) for e in events) if wire is not None]


def _group_value_to_wire(key: SortKey, value: Any) -> pb.GroupByValues:
    if key.field is SortField.CONTEXTUAL_LABEL:
        return pb.GroupByValues(
            contextual_labels=pb.ContextualLabels(field_name=_sv(key.label_key or ""), field_value=_sv(value))
        )
    one_of = pb.IncidentFieldOneOf()
    if key.field is SortField.SEVERITY:
        one_of.severity = SEVERITY_TO_WIRE[value]
    elif key.field is SortField.STATE:
        one_of.state = STATE_TO_WIRE[value]
    elif key.field is SortField.STATUS:
        one_of.status = STATUS_TO_WIRE[value]
    else:
        getattr(one_of, key.field.value).value = value  # id, name, application_name, subsystem_name
    return pb.GroupByValues(incident_field=one_of)


def incident_group_to_wire(group: IncidentGroup, keys: Sequence[SortKey]) -> pb.IncidentAggregation:
    message = pb.IncidentAggregation(
        group_bys_value=[_group_value_to_wire(key, value) for key, value in zip(keys, group.values, strict=True)],
        agg_state_count=[
            pb.IncidentStateCount(state=STATE_TO_WIRE[state], count=UInt32Value(value=n))
            for state, n in sorted(group.state_counts.items(), key=lambda item: STATE_TO_WIRE[item[0]])
        ],
        agg_status_count=[
            pb.IncidentStatusCount(status=STATUS_TO_WIRE[status], count=UInt32Value(value=n))
            for status, n in sorted(group.status_counts.items(), key=lambda item: STATUS_TO_WIRE[item[0]])
        ],
        agg_severity_count=[
            pb.IncidentSeverityCount(severity=SEVERITY_TO_WIRE[severity], count=UInt32Value(value=n))
            for severity, n in sorted(group.severity_counts.items())
        ],
        agg_assignments_count=[
            pb.IncidentAssignmentCount(assigned_to=_user(assignee), count=UInt32Value(value=n))
            for assignee, n in sorted(group.assignee_counts.items(), key=lambda item: (-item[1], item[0]))
        ],
        agg_meta_labels_count=[
            pb.IncidentMetaLabelsCount(meta_label=_meta_label(pair), count=UInt32Value(value=n))
            for pair, n in sorted(group.meta_label_counts.items(), key=lambda item: (-item[1], item[0]))
        ],
        all_values_count=UInt32Value(value=group.count),
        list_incidents_id=[_sv(incident_id) for incident_id in group.incident_ids],
    )
    if group.first_created_at is not None:
        message.first_created_at.CopyFrom(timestamp_to_wire(group.first_created_at))
    if group.last_closed_at is not None:
        message.last_closed_at.CopyFrom(timestamp_to_wire(group.last_closed_at))
    if group.last_state_update_time is not None:
        message.last_state_update_time.CopyFrom(timestamp_to_wire(group.last_state_update_time))
    return message


def _meta_label(pair: tuple[str, str]) -> pb.MetaLabel:
    return pb.MetaLabel(key=_sv(pair[0]), value=_sv(pair[1]))


def filter_values_to_wire(values: FilterValues, meta_labels_op: pb.FilterOperator) -> pb.IncidentQueryFiltersValues:
    return pb.IncidentQueryFiltersValues(
        assignee_with_count=[
            pb.AssigneeWithCount(assignee=_sv(assignee), count=Int32Value(value=n)) for assignee, n in values.assignees
        ],
        status_with_count=[
            pb.IncidentStatusWithCount(status=STATUS_TO_WIRE[status], count=Int32Value(value=n))
            for status, n in values.statuses
        ],
        state_with_count=[
            pb.IncidentStateWithCount(state=STATE_TO_WIRE[state], count=Int32Value(value=n))
            for state, n in values.states
        ],
        severity_with_count=[
            pb.IncidentSeverityWithCount(severity=SEVERITY_TO_WIRE[severity], count=Int32Value(value=n))
            for severity, n in values.severities
        ],
        contextual_labels={
            key: pb.ContextualLabelValuesWithCount(
                values_with_count=[
                    pb.ContextualLabelValueWithCount(contextual_label_value=_sv(v), count=Int32Value(value=n))
                    for v, n in counts
                ]
            )
            for key, counts in values.contextual_labels.items()
        },
        display_labels={
            key: pb.DisplayLabelValuesWithCount(
                values_with_count=[
                    pb.DisplayLabelValueWithCount(display_label_value=_sv(v), count=Int32Value(value=n))
                    for v, n in counts
                ]
            )
            for key, counts in values.display_labels.items()
        },
        meta_labels_with_count=[
            pb.IncidentMetaLabelsWithCount(meta_label=_meta_label(pair), count=Int32Value(value=n))
            for pair, n in values.meta_labels
        ],
        meta_labels_op=meta_labels_op,
    )


def event_extended_to_wire(event: IncidentEvent) -> pb.IncidentEventExtended:
    snapshot = event.snapshot
    assert snapshot is not None, "event queries read every event with its snapshot"
    alert = event.alert or {}
    metadata = pb.IncidentEventExtendedMetadata(
        incident_severity=SEVERITY_TO_WIRE[snapshot.severity],
        incident_state=STATE_TO_WIRE[snapshot.state],
        incident_status=STATUS_TO_WIRE[snapshot.status],
        is_muted=BoolValue(value=snapshot.is_muted),
        alert_type=ALERT_TYPE_TO_WIRE[AlertType(alert.get("alert_type", AlertType.STANDARD.value))],
        # The alert's grouping: the incident's contextual labels, by key and as a permutation.
        alert_group_by_fields=[_sv(key) for key in sorted(snapshot.contextual_labels)],
        incident_permutation=snapshot.contextual_labels,
        alert_labels=[_meta_label((key, value)) for key, value in alert.get("alert_labels", [])],
    )
    if alert.get("alert_id"):
        metadata.alert_id.value = alert["alert_id"]
    if alert.get("alert_name"):
        metadata.alert_name.value = alert["alert_name"]
    message = pb.IncidentEventExtended(
        incident_event=event_to_wire(event),
        cx_event_timestamp=timestamp_to_wire(event.timestamp),
        incident_event_extended_metadata=metadata,
    )
    if event.cx_event_key:
        message.cx_event_key.value = event.cx_event_key
    return message


def note_to_wire(note: Note) -> ins.Note:
    return ins.Note(
        id=note.id,
        incident_id=note.incident_id,
        body=note.body,
        author=note.author,
        created_at=timestamp_to_wire(note.created_at),
        updated_at=timestamp_to_wire(note.updated_at),
        updated_by=note.updated_by,
    )


def _timeline_value(field: str, value: str) -> str:
    """Status and severity values as the wire enum's value names, like every other answer shows them."""
    if not value:
        return value
    if field == "status":
        return str(pb.IncidentStatus.Name(STATUS_TO_WIRE[IncidentStatus(value)]))
    if field == "severity":
        return str(pb.IncidentSeverity.Name(SEVERITY_TO_WIRE[Severity[value]]))
    return value


def timeline_entry_to_wire(entry: TimelineEntry) -> ins.TimelineEntry:
    return ins.TimelineEntry(
        action=TIMELINE_ACTION_TO_WIRE[entry.action],
        timestamp=timestamp_to_wire(entry.timestamp),
        actor=entry.actor,
        source_system=entry.source_system,
        field=entry.field,
        old_value=_timeline_value(entry.field, entry.old_value),
        new_value=_timeline_value(entry.field, entry.new_value),
        event_id=entry.event_id,
    )


def _duration_to_wire(micros: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=micros // 1_000_000, nanos=(micros % 1_000_000) * 1000)


def _duration_stats_to_wire(stats: DurationStats) -> ins.DurationStatistics:
    message = ins.DurationStatistics(count=stats.count)
    if stats.mean is not None and stats.median is not None and stats.p90 is not None:
        message.mean.CopyFrom(_duration_to_wire(stats.mean))
        message.median.CopyFrom(_duration_to_wire(stats.median))
        message.p90.CopyFrom(_duration_to_wire(stats.p90))
    return message


def statistics_to_wire(stats: IncidentStatistics) -> ins.GetIncidentStatisticsResponse:
    response = ins.GetIncidentStatisticsResponse(
        mtta=_duration_stats_to_wire(stats.overall.mtta), mttr=_duration_stats_to_wire(stats.overall.mttr)
    )
    for bucket in stats.buckets:
        out = response.buckets.add(start_time=timestamp_to_wire(bucket.start), end_time=timestamp_to_wire(bucket.end))
        for severity, counts in bucket.by_severity.items():
            out.opened += counts.opened
            out.resolved += counts.resolved
            out.closed += counts.closed
            out.by_severity.add(
                severity=SEVERITY_TO_WIRE[severity],
                opened=counts.opened,
                resolved=counts.resolved,
                closed=counts.closed,
            )
    for severity, times in stats.by_severity.items():
        response.by_severity.add(
            severity=SEVERITY_TO_WIRE[severity],
            mtta=_duration_stats_to_wire(times.mtta),
            mttr=_duration_stats_to_wire(times.mttr),
        )
    for labelled in stats.by_label_value:
        response.by_label_value.add(
            value=labelled.value,
            incident_count=labelled.incident_count,
            mtta=_duration_stats_to_wire(labelled.times.mtta),
            mttr=_duration_stats_to_wire(labelled.times.mttr),
        )
    return response
