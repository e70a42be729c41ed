"""Requests in: wire messages -> domain values, with every input rule of the API (SPEC 7 and 11).

Each decoder collects every violation of a request and raises one InvalidArgument naming each bad field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from google.protobuf import timestamp_pb2
from google.protobuf.wrappers_pb2 import StringValue
from incidents_service_api.v1 import incident_insights_pb2 as ins
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from incidents_service.api.convert.enums import (
    ALERT_TYPE_FROM_WIRE,
    DIRECTIONS,
    SEARCH_FIELDS_FROM_WIRE,
    SEVERITY_FROM_WIRE,
    SORT_FIELDS_FROM_WIRE,
    STATE_FROM_WIRE,
    STATUS_FROM_WIRE,
    UPSERT_STATE_FROM_WIRE,
)
from incidents_service.domain import limits
from incidents_service.domain.errors import FieldViolation, InvalidArgument
from incidents_service.domain.model import (
    UPDATABLE_FIELDS,
    AlertEvent,
    IncidentChanges,
    MetaLabels,
    Severity,
)
from incidents_service.domain.queries import (
    DEFAULT_ORDER,
    GROUPABLE_FIELDS,
    EventFilter,
    IncidentFilter,
    SearchField,
    SearchQuery,
    SortField,
    SortKey,
)
from incidents_service.domain.statistics import MAX_BUCKETS, StatisticsQuery
from incidents_service.domain.statistics import MAX_RANGE as MAX_STATISTICS_RANGE
from incidents_service.operations import IncidentDraft

# Alert timestamps further ahead than this are refused: a future-dated event would make every
# later one look late and freeze the incident.
MAX_CLOCK_SKEW = timedelta(minutes=15)


EARLIEST_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)


# 9999-12-31T23:59:59.999999: a Timestamp's maximum, to the microsecond.
LATEST_DATETIME = datetime.max.replace(tzinfo=UTC)


def timestamp_from_wire(
    field: str, ts: timestamp_pb2.Timestamp, out: list[FieldViolation], round_up: bool = False
) -> datetime | None:
    """A wire timestamp as an aware UTC datetime, at the microsecond precision times are stored with.

    Sub-microsecond parts are dropped, or with `round_up` carried to the next microsecond: a bound
    like `start <= created_at` must not admit an incident created just before it.
    """
    try:
        value = ts.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        out.append(FieldViolation(field, "not a valid timestamp"))
        return None
    if not 0 <= ts.nanos < 1_000_000_000:
        out.append(FieldViolation(field, "nanos must be within 0..999999999"))
        return None
    if round_up and ts.nanos % 1000 and value < LATEST_DATETIME:
        value += timedelta(microseconds=1)
    return value


def check_violations(violations: list[FieldViolation]) -> None:
    if violations:
        raise InvalidArgument(violations)


def decode_together(*decoders: Callable[[], Any]) -> list[Any]:
    """Run several decoders and report every bad field of all of them in one InvalidArgument."""
    results: list[Any] = []
    violations: list[FieldViolation] = []
    for decode in decoders:
        try:
            results.append(decode())
        except InvalidArgument as error:
            violations.extend(error.violations)
    check_violations(violations)
    return results


def required_id(field: str, value: StringValue | str, present: bool, out: list[FieldViolation]) -> str:
    text = value.value if isinstance(value, StringValue) else value
    if not present or not text:
        out.append(FieldViolation(field, "is required"))
        return ""
    limits.check_text(field, text, limits.MAX_KEY_CHARS, out)
    return text


def label_key_from_wire(field: str, key: str, purpose: str, out: list[FieldViolation]) -> str:
    """A contextual label key a query names (to search, order or group by): "" when it is not valid."""
    if not key:
        out.append(FieldViolation(field, f"name the contextual label to {purpose}"))
        return ""
    before = len(out)
    limits.check_text(field, key, limits.MAX_LABEL_KEY_CHARS, out)
    return key if len(out) == before else ""


def id_list(field: str, values: Iterable[StringValue | str], out: list[FieldViolation]) -> list[str]:
    """Ids of a batch call: 1 to 1000, none empty; duplicates kept here, counted once by the operation."""
    ids = [v.value if isinstance(v, StringValue) else v for v in values]
    limits.check_id_count(field, len(ids), out)
    for index, incident_id in enumerate(ids[: limits.MAX_IDS_PER_CALL]):
        if not incident_id:
            out.append(FieldViolation(f"{field}[{index}]", "is empty"))
        else:
            limits.check_text(f"{field}[{index}]", incident_id, limits.MAX_KEY_CHARS, out)
    return ids


def severity_from_wire(field: str, value: int, out: list[FieldViolation], allow_unset: bool) -> Severity | None:
    if value == pb.INCIDENT_SEVERITY_UNSPECIFIED and allow_unset:
        return None
    severity = SEVERITY_FROM_WIRE.get(value)
    if severity is None:
        out.append(FieldViolation(field, f"unknown severity {value}"))
    return severity


def meta_labels_from_wire(field: str, labels: Sequence[pb.MetaLabel], out: list[FieldViolation]) -> MetaLabels:
    pairs = [(label.key.value, label.value.value) for label in labels]
    limits.check_label_pairs(field, pairs, len(pairs), out)
    return pairs


def label_map_from_wire(field: str, labels: Mapping[str, str], out: list[FieldViolation]) -> dict[str, str]:
    limits.check_label_map(field, labels, out)
    return dict(labels)


def alert_events_from_wire(events: Sequence[api.AlertEvent], now: datetime) -> list[AlertEvent]:
    out: list[FieldViolation] = []
    if not events:
        out.append(FieldViolation("events", "at least one alert event is required"))
    if len(events) > limits.MAX_ALERT_EVENTS_PER_CALL:
        raise InvalidArgument.single(
            "events", f"more than the limit of {limits.MAX_ALERT_EVENTS_PER_CALL} alert events per call"
        )
    decoded = [_alert_event_from_wire(f"events[{index}]", event, now, out) for index, event in enumerate(events)]
    check_violations(out)
    return [event for event in decoded if event is not None]


def _alert_event_from_wire(
    field: str, event: api.AlertEvent, now: datetime, out: list[FieldViolation]
) -> AlertEvent | None:
    before = len(out)
    correlation_key = required_id(f"{field}.correlation_key", event.correlation_key, True, out)
    limits.check_indexed_key(f"{field}.correlation_key", correlation_key, out)
    cx_event_key = required_id(f"{field}.cx_event_key", event.cx_event_key, True, out)
    limits.check_indexed_key(f"{field}.cx_event_key", cx_event_key, out)
    state = UPSERT_STATE_FROM_WIRE.get(event.state_type)
    if state is None:
        out.append(FieldViolation(f"{field}.state_type", "must be TRIGGERED or RESOLVED"))
    timestamp = now
    if event.HasField("timestamp"):
        decoded = timestamp_from_wire(f"{field}.timestamp", event.timestamp, out)
        if decoded is not None:
            if decoded > now + MAX_CLOCK_SKEW:
                out.append(FieldViolation(f"{field}.timestamp", "more than 15 minutes in the future"))
            elif decoded < EARLIEST_TIMESTAMP:
                out.append(FieldViolation(f"{field}.timestamp", "before 1970-01-01"))
            timestamp = decoded
    limits.check_text(f"{field}.name", event.name, limits.MAX_NAME_CHARS, out)
    limits.check_description(f"{field}.description", event.description, out)
    severity = severity_from_wire(f"{field}.severity", event.severity, out, allow_unset=True)
    contextual = label_map_from_wire(f"{field}.contextual_labels", event.contextual_labels, out)
    display = label_map_from_wire(f"{field}.display_labels", event.display_labels, out)
    meta = meta_labels_from_wire(f"{field}.meta_labels", event.meta_labels, out)
    for name in ("application_name", "subsystem_name"):
        limits.check_text(f"{field}.{name}", getattr(event, name), limits.MAX_LABEL_VALUE_CHARS, out)
    for name in ("alert_id", "alert_name", "source_system", "alert_instance_id"):
        limits.check_text(f"{field}.{name}", getattr(event, name), limits.MAX_KEY_CHARS, out)
    # The alert's key inside its incident is in an index (SPEC 16).
    limits.check_indexed_key(f"{field}.alert_instance_id", event.alert_instance_id, out)
    alert_labels = label_map_from_wire(f"{field}.alert_labels", event.alert_labels, out)
    alert_type = ALERT_TYPE_FROM_WIRE.get(event.alert_type)
    if alert_type is None:
        out.append(FieldViolation(f"{field}.alert_type", f"unknown alert type {event.alert_type}"))
    if len(out) > before or state is None or alert_type is None:
        return None
    return AlertEvent(
        correlation_key=correlation_key,
        cx_event_key=cx_event_key,
        state=state,
        timestamp=timestamp,
        name=event.name,
        description=event.description,
        severity=severity,
        contextual_labels=contextual,
        display_labels=display,
        meta_labels=meta,
        application_name=event.application_name,
        subsystem_name=event.subsystem_name,
        is_muted=event.is_muted,
        alert_id=event.alert_id,
        alert_name=event.alert_name,
        alert_type=alert_type,
        source_system=event.source_system,
        alert_instance_id=event.alert_instance_id,
        alert_labels=alert_labels,
    )


def incident_filter_from_wire(f: pb.IncidentQueryFilter, prefix: str = "filter") -> IncidentFilter:
    out: list[FieldViolation] = []
    created_from, created_to = _time_range(f"{prefix}.created_at_range", f, "created_at_range", out)
    if not f.HasField("created_at_range"):
        # The deprecated start_time / end_time act as created_at_range when that is unset.
        if f.HasField("start_time"):
            created_from = timestamp_from_wire(f"{prefix}.start_time", f.start_time, out, round_up=True)
        if f.HasField("end_time"):
            created_to = timestamp_from_wire(f"{prefix}.end_time", f.end_time, out, round_up=True)
    open_from, open_to = _time_range(
        f"{prefix}.incident_duration_range", f, "incident_duration_range", out, end_inclusive=True
    )
    search = None
    if f.HasField("search_query") and f.search_query.query.value:
        search = _search_from_wire(f"{prefix}.search_query", f.search_query, out)
    meta_labels = _meta_label_filter(f"{prefix}.meta_labels", f.meta_labels, out)
    _check_operator(f"{prefix}.meta_labels_op", f.meta_labels_op, out)
    incident_filter = IncidentFilter(
        statuses=_enum_set(f"{prefix}.status", f.status, STATUS_FROM_WIRE, out),
        states=_enum_set(f"{prefix}.state", f.state, STATE_FROM_WIRE, out),
        severities=_enum_set(f"{prefix}.severity", f.severity, SEVERITY_FROM_WIRE, out),
        assignees=_string_set(f"{prefix}.assignee", f.assignee, limits.MAX_KEY_CHARS, out),
        application_names=_string_set(
            f"{prefix}.application_name", f.application_name, limits.MAX_LABEL_VALUE_CHARS, out
        ),
        subsystem_names=_string_set(f"{prefix}.subsystem_name", f.subsystem_name, limits.MAX_LABEL_VALUE_CHARS, out),
        **_label_filters(prefix, f, out),
        meta_labels=meta_labels,
        meta_labels_all=f.meta_labels_op == pb.FILTER_OPERATOR_AND,
        is_muted=f.is_muted.value if f.HasField("is_muted") else None,
        created_from=created_from,
        created_to=created_to,
        open_from=open_from,
        open_to=open_to,
        search=search,
    )
    check_violations(out)
    return incident_filter


def _time_range(
    field: str, message: Any, name: str, out: list[FieldViolation], end_inclusive: bool = False
) -> tuple[datetime | None, datetime | None]:
    """A TimeRange's bounds; the start always, and an exclusive end, rounded up to the microsecond."""
    if not message.HasField(name):
        return None, None
    time_range = getattr(message, name)
    start = (
        timestamp_from_wire(f"{field}.start_time", time_range.start_time, out, round_up=True)
        if time_range.HasField("start_time")
        else None
    )
    end = (
        timestamp_from_wire(f"{field}.end_time", time_range.end_time, out, round_up=not end_inclusive)
        if time_range.HasField("end_time")
        else None
    )
    return start, end


