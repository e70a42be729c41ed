import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import wrappers_pb2 as _wrappers_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FilterOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FILTER_OPERATOR_OR_OR_UNSPECIFIED: _ClassVar[FilterOperator]
    FILTER_OPERATOR_AND: _ClassVar[FilterOperator]

class IncidentEventAlertType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INCIDENT_EVENT_ALERT_TYPE_STANDARD_OR_UNSPECIFIED: _ClassVar[IncidentEventAlertType]
    INCIDENT_EVENT_ALERT_TYPE_METRIC: _ClassVar[IncidentEventAlertType]
    INCIDENT_EVENT_ALERT_TYPE_NEW_VALUE: _ClassVar[IncidentEventAlertType]
    INCIDENT_EVENT_ALERT_TYPE_RATIO: _ClassVar[IncidentEventAlertType]
    INCIDENT_EVENT_ALERT_TYPE_TIME_RELATIVE: _ClassVar[IncidentEventAlertType]
    INCIDENT_EVENT_ALERT_TYPE_UNIQUE_COUNT: _ClassVar[IncidentEventAlertType]
    INCIDENT_EVENT_ALERT_TYPE_TRACING: _ClassVar[IncidentEventAlertType]
    INCIDENT_EVENT_ALERT_TYPE_FLOW: _ClassVar[IncidentEventAlertType]
    INCIDENT_EVENT_ALERT_TYPE_SLO: _ClassVar[IncidentEventAlertType]

class IncidentEventOrderByFieldType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INCIDENT_EVENT_ORDER_BY_FIELD_TYPE_TIMESTAMP_OR_UNSPECIFIED: _ClassVar[IncidentEventOrderByFieldType]

class IncidentEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INCIDENT_EVENT_TYPE_UNSPECIFIED: _ClassVar[IncidentEventType]
    INCIDENT_EVENT_TYPE_UPSERT_STATE: _ClassVar[IncidentEventType]
    INCIDENT_EVENT_TYPE_OPEN: _ClassVar[IncidentEventType]
    INCIDENT_EVENT_TYPE_CLOSE: _ClassVar[IncidentEventType]
    INCIDENT_EVENT_TYPE_SNOOZE_INDICATOR: _ClassVar[IncidentEventType]
    INCIDENT_EVENT_TYPE_ASSIGN: _ClassVar[IncidentEventType]
    INCIDENT_EVENT_TYPE_ACKNOWLEDGE: _ClassVar[IncidentEventType]
    INCIDENT_EVENT_TYPE_UNASSIGN: _ClassVar[IncidentEventType]

