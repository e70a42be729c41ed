import datetime

from com.coralogixapis.incidents.v1 import incident_pb2 as _incident_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MaintenanceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MAINTENANCE_STATE_UNSPECIFIED: _ClassVar[MaintenanceState]
    MAINTENANCE_STATE_NONE: _ClassVar[MaintenanceState]
    MAINTENANCE_STATE_PARTIAL: _ClassVar[MaintenanceState]
    MAINTENANCE_STATE_ACTIVE: _ClassVar[MaintenanceState]

class AlertState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_STATE_UNSPECIFIED: _ClassVar[AlertState]
    ALERT_STATE_FIRING: _ClassVar[AlertState]
    ALERT_STATE_RESOLVED: _ClassVar[AlertState]
MAINTENANCE_STATE_UNSPECIFIED: MaintenanceState
MAINTENANCE_STATE_NONE: MaintenanceState
MAINTENANCE_STATE_PARTIAL: MaintenanceState
MAINTENANCE_STATE_ACTIVE: MaintenanceState
ALERT_STATE_UNSPECIFIED: AlertState
ALERT_STATE_FIRING: AlertState
ALERT_STATE_RESOLVED: AlertState

class MaintenanceLabelMatcher(_message.Message):
    __slots__ = ("key", "value", "not_equal")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    NOT_EQUAL_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    not_equal: bool
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ..., not_equal: _Optional[bool] = ...) -> None: ...