def _search_from_wire(field: str, query: pb.IncidentSearchQuery, out: list[FieldViolation]) -> SearchQuery:
    text = query.query.value
    limits.check_text(f"{field}.query", text, limits.MAX_SEARCH_QUERY_CHARS, out)
    if query.WhichOneof("field") == "contextual_label":
        key = label_key_from_wire(f"{field}.contextual_label", query.contextual_label.value, "search", out)
        return SearchQuery(text, SearchField.CONTEXTUAL_LABEL, key)
    search_field = SEARCH_FIELDS_FROM_WIRE.get(query.incident_field)
    if search_field is None:
        out.append(
            FieldViolation(
                f"{field}.incident_field",
                "searchable fields are NAME, ID, APPLICATION_NAME and SUBSYSTEM_NAME",
            )
        )
        search_field = SearchField.NAME
    return SearchQuery(text, search_field)


# Past a cap only the items within it are checked further: the request is refused either way, and
# its violations stay about as many as the caps allow.


def _string_set(
    field: str,
    values: Sequence[StringValue],
    max_chars: int,
    out: list[FieldViolation],
    cap: int = limits.MAX_VALUES_PER_FILTER_FIELD,
) -> frozenset[str]:
    limits.check_count(field, len(values), cap, "values", out)
    decoded = frozenset(value.value for value in values[:cap])
    for value in decoded:
        limits.check_text(field, value, max_chars, out)
    return decoded