class IncidentFields(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INCIDENTS_FIELDS_UNSPECIFIED: _ClassVar[IncidentFields]
    INCIDENTS_FIELDS_ID: _ClassVar[IncidentFields]
    INCIDENTS_FIELDS_SEVERITY: _ClassVar[IncidentFields]
    INCIDENTS_FIELDS_NAME: _ClassVar[IncidentFields]
    INCIDENTS_FIELDS_CREATED_TIME: _ClassVar[IncidentFields]
    INCIDENTS_FIELDS_CLOSED_TIME: _ClassVar[IncidentFields]
    INCIDENTS_FIELDS_STATE: _ClassVar[IncidentFields]
    INCIDENTS_FIELDS_STATUS: _ClassVar[IncidentFields]
    INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME: _ClassVar[IncidentFields]
    INCIDENTS_FIELDS_APPLICATION_NAME: _ClassVar[IncidentFields]
    INCIDENTS_FIELDS_SUBSYSTEM_NAME: _ClassVar[IncidentFields]
    INCIDENTS_FIELDS_DURATION: _ClassVar[IncidentFields]

class IncidentSeverity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INCIDENT_SEVERITY_UNSPECIFIED: _ClassVar[IncidentSeverity]
    INCIDENT_SEVERITY_INFO: _ClassVar[IncidentSeverity]
    INCIDENT_SEVERITY_WARNING: _ClassVar[IncidentSeverity]
    INCIDENT_SEVERITY_ERROR: _ClassVar[IncidentSeverity]
    INCIDENT_SEVERITY_CRITICAL: _ClassVar[IncidentSeverity]
    INCIDENT_SEVERITY_LOW: _ClassVar[IncidentSeverity]

class IncidentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INCIDENT_STATE_UNSPECIFIED: _ClassVar[IncidentState]
    INCIDENT_STATE_TRIGGERED: _ClassVar[IncidentState]
    INCIDENT_STATE_RESOLVED: _ClassVar[IncidentState]

class IncidentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INCIDENT_STATUS_UNSPECIFIED: _ClassVar[IncidentStatus]
    INCIDENT_STATUS_TRIGGERED: _ClassVar[IncidentStatus]
    INCIDENT_STATUS_ACKNOWLEDGED: _ClassVar[IncidentStatus]
    INCIDENT_STATUS_RESOLVED: _ClassVar[IncidentStatus]

class OrderByDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_BY_DIRECTION_UNSPECIFIED: _ClassVar[OrderByDirection]
    ORDER_BY_DIRECTION_ASC: _ClassVar[OrderByDirection]
    ORDER_BY_DIRECTION_DESC: _ClassVar[OrderByDirection]

class OrderByFields(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_BY_FIELDS_UNSPECIFIED: _ClassVar[OrderByFields]
    ORDER_BY_FIELDS_ID: _ClassVar[OrderByFields]
    ORDER_BY_FIELDS_SEVERITY: _ClassVar[OrderByFields]
    ORDER_BY_FIELDS_NAME: _ClassVar[OrderByFields]
    ORDER_BY_FIELDS_CREATED_TIME: _ClassVar[OrderByFields]
    ORDER_BY_FIELDS_CLOSED_TIME: _ClassVar[OrderByFields]

class OriginatorType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORIGINATOR_TYPE_UNSPECIFIED: _ClassVar[OriginatorType]
    ORIGINATOR_TYPE_OPERATIONAL: _ClassVar[OriginatorType]
    ORIGINATOR_TYPE_ADMINISTRATIVE: _ClassVar[OriginatorType]

class UpsertIncidentStateType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UPSERT_INCIDENT_STATE_TYPE_UNSPECIFIED: _ClassVar[UpsertIncidentStateType]
    UPSERT_INCIDENT_STATE_TYPE_TRIGGERED: _ClassVar[UpsertIncidentStateType]
    UPSERT_INCIDENT_STATE_TYPE_RESOLVED: _ClassVar[UpsertIncidentStateType]
FILTER_OPERATOR_OR_OR_UNSPECIFIED: FilterOperator
FILTER_OPERATOR_AND: FilterOperator
INCIDENT_EVENT_ALERT_TYPE_STANDARD_OR_UNSPECIFIED: IncidentEventAlertType
INCIDENT_EVENT_ALERT_TYPE_METRIC: IncidentEventAlertType
INCIDENT_EVENT_ALERT_TYPE_NEW_VALUE: IncidentEventAlertType
INCIDENT_EVENT_ALERT_TYPE_RATIO: IncidentEventAlertType
INCIDENT_EVENT_ALERT_TYPE_TIME_RELATIVE: IncidentEventAlertType
INCIDENT_EVENT_ALERT_TYPE_UNIQUE_COUNT: IncidentEventAlertType
INCIDENT_EVENT_ALERT_TYPE_TRACING: IncidentEventAlertType
INCIDENT_EVENT_ALERT_TYPE_FLOW: IncidentEventAlertType
INCIDENT_EVENT_ALERT_TYPE_SLO: IncidentEventAlertType
INCIDENT_EVENT_ORDER_BY_FIELD_TYPE_TIMESTAMP_OR_UNSPECIFIED: IncidentEventOrderByFieldType
INCIDENT_EVENT_TYPE_UNSPECIFIED: IncidentEventType
INCIDENT_EVENT_TYPE_UPSERT_STATE: IncidentEventType
INCIDENT_EVENT_TYPE_OPEN: IncidentEventType
INCIDENT_EVENT_TYPE_CLOSE: IncidentEventType
INCIDENT_EVENT_TYPE_SNOOZE_INDICATOR: IncidentEventType
INCIDENT_EVENT_TYPE_ASSIGN: IncidentEventType
INCIDENT_EVENT_TYPE_ACKNOWLEDGE: IncidentEventType
INCIDENT_EVENT_TYPE_UNASSIGN: IncidentEventType
INCIDENTS_FIELDS_UNSPECIFIED: IncidentFields
INCIDENTS_FIELDS_ID: IncidentFields
INCIDENTS_FIELDS_SEVERITY: IncidentFields
INCIDENTS_FIELDS_NAME: IncidentFields
INCIDENTS_FIELDS_CREATED_TIME: IncidentFields
INCIDENTS_FIELDS_CLOSED_TIME: IncidentFields
INCIDENTS_FIELDS_STATE: IncidentFields
INCIDENTS_FIELDS_STATUS: IncidentFields
INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME: IncidentFields
INCIDENTS_FIELDS_APPLICATION_NAME: IncidentFields
INCIDENTS_FIELDS_SUBSYSTEM_NAME: IncidentFields
INCIDENTS_FIELDS_DURATION: IncidentFields
INCIDENT_SEVERITY_UNSPECIFIED: IncidentSeverity
INCIDENT_SEVERITY_INFO: IncidentSeverity
INCIDENT_SEVERITY_WARNING: IncidentSeverity
INCIDENT_SEVERITY_ERROR: IncidentSeverity
INCIDENT_SEVERITY_CRITICAL: IncidentSeverity
INCIDENT_SEVERITY_LOW: IncidentSeverity
INCIDENT_STATE_UNSPECIFIED: IncidentState
INCIDENT_STATE_TRIGGERED: IncidentState
INCIDENT_STATE_RESOLVED: IncidentState
INCIDENT_STATUS_UNSPECIFIED: IncidentStatus
INCIDENT_STATUS_TRIGGERED: IncidentStatus
INCIDENT_STATUS_ACKNOWLEDGED: IncidentStatus
INCIDENT_STATUS_RESOLVED: IncidentStatus
ORDER_BY_DIRECTION_UNSPECIFIED: OrderByDirection
ORDER_BY_DIRECTION_ASC: OrderByDirection
ORDER_BY_DIRECTION_DESC: OrderByDirection
ORDER_BY_FIELDS_UNSPECIFIED: OrderByFields
ORDER_BY_FIELDS_ID: OrderByFields
ORDER_BY_FIELDS_SEVERITY: OrderByFields
ORDER_BY_FIELDS_NAME: OrderByFields
ORDER_BY_FIELDS_CREATED_TIME: OrderByFields
ORDER_BY_FIELDS_CLOSED_TIME: OrderByFields
ORIGINATOR_TYPE_UNSPECIFIED: OriginatorType
ORIGINATOR_TYPE_OPERATIONAL: OriginatorType
ORIGINATOR_TYPE_ADMINISTRATIVE: OriginatorType
UPSERT_INCIDENT_STATE_TYPE_UNSPECIFIED: UpsertIncidentStateType
UPSERT_INCIDENT_STATE_TYPE_TRIGGERED: UpsertIncidentStateType
UPSERT_INCIDENT_STATE_TYPE_RESOLVED: UpsertIncidentStateType

class Incident(_message.Message):
    __slots__ = ("id", "name", "state", "status", "assignments", "description", "severity", "events", "created_at", "closed_at", "contextual_labels", "display_labels", "last_state_update_time", "last_state_update_key", "is_muted", "meta_labels", "duration")
    class ContextualLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class DisplayLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTEXTUAL_LABELS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_LABELS_FIELD_NUMBER: _ClassVar[int]
    LAST_STATE_UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_STATE_UPDATE_KEY_FIELD_NUMBER: _ClassVar[int]
    IS_MUTED_FIELD_NUMBER: _ClassVar[int]
    META_LABELS_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    id: _wrappers_pb2.StringValue
    name: _wrappers_pb2.StringValue
    state: IncidentState
    status: IncidentStatus
    assignments: _containers.RepeatedCompositeFieldContainer[Assignment]
    description: _wrappers_pb2.StringValue
    severity: IncidentSeverity
    events: _containers.RepeatedCompositeFieldContainer[IncidentEvent]
    created_at: _timestamp_pb2.Timestamp
    closed_at: _timestamp_pb2.Timestamp
    contextual_labels: _containers.ScalarMap[str, str]
    display_labels: _containers.ScalarMap[str, str]
    last_state_update_time: _timestamp_pb2.Timestamp
    last_state_update_key: _wrappers_pb2.StringValue
    is_muted: _wrappers_pb2.BoolValue
    meta_labels: _containers.RepeatedCompositeFieldContainer[MetaLabel]
    duration: _duration_pb2.Duration
    def __init__(self, id: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., name: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., state: _Optional[_Union[IncidentState, str]] = ..., status: _Optional[_Union[IncidentStatus, str]] = ..., assignments: _Optional[_Iterable[_Union[Assignment, _Mapping]]] = ..., description: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., severity: _Optional[_Union[IncidentSeverity, str]] = ..., events: _Optional[_Iterable[_Union[IncidentEvent, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contextual_labels: _Optional[_Mapping[str, str]] = ..., display_labels: _Optional[_Mapping[str, str]] = ..., last_state_update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_state_update_key: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., is_muted: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ..., meta_labels: _Optional[_Iterable[_Union[MetaLabel, _Mapping]]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class Assignment(_message.Message):
    __slots__ = ("assigned_to", "assigned_by")
    ASSIGNED_TO_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_BY_FIELD_NUMBER: _ClassVar[int]
    assigned_to: UserDetails
    assigned_by: UserDetails
    def __init__(self, assigned_to: _Optional[_Union[UserDetails, _Mapping]] = ..., assigned_by: _Optional[_Union[UserDetails, _Mapping]] = ...) -> None: ...

class UserDetails(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: _wrappers_pb2.StringValue
    def __init__(self, user_id: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class MetaLabel(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: _wrappers_pb2.StringValue
    value: _wrappers_pb2.StringValue
    def __init__(self, key: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., value: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class IncidentEvent(_message.Message):
    __slots__ = ("id", "incident_event_type", "originator_type", "administrative_event", "operational_event", "snooze_indicator", "assignment", "upsert_state", "acknowledge", "close", "unassign")
    ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ORIGINATOR_TYPE_FIELD_NUMBER: _ClassVar[int]
    ADMINISTRATIVE_EVENT_FIELD_NUMBER: _ClassVar[int]
    OPERATIONAL_EVENT_FIELD_NUMBER: _ClassVar[int]
    SNOOZE_INDICATOR_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    UPSERT_STATE_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    UNASSIGN_FIELD_NUMBER: _ClassVar[int]
    id: _wrappers_pb2.StringValue
    incident_event_type: IncidentEventType
    originator_type: OriginatorType
    administrative_event: IncidentEventOriginatorAdministrative
    operational_event: IncidentEventOriginatorOperational
    snooze_indicator: IncidentEventSnoozeIndicator
    assignment: IncidentEventAssign
    upsert_state: IncidentEventUpsertState
    acknowledge: IncidentEventAcknowledge
    close: IncidentEventClose
    unassign: IncidentEventUnassign
    def __init__(self, id: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., incident_event_type: _Optional[_Union[IncidentEventType, str]] = ..., originator_type: _Optional[_Union[OriginatorType, str]] = ..., administrative_event: _Optional[_Union[IncidentEventOriginatorAdministrative, _Mapping]] = ..., operational_event: _Optional[_Union[IncidentEventOriginatorOperational, _Mapping]] = ..., snooze_indicator: _Optional[_Union[IncidentEventSnoozeIndicator, _Mapping]] = ..., assignment: _Optional[_Union[IncidentEventAssign, _Mapping]] = ..., upsert_state: _Optional[_Union[IncidentEventUpsertState, _Mapping]] = ..., acknowledge: _Optional[_Union[IncidentEventAcknowledge, _Mapping]] = ..., close: _Optional[_Union[IncidentEventClose, _Mapping]] = ..., unassign: _Optional[_Union[IncidentEventUnassign, _Mapping]] = ...) -> None: ...

class IncidentEventOriginatorAdministrative(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: _wrappers_pb2.StringValue
    def __init__(self, user_id: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class IncidentEventOriginatorOperational(_message.Message):
    __slots__ = ("system_name",)
    SYSTEM_NAME_FIELD_NUMBER: _ClassVar[int]
    system_name: _wrappers_pb2.StringValue
    def __init__(self, system_name: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class IncidentEventSnoozeIndicator(_message.Message):
    __slots__ = ("start_time", "duration_minutes", "user_id")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    duration_minutes: _wrappers_pb2.Int32Value
    user_id: _wrappers_pb2.StringValue
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration_minutes: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ..., user_id: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class IncidentEventAssign(_message.Message):
    __slots__ = ("assignment",)
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    assignment: Assignment
    def __init__(self, assignment: _Optional[_Union[Assignment, _Mapping]] = ...) -> None: ...

class IncidentEventUpsertState(_message.Message):
    __slots__ = ("state_type", "payload", "is_muted")
    STATE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    IS_MUTED_FIELD_NUMBER: _ClassVar[int]
    state_type: UpsertIncidentStateType
    payload: UpsertIncidentStatePayload
    is_muted: _wrappers_pb2.BoolValue
    def __init__(self, state_type: _Optional[_Union[UpsertIncidentStateType, str]] = ..., payload: _Optional[_Union[UpsertIncidentStatePayload, _Mapping]] = ..., is_muted: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ...) -> None: ...

class UpsertIncidentStatePayload(_message.Message):
    __slots__ = ("cx_event_key",)
    CX_EVENT_KEY_FIELD_NUMBER: _ClassVar[int]
    cx_event_key: _wrappers_pb2.StringValue
    def __init__(self, cx_event_key: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class IncidentEventAcknowledge(_message.Message):
    __slots__ = ("acknowledged_by",)
    ACKNOWLEDGED_BY_FIELD_NUMBER: _ClassVar[int]
    acknowledged_by: UserDetails
    def __init__(self, acknowledged_by: _Optional[_Union[UserDetails, _Mapping]] = ...) -> None: ...

class IncidentEventClose(_message.Message):
    __slots__ = ("closed_by",)
    CLOSED_BY_FIELD_NUMBER: _ClassVar[int]
    closed_by: UserDetails
    def __init__(self, closed_by: _Optional[_Union[UserDetails, _Mapping]] = ...) -> None: ...

class IncidentEventUnassign(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class IncidentEventExtended(_message.Message):
    __slots__ = ("cx_event_key", "incident_event", "cx_event_timestamp", "incident_event_extended_metadata")
    CX_EVENT_KEY_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_EVENT_FIELD_NUMBER: _ClassVar[int]
    CX_EVENT_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_EVENT_EXTENDED_METADATA_FIELD_NUMBER: _ClassVar[int]
    cx_event_key: _wrappers_pb2.StringValue
    incident_event: IncidentEvent
    cx_event_timestamp: _timestamp_pb2.Timestamp
    incident_event_extended_metadata: IncidentEventExtendedMetadata
    def __init__(self, cx_event_key: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., incident_event: _Optional[_Union[IncidentEvent, _Mapping]] = ..., cx_event_timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., incident_event_extended_metadata: _Optional[_Union[IncidentEventExtendedMetadata, _Mapping]] = ...) -> None: ...

class IncidentEventExtendedMetadata(_message.Message):
    __slots__ = ("incident_severity", "alert_id", "incident_state", "alert_name", "alert_type", "is_muted", "incident_status", "alert_group_by_fields", "alert_labels", "incident_permutation")
    class IncidentPermutationEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    INCIDENT_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_STATE_FIELD_NUMBER: _ClassVar[int]
    ALERT_NAME_FIELD_NUMBER: _ClassVar[int]
    ALERT_TYPE_FIELD_NUMBER: _ClassVar[int]
    IS_MUTED_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    ALERT_GROUP_BY_FIELDS_FIELD_NUMBER: _ClassVar[int]
    ALERT_LABELS_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_PERMUTATION_FIELD_NUMBER: _ClassVar[int]
    incident_severity: IncidentSeverity
    alert_id: _wrappers_pb2.StringValue
    incident_state: IncidentState
    alert_name: _wrappers_pb2.StringValue
    alert_type: IncidentEventAlertType
    is_muted: _wrappers_pb2.BoolValue
    incident_status: IncidentStatus
    alert_group_by_fields: _containers.RepeatedCompositeFieldContainer[_wrappers_pb2.StringValue]
    alert_labels: _containers.RepeatedCompositeFieldContainer[MetaLabel]
    incident_permutation: _containers.ScalarMap[str, str]
    def __init__(self, incident_severity: _Optional[_Union[IncidentSeverity, str]] = ..., alert_id: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., incident_state: _Optional[_Union[IncidentState, str]] = ..., alert_name: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., alert_type: _Optional[_Union[IncidentEventAlertType, str]] = ..., is_muted: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ..., incident_status: _Optional[_Union[IncidentStatus, str]] = ..., alert_group_by_fields: _Optional[_Iterable[_Union[_wrappers_pb2.StringValue, _Mapping]]] = ..., alert_labels: _Optional[_Iterable[_Union[MetaLabel, _Mapping]]] = ..., incident_permutation: _Optional[_Mapping[str, str]] = ...) -> None: ...

class IncidentQueryFilter(_message.Message):
    __slots__ = ("assignee", "status", "state", "severity", "contextual_labels", "start_time", "end_time", "search_query", "application_name", "subsystem_name", "is_muted", "created_at_range", "incident_duration_range", "meta_labels", "meta_labels_op", "display_labels")
    class ContextualLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ContextualLabelValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ContextualLabelValues, _Mapping]] = ...) -> None: ...
    class DisplayLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: DisplayLabelValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[DisplayLabelValues, _Mapping]] = ...) -> None: ...
    ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CONTEXTUAL_LABELS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    SEARCH_QUERY_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_NAME_FIELD_NUMBER: _ClassVar[int]
    SUBSYSTEM_NAME_FIELD_NUMBER: _ClassVar[int]
    IS_MUTED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_RANGE_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_DURATION_RANGE_FIELD_NUMBER: _ClassVar[int]
    META_LABELS_FIELD_NUMBER: _ClassVar[int]
    META_LABELS_OP_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_LABELS_FIELD_NUMBER: _ClassVar[int]
    assignee: _containers.RepeatedCompositeFieldContainer[_wrappers_pb2.StringValue]
    status: _containers.RepeatedScalarFieldContainer[IncidentStatus]
    state: _containers.RepeatedScalarFieldContainer[IncidentState]
    severity: _containers.RepeatedScalarFieldContainer[IncidentSeverity]
    contextual_labels: _containers.MessageMap[str, ContextualLabelValues]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    search_query: IncidentSearchQuery
    application_name: _containers.RepeatedCompositeFieldContainer[_wrappers_pb2.StringValue]
    subsystem_name: _containers.RepeatedCompositeFieldContainer[_wrappers_pb2.StringValue]
    is_muted: _wrappers_pb2.BoolValue
    created_at_range: TimeRange
    incident_duration_range: TimeRange
    meta_labels: _containers.RepeatedCompositeFieldContainer[MetaLabel]
    meta_labels_op: FilterOperator
    display_labels: _containers.MessageMap[str, DisplayLabelValues]
    def __init__(self, assignee: _Optional[_Iterable[_Union[_wrappers_pb2.StringValue, _Mapping]]] = ..., status: _Optional[_Iterable[_Union[IncidentStatus, str]]] = ..., state: _Optional[_Iterable[_Union[IncidentState, str]]] = ..., severity: _Optional[_Iterable[_Union[IncidentSeverity, str]]] = ..., contextual_labels: _Optional[_Mapping[str, ContextualLabelValues]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., search_query: _Optional[_Union[IncidentSearchQuery, _Mapping]] = ..., application_name: _Optional[_Iterable[_Union[_wrappers_pb2.StringValue, _Mapping]]] = ..., subsystem_name: _Optional[_Iterable[_Union[_wrappers_pb2.StringValue, _Mapping]]] = ..., is_muted: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ..., created_at_range: _Optional[_Union[TimeRange, _Mapping]] = ..., incident_duration_range: _Optional[_Union[TimeRange, _Mapping]] = ..., meta_labels: _Optional[_Iterable[_Union[MetaLabel, _Mapping]]] = ..., meta_labels_op: _Optional[_Union[FilterOperator, str]] = ..., display_labels: _Optional[_Mapping[str, DisplayLabelValues]] = ...) -> None: ...

class IncidentEventQueryFilter(_message.Message):
    __slots__ = ("status", "severity", "contextual_labels", "name", "is_muted", "timestamp", "labels", "display_labels")
    class ContextualLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ContextualLabelValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ContextualLabelValues, _Mapping]] = ...) -> None: ...
    class DisplayLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: DisplayLabelValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[DisplayLabelValues, _Mapping]] = ...) -> None: ...
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CONTEXTUAL_LABELS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    IS_MUTED_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_LABELS_FIELD_NUMBER: _ClassVar[int]
    status: _containers.RepeatedScalarFieldContainer[IncidentStatus]
    severity: _containers.RepeatedScalarFieldContainer[IncidentSeverity]
    contextual_labels: _containers.MessageMap[str, ContextualLabelValues]
    name: _wrappers_pb2.StringValue
    is_muted: _wrappers_pb2.BoolValue
    timestamp: TimeRange
    labels: LabelsFilter
    display_labels: _containers.MessageMap[str, DisplayLabelValues]
    def __init__(self, status: _Optional[_Iterable[_Union[IncidentStatus, str]]] = ..., severity: _Optional[_Iterable[_Union[IncidentSeverity, str]]] = ..., contextual_labels: _Optional[_Mapping[str, ContextualLabelValues]] = ..., name: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., is_muted: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ..., timestamp: _Optional[_Union[TimeRange, _Mapping]] = ..., labels: _Optional[_Union[LabelsFilter, _Mapping]] = ..., display_labels: _Optional[_Mapping[str, DisplayLabelValues]] = ...) -> None: ...

class ContextualLabelValues(_message.Message):
    __slots__ = ("contextual_label_values",)
    CONTEXTUAL_LABEL_VALUES_FIELD_NUMBER: _ClassVar[int]
    contextual_label_values: _containers.RepeatedCompositeFieldContainer[_wrappers_pb2.StringValue]
    def __init__(self, contextual_label_values: _Optional[_Iterable[_Union[_wrappers_pb2.StringValue, _Mapping]]] = ...) -> None: ...

class DisplayLabelValues(_message.Message):
    __slots__ = ("display_label_values",)
    DISPLAY_LABEL_VALUES_FIELD_NUMBER: _ClassVar[int]
    display_label_values: _containers.RepeatedCompositeFieldContainer[_wrappers_pb2.StringValue]
    def __init__(self, display_label_values: _Optional[_Iterable[_Union[_wrappers_pb2.StringValue, _Mapping]]] = ...) -> None: ...

class LabelsFilter(_message.Message):
    __slots__ = ("meta_labels", "operator")
    META_LABELS_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    meta_labels: _containers.RepeatedCompositeFieldContainer[MetaLabel]
    operator: FilterOperator
    def __init__(self, meta_labels: _Optional[_Iterable[_Union[MetaLabel, _Mapping]]] = ..., operator: _Optional[_Union[FilterOperator, str]] = ...) -> None: ...

class TimeRange(_message.Message):
    __slots__ = ("start_time", "end_time")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IncidentSearchQuery(_message.Message):
    __slots__ = ("query", "incident_field", "contextual_label")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_FIELD_FIELD_NUMBER: _ClassVar[int]
    CONTEXTUAL_LABEL_FIELD_NUMBER: _ClassVar[int]
    query: _wrappers_pb2.StringValue
    incident_field: IncidentFields
    contextual_label: _wrappers_pb2.StringValue
    def __init__(self, query: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., incident_field: _Optional[_Union[IncidentFields, str]] = ..., contextual_label: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class OrderBy(_message.Message):
    __slots__ = ("direction", "incident_field", "contextual_label")
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_FIELD_FIELD_NUMBER: _ClassVar[int]
    CONTEXTUAL_LABEL_FIELD_NUMBER: _ClassVar[int]
    direction: OrderByDirection
    incident_field: IncidentFields
    contextual_label: _wrappers_pb2.StringValue
    def __init__(self, direction: _Optional[_Union[OrderByDirection, str]] = ..., incident_field: _Optional[_Union[IncidentFields, str]] = ..., contextual_label: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class GroupBy(_message.Message):
    __slots__ = ("order_by_direction", "incident_field", "contextual_label")
    ORDER_BY_DIRECTION_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_FIELD_FIELD_NUMBER: _ClassVar[int]
    CONTEXTUAL_LABEL_FIELD_NUMBER: _ClassVar[int]
    order_by_direction: OrderByDirection
    incident_field: IncidentFields
    contextual_label: _wrappers_pb2.StringValue
    def __init__(self, order_by_direction: _Optional[_Union[OrderByDirection, str]] = ..., incident_field: _Optional[_Union[IncidentFields, str]] = ..., contextual_label: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class GroupByValues(_message.Message):
    __slots__ = ("incident_field", "contextual_labels")
    INCIDENT_FIELD_FIELD_NUMBER: _ClassVar[int]
    CONTEXTUAL_LABELS_FIELD_NUMBER: _ClassVar[int]
    incident_field: IncidentFieldOneOf
    contextual_labels: ContextualLabels
    def __init__(self, incident_field: _Optional[_Union[IncidentFieldOneOf, _Mapping]] = ..., contextual_labels: _Optional[_Union[ContextualLabels, _Mapping]] = ...) -> None: ...

class IncidentFieldOneOf(_message.Message):
    __slots__ = ("id", "severity", "name", "created_at", "closed_at", "state", "status", "last_state_update_time", "application_name", "subsystem_name", "duration")
    ID_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_STATE_UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_NAME_FIELD_NUMBER: _ClassVar[int]
    SUBSYSTEM_NAME_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    id: _wrappers_pb2.StringValue
    severity: IncidentSeverity
    name: _wrappers_pb2.StringValue
    created_at: _timestamp_pb2.Timestamp
    closed_at: _timestamp_pb2.Timestamp
    state: IncidentState
    status: IncidentStatus
    last_state_update_time: _timestamp_pb2.Timestamp
    application_name: _wrappers_pb2.StringValue
    subsystem_name: _wrappers_pb2.StringValue
    duration: _duration_pb2.Duration
    def __init__(self, id: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., severity: _Optional[_Union[IncidentSeverity, str]] = ..., name: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[IncidentState, str]] = ..., status: _Optional[_Union[IncidentStatus, str]] = ..., last_state_update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., application_name: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., subsystem_name: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ContextualLabels(_message.Message):
    __slots__ = ("field_name", "field_value")
    FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    FIELD_VALUE_FIELD_NUMBER: _ClassVar[int]
    field_name: _wrappers_pb2.StringValue
    field_value: _wrappers_pb2.StringValue
    def __init__(self, field_name: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., field_value: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class PaginationRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: _wrappers_pb2.UInt32Value
    page_token: _wrappers_pb2.StringValue
    def __init__(self, page_size: _Optional[_Union[_wrappers_pb2.UInt32Value, _Mapping]] = ..., page_token: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class PaginationResponse(_message.Message):
    __slots__ = ("total_size", "next_page_token")
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    total_size: _wrappers_pb2.UInt32Value
    next_page_token: _wrappers_pb2.StringValue
    def __init__(self, total_size: _Optional[_Union[_wrappers_pb2.UInt32Value, _Mapping]] = ..., next_page_token: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ...) -> None: ...

class IncidentAggregation(_message.Message):
    __slots__ = ("group_bys_value", "agg_state_count", "agg_status_count", "agg_severity_count", "agg_assignments_count", "first_created_at", "last_closed_at", "all_values_count", "list_incidents_id", "last_state_update_time", "agg_meta_labels_count")
    GROUP_BYS_VALUE_FIELD_NUMBER: _ClassVar[int]
    AGG_STATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    AGG_STATUS_COUNT_FIELD_NUMBER: _ClassVar[int]
    AGG_SEVERITY_COUNT_FIELD_NUMBER: _ClassVar[int]
    AGG_ASSIGNMENTS_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    ALL_VALUES_COUNT_FIELD_NUMBER: _ClassVar[int]
    LIST_INCIDENTS_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_STATE_UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    AGG_META_LABELS_COUNT_FIELD_NUMBER: _ClassVar[int]
    group_bys_value: _containers.RepeatedCompositeFieldContainer[GroupByValues]
    agg_state_count: _containers.RepeatedCompositeFieldContainer[IncidentStateCount]
    agg_status_count: _containers.RepeatedCompositeFieldContainer[IncidentStatusCount]
    agg_severity_count: _containers.RepeatedCompositeFieldContainer[IncidentSeverityCount]
    agg_assignments_count: _containers.RepeatedCompositeFieldContainer[IncidentAssignmentCount]
    first_created_at: _timestamp_pb2.Timestamp
    last_closed_at: _timestamp_pb2.Timestamp
    all_values_count: _wrappers_pb2.UInt32Value
    list_incidents_id: _containers.RepeatedCompositeFieldContainer[_wrappers_pb2.StringValue]
    last_state_update_time: _timestamp_pb2.Timestamp
    agg_meta_labels_count: _containers.RepeatedCompositeFieldContainer[IncidentMetaLabelsCount]
    def __init__(self, group_bys_value: _Optional[_Iterable[_Union[GroupByValues, _Mapping]]] = ..., agg_state_count: _Optional[_Iterable[_Union[IncidentStateCount, _Mapping]]] = ..., agg_status_count: _Optional[_Iterable[_Union[IncidentStatusCount, _Mapping]]] = ..., agg_severity_count: _Optional[_Iterable[_Union[IncidentSeverityCount, _Mapping]]] = ..., agg_assignments_count: _Optional[_Iterable[_Union[IncidentAssignmentCount, _Mapping]]] = ..., first_created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., all_values_count: _Optional[_Union[_wrappers_pb2.UInt32Value, _Mapping]] = ..., list_incidents_id: _Optional[_Iterable[_Union[_wrappers_pb2.StringValue, _Mapping]]] = ..., last_state_update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agg_meta_labels_count: _Optional[_Iterable[_Union[IncidentMetaLabelsCount, _Mapping]]] = ...) -> None: ...

class IncidentStateCount(_message.Message):
    __slots__ = ("state", "count")
    STATE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    state: IncidentState
    count: _wrappers_pb2.UInt32Value
    def __init__(self, state: _Optional[_Union[IncidentState, str]] = ..., count: _Optional[_Union[_wrappers_pb2.UInt32Value, _Mapping]] = ...) -> None: ...

class IncidentStatusCount(_message.Message):
    __slots__ = ("status", "count")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    status: IncidentStatus
    count: _wrappers_pb2.UInt32Value
    def __init__(self, status: _Optional[_Union[IncidentStatus, str]] = ..., count: _Optional[_Union[_wrappers_pb2.UInt32Value, _Mapping]] = ...) -> None: ...

class IncidentSeverityCount(_message.Message):
    __slots__ = ("severity", "count")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    severity: IncidentSeverity
    count: _wrappers_pb2.UInt32Value
    def __init__(self, severity: _Optional[_Union[IncidentSeverity, str]] = ..., count: _Optional[_Union[_wrappers_pb2.UInt32Value, _Mapping]] = ...) -> None: ...

class IncidentAssignmentCount(_message.Message):
    __slots__ = ("assigned_to", "count")
    ASSIGNED_TO_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    assigned_to: UserDetails
    count: _wrappers_pb2.UInt32Value
    def __init__(self, assigned_to: _Optional[_Union[UserDetails, _Mapping]] = ..., count: _Optional[_Union[_wrappers_pb2.UInt32Value, _Mapping]] = ...) -> None: ...

class IncidentMetaLabelsCount(_message.Message):
    __slots__ = ("meta_label", "count")
    META_LABEL_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    meta_label: MetaLabel
    count: _wrappers_pb2.UInt32Value
    def __init__(self, meta_label: _Optional[_Union[MetaLabel, _Mapping]] = ..., count: _Optional[_Union[_wrappers_pb2.UInt32Value, _Mapping]] = ...) -> None: ...

class IncidentQueryFiltersValues(_message.Message):
    __slots__ = ("assignee_with_count", "status_with_count", "state_with_count", "severity_with_count", "contextual_labels", "meta_labels_with_count", "meta_labels_op", "display_labels")
    class ContextualLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ContextualLabelValuesWithCount
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ContextualLabelValuesWithCount, _Mapping]] = ...) -> None: ...
    class DisplayLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: DisplayLabelValuesWithCount
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[DisplayLabelValuesWithCount, _Mapping]] = ...) -> None: ...
    ASSIGNEE_WITH_COUNT_FIELD_NUMBER: _ClassVar[int]
    STATUS_WITH_COUNT_FIELD_NUMBER: _ClassVar[int]
    STATE_WITH_COUNT_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_WITH_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONTEXTUAL_LABELS_FIELD_NUMBER: _ClassVar[int]
    META_LABELS_WITH_COUNT_FIELD_NUMBER: _ClassVar[int]
    META_LABELS_OP_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_LABELS_FIELD_NUMBER: _ClassVar[int]
    assignee_with_count: _containers.RepeatedCompositeFieldContainer[AssigneeWithCount]
    status_with_count: _containers.RepeatedCompositeFieldContainer[IncidentStatusWithCount]
    state_with_count: _containers.RepeatedCompositeFieldContainer[IncidentStateWithCount]
    severity_with_count: _containers.RepeatedCompositeFieldContainer[IncidentSeverityWithCount]
    contextual_labels: _containers.MessageMap[str, ContextualLabelValuesWithCount]
    meta_labels_with_count: _containers.RepeatedCompositeFieldContainer[IncidentMetaLabelsWithCount]
    meta_labels_op: FilterOperator
    display_labels: _containers.MessageMap[str, DisplayLabelValuesWithCount]
    def __init__(self, assignee_with_count: _Optional[_Iterable[_Union[AssigneeWithCount, _Mapping]]] = ..., status_with_count: _Optional[_Iterable[_Union[IncidentStatusWithCount, _Mapping]]] = ..., state_with_count: _Optional[_Iterable[_Union[IncidentStateWithCount, _Mapping]]] = ..., severity_with_count: _Optional[_Iterable[_Union[IncidentSeverityWithCount, _Mapping]]] = ..., contextual_labels: _Optional[_Mapping[str, ContextualLabelValuesWithCount]] = ..., meta_labels_with_count: _Optional[_Iterable[_Union[IncidentMetaLabelsWithCount, _Mapping]]] = ..., meta_labels_op: _Optional[_Union[FilterOperator, str]] = ..., display_labels: _Optional[_Mapping[str, DisplayLabelValuesWithCount]] = ...) -> None: ...

class AssigneeWithCount(_message.Message):
    __slots__ = ("assignee", "count")
    ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    assignee: _wrappers_pb2.StringValue
    count: _wrappers_pb2.Int32Value
    def __init__(self, assignee: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., count: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ...) -> None: ...

class IncidentStatusWithCount(_message.Message):
    __slots__ = ("status", "count")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    status: IncidentStatus
    count: _wrappers_pb2.Int32Value
    def __init__(self, status: _Optional[_Union[IncidentStatus, str]] = ..., count: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ...) -> None: ...

class IncidentStateWithCount(_message.Message):
    __slots__ = ("state", "count")
    STATE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    state: IncidentState
    count: _wrappers_pb2.Int32Value
    def __init__(self, state: _Optional[_Union[IncidentState, str]] = ..., count: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ...) -> None: ...

class IncidentSeverityWithCount(_message.Message):
    __slots__ = ("severity", "count")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    severity: IncidentSeverity
    count: _wrappers_pb2.Int32Value
    def __init__(self, severity: _Optional[_Union[IncidentSeverity, str]] = ..., count: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ...) -> None: ...

class ContextualLabelValuesWithCount(_message.Message):
    __slots__ = ("values_with_count",)
    VALUES_WITH_COUNT_FIELD_NUMBER: _ClassVar[int]
    values_with_count: _containers.RepeatedCompositeFieldContainer[ContextualLabelValueWithCount]
    def __init__(self, values_with_count: _Optional[_Iterable[_Union[ContextualLabelValueWithCount, _Mapping]]] = ...) -> None: ...

class ContextualLabelValueWithCount(_message.Message):
    __slots__ = ("contextual_label_value", "count")
    CONTEXTUAL_LABEL_VALUE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    contextual_label_value: _wrappers_pb2.StringValue
    count: _wrappers_pb2.Int32Value
    def __init__(self, contextual_label_value: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., count: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ...) -> None: ...

class DisplayLabelValuesWithCount(_message.Message):
    __slots__ = ("values_with_count",)
    VALUES_WITH_COUNT_FIELD_NUMBER: _ClassVar[int]
    values_with_count: _containers.RepeatedCompositeFieldContainer[DisplayLabelValueWithCount]
    def __init__(self, values_with_count: _Optional[_Iterable[_Union[DisplayLabelValueWithCount, _Mapping]]] = ...) -> None: ...

class DisplayLabelValueWithCount(_message.Message):
    __slots__ = ("display_label_value", "count")
    DISPLAY_LABEL_VALUE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    display_label_value: _wrappers_pb2.StringValue
    count: _wrappers_pb2.Int32Value
    def __init__(self, display_label_value: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., count: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ...) -> None: ...

class IncidentMetaLabelsWithCount(_message.Message):
    __slots__ = ("meta_label", "count")
    META_LABEL_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    meta_label: MetaLabel
    count: _wrappers_pb2.Int32Value
    def __init__(self, meta_label: _Optional[_Union[MetaLabel, _Mapping]] = ..., count: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ...) -> None: ...

class ListIncidentEventRequestOrderBy(_message.Message):
    __slots__ = ("field", "direction")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    field: IncidentEventOrderByFieldType
    direction: OrderByDirection
    def __init__(self, field: _Optional[_Union[IncidentEventOrderByFieldType, str]] = ..., direction: _Optional[_Union[OrderByDirection, str]] = ...) -> None: ...