class MaintenanceWindow(_message.Message):
    __slots__ = ("id", "name", "matchers", "starts_at", "ends_at", "created_by", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MATCHERS_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    matchers: _containers.RepeatedCompositeFieldContainer[MaintenanceLabelMatcher]
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., matchers: _Optional[_Iterable[_Union[MaintenanceLabelMatcher, _Mapping]]] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateMaintenanceWindowRequest(_message.Message):
    __slots__ = ("window",)
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    window: MaintenanceWindow
    def __init__(self, window: _Optional[_Union[MaintenanceWindow, _Mapping]] = ...) -> None: ...

class CreateMaintenanceWindowResponse(_message.Message):
    __slots__ = ("window",)
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    window: MaintenanceWindow
    def __init__(self, window: _Optional[_Union[MaintenanceWindow, _Mapping]] = ...) -> None: ...

class ListMaintenanceWindowsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListMaintenanceWindowsResponse(_message.Message):
    __slots__ = ("windows",)
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    windows: _containers.RepeatedCompositeFieldContainer[MaintenanceWindow]
    def __init__(self, windows: _Optional[_Iterable[_Union[MaintenanceWindow, _Mapping]]] = ...) -> None: ...

class DeleteMaintenanceWindowRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteMaintenanceWindowResponse(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CorrelationRule(_message.Message):
    __slots__ = ("id", "name", "label_keys", "window_minutes", "created_by", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LABEL_KEYS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_MINUTES_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    label_keys: _containers.RepeatedScalarFieldContainer[str]
    window_minutes: int
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., label_keys: _Optional[_Iterable[str]] = ..., window_minutes: _Optional[int] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateCorrelationRuleRequest(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: CorrelationRule
    def __init__(self, rule: _Optional[_Union[CorrelationRule, _Mapping]] = ...) -> None: ...

class CreateCorrelationRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: CorrelationRule
    def __init__(self, rule: _Optional[_Union[CorrelationRule, _Mapping]] = ...) -> None: ...

class ListCorrelationRulesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCorrelationRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[CorrelationRule]
    def __init__(self, rules: _Optional[_Iterable[_Union[CorrelationRule, _Mapping]]] = ...) -> None: ...

class DeleteCorrelationRuleRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteCorrelationRuleResponse(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CorrelationLogEntry(_message.Message):
    __slots__ = ("rule_id", "rule_name", "labels", "alert_key", "matched_at")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_NAME_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ALERT_KEY_FIELD_NUMBER: _ClassVar[int]
    MATCHED_AT_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    rule_name: str
    labels: _containers.ScalarMap[str, str]
    alert_key: str
    matched_at: _timestamp_pb2.Timestamp
    def __init__(self, rule_id: _Optional[str] = ..., rule_name: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., alert_key: _Optional[str] = ..., matched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AlertSettings(_message.Message):
    __slots__ = ("flapping_threshold", "flapping_window_minutes")
    FLAPPING_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    FLAPPING_WINDOW_MINUTES_FIELD_NUMBER: _ClassVar[int]
    flapping_threshold: int
    flapping_window_minutes: int
    def __init__(self, flapping_threshold: _Optional[int] = ..., flapping_window_minutes: _Optional[int] = ...) -> None: ...

class GetAlertSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetAlertSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: AlertSettings
    def __init__(self, settings: _Optional[_Union[AlertSettings, _Mapping]] = ...) -> None: ...

class UpdateAlertSettingsRequest(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: AlertSettings
    def __init__(self, settings: _Optional[_Union[AlertSettings, _Mapping]] = ...) -> None: ...

class UpdateAlertSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: AlertSettings
    def __init__(self, settings: _Optional[_Union[AlertSettings, _Mapping]] = ...) -> None: ...

class IncidentAlert(_message.Message):
    __slots__ = ("alert_key", "state", "severity", "labels", "first_seen", "last_seen", "state_changes", "flapping", "flapping_until", "in_maintenance", "maintenance_window_id", "maintenance_until")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ALERT_KEY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEEN_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    STATE_CHANGES_FIELD_NUMBER: _ClassVar[int]
    FLAPPING_FIELD_NUMBER: _ClassVar[int]
    FLAPPING_UNTIL_FIELD_NUMBER: _ClassVar[int]
    IN_MAINTENANCE_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    alert_key: str
    state: AlertState
    severity: _incident_pb2.IncidentSeverity
    labels: _containers.ScalarMap[str, str]
    first_seen: _timestamp_pb2.Timestamp
    last_seen: _timestamp_pb2.Timestamp
    state_changes: int
    flapping: bool
    flapping_until: _timestamp_pb2.Timestamp
    in_maintenance: bool
    maintenance_window_id: str
    maintenance_until: _timestamp_pb2.Timestamp
    def __init__(self, alert_key: _Optional[str] = ..., state: _Optional[_Union[AlertState, str]] = ..., severity: _Optional[_Union[_incident_pb2.IncidentSeverity, str]] = ..., labels: _Optional[_Mapping[str, str]] = ..., first_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state_changes: _Optional[int] = ..., flapping: _Optional[bool] = ..., flapping_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., in_maintenance: _Optional[bool] = ..., maintenance_window_id: _Optional[str] = ..., maintenance_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IncidentAlertSummary(_message.Message):
    __slots__ = ("highest_severity", "firing_alerts", "total_alerts", "flapping", "flapping_until", "maintenance", "correlation_log")
    HIGHEST_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    FIRING_ALERTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ALERTS_FIELD_NUMBER: _ClassVar[int]
    FLAPPING_FIELD_NUMBER: _ClassVar[int]
    FLAPPING_UNTIL_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_LOG_FIELD_NUMBER: _ClassVar[int]
    highest_severity: _incident_pb2.IncidentSeverity
    firing_alerts: int
    total_alerts: int
    flapping: bool
    flapping_until: _timestamp_pb2.Timestamp
    maintenance: MaintenanceState
    correlation_log: _containers.RepeatedCompositeFieldContainer[CorrelationLogEntry]
    def __init__(self, highest_severity: _Optional[_Union[_incident_pb2.IncidentSeverity, str]] = ..., firing_alerts: _Optional[int] = ..., total_alerts: _Optional[int] = ..., flapping: _Optional[bool] = ..., flapping_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., maintenance: _Optional[_Union[MaintenanceState, str]] = ..., correlation_log: _Optional[_Iterable[_Union[CorrelationLogEntry, _Mapping]]] = ...) -> None: ...

class ListIncidentAlertsRequest(_message.Message):
    __slots__ = ("incident_id", "pagination")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    pagination: _incident_pb2.PaginationRequest
    def __init__(self, incident_id: _Optional[str] = ..., pagination: _Optional[_Union[_incident_pb2.PaginationRequest, _Mapping]] = ...) -> None: ...

class ListIncidentAlertsResponse(_message.Message):
    __slots__ = ("alerts", "pagination", "summary")
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[IncidentAlert]
    pagination: _incident_pb2.PaginationResponse
    summary: IncidentAlertSummary
    def __init__(self, alerts: _Optional[_Iterable[_Union[IncidentAlert, _Mapping]]] = ..., pagination: _Optional[_Union[_incident_pb2.PaginationResponse, _Mapping]] = ..., summary: _Optional[_Union[IncidentAlertSummary, _Mapping]] = ...) -> None: ...