def _label_filters(prefix: str, f: Any, out: list[FieldViolation]) -> dict[str, Any]:
    """The contextual and display label filters of an incident or event query filter (same wire shape)."""
    return {
        "contextual_labels": _label_filter(
            f"{prefix}.contextual_labels",
            {key: values.contextual_label_values for key, values in f.contextual_labels.items()},
            out,
        ),
        "display_labels": _label_filter(
            f"{prefix}.display_labels",
            {key: values.display_label_values for key, values in f.display_labels.items()},
            out,
        ),
    }


def _label_filter(
    field: str, labels: Mapping[str, Sequence[StringValue]], out: list[FieldViolation]
) -> tuple[tuple[str, frozenset[str]], ...]:
    """(key, allowed values) per key; a key listed with no values places no condition."""
    limits.check_count(field, len(labels), limits.MAX_LABEL_KEYS_PER_FILTER, "label keys", out)
    decoded = []
    for key in sorted(labels)[: limits.MAX_LABEL_KEYS_PER_FILTER]:
        limits.check_text(f"{field}[{key[:64]!r}] key", key, limits.MAX_LABEL_KEY_CHARS, out)
        values = _string_set(
            f"{field}[{key[:64]!r}]", labels[key], limits.MAX_LABEL_VALUE_CHARS, out, limits.MAX_VALUES_PER_LABEL_KEY
        )
        if values:
            decoded.append((key, values))
    return tuple(decoded)


def _meta_label_filter(
    field: str, labels: Sequence[pb.MetaLabel], out: list[FieldViolation]
) -> tuple[tuple[str, str | None], ...]:
    """(key, value) pairs to match; a label without a value matches any value of its key."""
    limits.check_count(field, len(labels), limits.MAX_META_LABELS_PER_FILTER, "meta labels", out)
    pairs = tuple(
        (label.key.value, label.value.value if label.HasField("value") else None)
        for label in labels[: limits.MAX_META_LABELS_PER_FILTER]
    )
    for index, (key, value) in enumerate(pairs):
        limits.check_text(f"{field}[{index}].key", key, limits.MAX_LABEL_KEY_CHARS, out)
        limits.check_text(f"{field}[{index}].value", value or "", limits.MAX_LABEL_VALUE_CHARS, out)
    return pairs


def _check_operator(field: str, operator: int, out: list[FieldViolation]) -> None:
    if operator not in (pb.FILTER_OPERATOR_OR_OR_UNSPECIFIED, pb.FILTER_OPERATOR_AND):
        out.append(FieldViolation(field, f"unknown operator {operator}"))


def _enum_set(
    field: str, values: Sequence[int], mapping: Mapping[int, Any], out: list[FieldViolation]
) -> frozenset[Any]:
    limits.check_count(field, len(values), limits.MAX_VALUES_PER_FILTER_FIELD, "values", out)
    decoded = set()
    for value in values[: limits.MAX_VALUES_PER_FILTER_FIELD]:
        if value not in mapping:
            out.append(FieldViolation(field, f"unknown value {value}"))
        else:
            decoded.add(mapping[value])
    return frozenset(decoded)


def order_from_wire(order_bys: Sequence[pb.OrderBy]) -> tuple[SortKey, ...]:
    """The requested order plus tie-breakers (created_at, then id) so the order is total.

    Each key is ascending unless DESC. Tie-breakers take the direction of the last requested key;
    with no order_bys the order is created_at descending. Severity sorts INFO < LOW < WARNING <
    ERROR < CRITICAL; status TRIGGERED < ACKNOWLEDGED < RESOLVED; state TRIGGERED < RESOLVED; open
    incidents sort after every closed time; an incident without the ordered label sorts as "".
    """
    if not order_bys:
        return DEFAULT_ORDER
    out: list[FieldViolation] = []
    limits.check_count("order_bys", len(order_bys), limits.MAX_ORDER_BYS, "orderings", out)
    keys: list[SortKey] = []
    for index, order_by in enumerate(order_bys[: limits.MAX_ORDER_BYS]):
        field = f"order_bys[{index}]"
        if order_by.direction not in DIRECTIONS:
            out.append(FieldViolation(f"{field}.direction", f"unknown direction {order_by.direction}"))
            continue
        descending = order_by.direction == pb.ORDER_BY_DIRECTION_DESC
        which = order_by.WhichOneof("field")
        if which == "contextual_label":
            label_key = label_key_from_wire(
                f"{field}.contextual_label", order_by.contextual_label.value, "order by", out
            )
            if not label_key:
                continue
            key = SortKey(SortField.CONTEXTUAL_LABEL, descending, label_key)
        else:
            sort_field = SORT_FIELDS_FROM_WIRE.get(order_by.incident_field)
            if sort_field is None:
                out.append(FieldViolation(f"{field}.incident_field", "choose an incident field to order by"))
                continue
            key = SortKey(sort_field, descending)
        if all((k.field, k.label_key) != (key.field, key.label_key) for k in keys):
            keys.append(key)
    check_violations(out)
    last_descending = keys[-1].descending
    for tie_breaker in (SortField.CREATED_AT, SortField.ID):
        if all(key.field is not tie_breaker for key in keys):
            keys.append(SortKey(tie_breaker, last_descending))
    return tuple(keys)


def page_size_from_wire(pagination: pb.PaginationRequest) -> int:
    """0 or unset means the default of 50; above 1000 means 1000 (AIP-158)."""
    requested = pagination.page_size.value if pagination.HasField("page_size") else 0
    if requested == 0:
        return limits.DEFAULT_PAGE_SIZE
    return min(requested, limits.MAX_PAGE_SIZE)


def incident_draft_from_wire(request: api.CreateIncidentRequest) -> IncidentDraft:
    """CreateIncident's new incident: a name, and every other field within its limit."""
    out: list[FieldViolation] = []
    if not request.name.strip():
        out.append(FieldViolation("name", "is required"))
    limits.check_text("name", request.name, limits.MAX_NAME_CHARS, out)
    limits.check_description("description", request.description, out)
    draft = IncidentDraft(
        name=request.name,
        description=request.description,
        severity=severity_from_wire("severity", request.severity, out, allow_unset=True),
        contextual_labels=label_map_from_wire("contextual_labels", request.contextual_labels, out),
        display_labels=label_map_from_wire("display_labels", request.display_labels, out),
        meta_labels=meta_labels_from_wire("meta_labels", request.meta_labels, out),
        application_name=request.application_name,
        subsystem_name=request.subsystem_name,
        assignee=request.assignee,
    )
    for field in ("application_name", "subsystem_name"):
        limits.check_text(field, getattr(request, field), limits.MAX_LABEL_VALUE_CHARS, out)
    limits.check_text("assignee", request.assignee, limits.MAX_KEY_CHARS, out)
    check_violations(out)
    return draft


def snooze_from_wire(request: api.SnoozeIncidentsRequest) -> tuple[list[str], int]:
    """SnoozeIncidents' ids and minutes."""
    out: list[FieldViolation] = []
    ids = id_list("incident_ids", request.incident_ids, out)
    if not limits.MIN_SNOOZE_MINUTES <= request.duration_minutes <= limits.MAX_SNOOZE_MINUTES:
        out.append(
            FieldViolation(
                "duration_minutes", f"must be {limits.MIN_SNOOZE_MINUTES} to {limits.MAX_SNOOZE_MINUTES} minutes"
            )
        )
    check_violations(out)
    return ids, request.duration_minutes


def incident_changes_from_wire(request: api.UpdateIncidentRequest, out: list[FieldViolation]) -> IncidentChanges:
    """The fields named by update_mask, with their new values (labels replace the whole map/list)."""
    paths = list(request.update_mask.paths)
    if not limits.check_count("update_mask.paths", len(paths), limits.MAX_UPDATE_MASK_PATHS, "paths", out):
        return {}
    if not paths:
        out.append(FieldViolation("update_mask", f"name at least one of {', '.join(UPDATABLE_FIELDS)}"))
    changes: IncidentChanges = {}
    for path in paths:
        if path not in UPDATABLE_FIELDS:
            out.append(FieldViolation("update_mask", f"unknown path {path!r}; use {', '.join(UPDATABLE_FIELDS)}"))
        elif path == "name":
            if not request.name.strip():
                out.append(FieldViolation("name", "cannot be empty"))
            limits.check_text("name", request.name, limits.MAX_NAME_CHARS, out)
            changes["name"] = request.name
        elif path == "description":
            limits.check_description("description", request.description, out)
            changes["description"] = request.description
        elif path == "severity":
            changes["severity"] = severity_from_wire("severity", request.severity, out, allow_unset=False)
        elif path == "contextual_labels":
            changes["contextual_labels"] = label_map_from_wire("contextual_labels", request.contextual_labels, out)
        elif path == "display_labels":
            changes["display_labels"] = label_map_from_wire("display_labels", request.display_labels, out)
        elif path == "meta_labels":
            pairs = meta_labels_from_wire("meta_labels", request.meta_labels, out)
            changes["meta_labels"] = list(dict.fromkeys(pairs))
    return changes


def group_keys_from_wire(group_bys: Sequence[pb.GroupBy]) -> tuple[SortKey, ...]:
    """ListIncidentAggregations group-bys: up to 3 incident fields or contextual labels."""
    out: list[FieldViolation] = []
    limits.check_count("group_bys", len(group_bys), limits.MAX_GROUP_BYS, "group_bys", out)
    keys: list[SortKey] = []
    for index, group_by in enumerate(group_bys[: limits.MAX_GROUP_BYS]):
        field = f"group_bys[{index}]"
        if group_by.order_by_direction not in DIRECTIONS:
            out.append(
                FieldViolation(f"{field}.order_by_direction", f"unknown direction {group_by.order_by_direction}")
            )
            continue
        descending = group_by.order_by_direction == pb.ORDER_BY_DIRECTION_DESC
        if group_by.WhichOneof("field") == "contextual_label":
            label_key = label_key_from_wire(
                f"{field}.contextual_label", group_by.contextual_label.value, "group by", out
            )
            if not label_key:
                continue
            key = SortKey(SortField.CONTEXTUAL_LABEL, descending, label_key)
        else:
            sort_field = SORT_FIELDS_FROM_WIRE.get(group_by.incident_field)
            if sort_field not in GROUPABLE_FIELDS or sort_field is None:
                out.append(
                    FieldViolation(
                        f"{field}.incident_field",
                        "group by ID, SEVERITY, NAME, STATE, STATUS, APPLICATION_NAME, SUBSYSTEM_NAME "
                        "or a contextual label",
                    )
                )
                continue
            key = SortKey(sort_field, descending)
        if any((k.field, k.label_key) == (key.field, key.label_key) for k in keys):
            out.append(FieldViolation(field, "the same group-by is listed twice"))
        keys.append(key)
    check_violations(out)
    return tuple(keys)


def event_filter_from_wire(f: pb.IncidentEventQueryFilter, prefix: str = "filter") -> EventFilter:
    """The event filter as an incident filter over each event's snapshot, plus its time window."""
    out: list[FieldViolation] = []
    search = None
    if f.HasField("name") and f.name.value:
        # A case-insensitive substring of the incident name, as search_query on incidents.
        limits.check_text(f"{prefix}.name", f.name.value, limits.MAX_SEARCH_QUERY_CHARS, out)
        search = SearchQuery(f.name.value, SearchField.NAME)
    _check_operator(f"{prefix}.labels.operator", f.labels.operator, out)
    incident_filter = IncidentFilter(
        statuses=_enum_set(f"{prefix}.status", f.status, STATUS_FROM_WIRE, out),
        severities=_enum_set(f"{prefix}.severity", f.severity, SEVERITY_FROM_WIRE, out),
        **_label_filters(prefix, f, out),
        meta_labels=_meta_label_filter(f"{prefix}.labels.meta_labels", f.labels.meta_labels, out),
        meta_labels_all=f.labels.operator == pb.FILTER_OPERATOR_AND,
        is_muted=f.is_muted.value if f.HasField("is_muted") else None,
        search=search,
    )
    timestamp_from, timestamp_to = _time_range(f"{prefix}.timestamp", f, "timestamp", out)
    check_violations(out)
    return EventFilter(incident_filter, timestamp_from, timestamp_to)


def event_order_from_wire(order_by: pb.ListIncidentEventRequestOrderBy) -> bool:
    """True for newest first: events are ordered by timestamp, descending unless ASC is asked for."""
    out: list[FieldViolation] = []
    if order_by.direction not in DIRECTIONS:
        out.append(FieldViolation("order_by.direction", f"unknown direction {order_by.direction}"))
    if order_by.field != pb.INCIDENT_EVENT_ORDER_BY_FIELD_TYPE_TIMESTAMP_OR_UNSPECIFIED:
        out.append(FieldViolation("order_by.field", "events are ordered by timestamp"))
    check_violations(out)
    return order_by.direction != pb.ORDER_BY_DIRECTION_ASC


def statistics_query_from_wire(request: ins.GetIncidentStatisticsRequest) -> StatisticsQuery:
    out: list[FieldViolation] = []
    try:
        incident_filter = incident_filter_from_wire(request.filter)
    except InvalidArgument as error:
        out.extend(error.violations)
        incident_filter = IncidentFilter()
    start = end = None
    for field in ("from_time", "to_time"):
        if not request.HasField(field):
            out.append(FieldViolation(field, "is required"))
    if request.HasField("from_time"):
        start = timestamp_from_wire("from_time", request.from_time, out, round_up=True)
    if request.HasField("to_time"):
        end = timestamp_from_wire("to_time", request.to_time, out, round_up=True)
    if start is not None and end is not None:
        if end <= start:
            out.append(FieldViolation("to_time", "must be after from_time"))
        elif end - start > MAX_STATISTICS_RANGE:
            out.append(FieldViolation("to_time", "the range may be at most 100 years long"))
    if not 1 <= request.bucket_count <= MAX_BUCKETS:
        out.append(FieldViolation("bucket_count", f"must be 1 to {MAX_BUCKETS}"))
    label_key = None
    if request.contextual_label_key:
        label_key = label_key_from_wire("contextual_label_key", request.contextual_label_key, "group by", out) or None
    check_violations(out)
    assert start is not None and end is not None
    return StatisticsQuery(incident_filter, start, end, request.bucket_count, label_key)
