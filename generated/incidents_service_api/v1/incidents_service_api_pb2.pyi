import datetime

from com.coralogixapis.incidents.v1 import incident_pb2 as _incident_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AlertEvent(_message.Message):
    __slots__ = ("correlation_key", "cx_event_key", "state_type", "timestamp", "name", "description", "severity", "contextual_labels", "display_labels", "meta_labels", "application_name", "subsystem_name", "is_muted", "alert_id", "alert_name", "alert_type", "source_system", "alert_instance_id", "alert_labels")
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
    class AlertLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CORRELATION_KEY_FIELD_NUMBER: _ClassVar[int]
    CX_EVENT_KEY_FIELD_NUMBER: _ClassVar[int]
    STATE_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CONTEXTUAL_LABELS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_LABELS_FIELD_NUMBER: _ClassVar[int]
    META_LABELS_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_NAME_FIELD_NUMBER: _ClassVar[int]
    SUBSYSTEM_NAME_FIELD_NUMBER: _ClassVar[int]
    IS_MUTED_FIELD_NUMBER: _ClassVar[int]
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_NAME_FIELD_NUMBER: _ClassVar[int]
    ALERT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    ALERT_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_LABELS_FIELD_NUMBER: _ClassVar[int]
    correlation_key: str
    cx_event_key: str
    state_type: _incident_pb2.UpsertIncidentStateType
    timestamp: _timestamp_pb2.Timestamp
    name: str
    description: str
    severity: _incident_pb2.IncidentSeverity
    contextual_labels: _containers.ScalarMap[str, str]
    display_labels: _containers.ScalarMap[str, str]
    meta_labels: _containers.RepeatedCompositeFieldContainer[_incident_pb2.MetaLabel]
    application_name: str
    subsystem_name: str
    is_muted: bool
    alert_id: str
    alert_name: str
    alert_type: _incident_pb2.IncidentEventAlertType
    source_system: str
    alert_instance_id: str
    alert_labels: _containers.ScalarMap[str, str]
    def __init__(self, correlation_key: _Optional[str] = ..., cx_event_key: _Optional[str] = ..., state_type: _Optional[_Union[_incident_pb2.UpsertIncidentStateType, str]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., severity: _Optional[_Union[_incident_pb2.IncidentSeverity, str]] = ..., contextual_labels: _Optional[_Mapping[str, str]] = ..., display_labels: _Optional[_Mapping[str, str]] = ..., meta_labels: _Optional[_Iterable[_Union[_incident_pb2.MetaLabel, _Mapping]]] = ..., application_name: _Optional[str] = ..., subsystem_name: _Optional[str] = ..., is_muted: _Optional[bool] = ..., alert_id: _Optional[str] = ..., alert_name: _Optional[str] = ..., alert_type: _Optional[_Union[_incident_pb2.IncidentEventAlertType, str]] = ..., source_system: _Optional[str] = ..., alert_instance_id: _Optional[str] = ..., alert_labels: _Optional[_Mapping[str, str]] = ...) -> None: ...

class AlertEventResult(_message.Message):
    __slots__ = ("incident_id", "outcome")
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTCOME_UNSPECIFIED: _ClassVar[AlertEventResult.Outcome]
        CREATED: _ClassVar[AlertEventResult.Outcome]
        UPDATED: _ClassVar[AlertEventResult.Outcome]
        REOPENED: _ClassVar[AlertEventResult.Outcome]
        DUPLICATE: _ClassVar[AlertEventResult.Outcome]
        IGNORED: _ClassVar[AlertEventResult.Outcome]
    OUTCOME_UNSPECIFIED: AlertEventResult.Outcome
    CREATED: AlertEventResult.Outcome
    UPDATED: AlertEventResult.Outcome
    REOPENED: AlertEventResult.Outcome
    DUPLICATE: AlertEventResult.Outcome
    IGNORED: AlertEventResult.Outcome
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    outcome: AlertEventResult.Outcome
    def __init__(self, incident_id: _Optional[str] = ..., outcome: _Optional[_Union[AlertEventResult.Outcome, str]] = ...) -> None: ...

class ReportAlertEventsRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[AlertEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[AlertEvent, _Mapping]]] = ...) -> None: ...

class ReportAlertEventsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[AlertEventResult]
    def __init__(self, results: _Optional[_Iterable[_Union[AlertEventResult, _Mapping]]] = ...) -> None: ...

class CreateIncidentRequest(_message.Message):
    __slots__ = ("name", "description", "severity", "contextual_labels", "display_labels", "meta_labels", "application_name", "subsystem_name", "assignee")
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
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CONTEXTUAL_LABELS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_LABELS_FIELD_NUMBER: _ClassVar[int]
    META_LABELS_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_NAME_FIELD_NUMBER: _ClassVar[int]
    SUBSYSTEM_NAME_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    severity: _incident_pb2.IncidentSeverity
    contextual_labels: _containers.ScalarMap[str, str]
    display_labels: _containers.ScalarMap[str, str]
    meta_labels: _containers.RepeatedCompositeFieldContainer[_incident_pb2.MetaLabel]
    application_name: str
    subsystem_name: str
    assignee: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., severity: _Optional[_Union[_incident_pb2.IncidentSeverity, str]] = ..., contextual_labels: _Optional[_Mapping[str, str]] = ..., display_labels: _Optional[_Mapping[str, str]] = ..., meta_labels: _Optional[_Iterable[_Union[_incident_pb2.MetaLabel, _Mapping]]] = ..., application_name: _Optional[str] = ..., subsystem_name: _Optional[str] = ..., assignee: _Optional[str] = ...) -> None: ...

class CreateIncidentResponse(_message.Message):
    __slots__ = ("incident",)
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    incident: _incident_pb2.Incident
    def __init__(self, incident: _Optional[_Union[_incident_pb2.Incident, _Mapping]] = ...) -> None: ...

class UpdateIncidentRequest(_message.Message):
    __slots__ = ("incident_id", "name", "description", "severity", "contextual_labels", "display_labels", "meta_labels", "update_mask")
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
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CONTEXTUAL_LABELS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_LABELS_FIELD_NUMBER: _ClassVar[int]
    META_LABELS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    name: str
    description: str
    severity: _incident_pb2.IncidentSeverity
    contextual_labels: _containers.ScalarMap[str, str]
    display_labels: _containers.ScalarMap[str, str]
    meta_labels: _containers.RepeatedCompositeFieldContainer[_incident_pb2.MetaLabel]
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, incident_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., severity: _Optional[_Union[_incident_pb2.IncidentSeverity, str]] = ..., contextual_labels: _Optional[_Mapping[str, str]] = ..., display_labels: _Optional[_Mapping[str, str]] = ..., meta_labels: _Optional[_Iterable[_Union[_incident_pb2.MetaLabel, _Mapping]]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateIncidentResponse(_message.Message):
    __slots__ = ("incident",)
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    incident: _incident_pb2.Incident
    def __init__(self, incident: _Optional[_Union[_incident_pb2.Incident, _Mapping]] = ...) -> None: ...

class SnoozeIncidentsRequest(_message.Message):
    __slots__ = ("incident_ids", "duration_minutes", "cancel_on_incident_updates")
    INCIDENT_IDS_FIELD_NUMBER: _ClassVar[int]
    DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    CANCEL_ON_INCIDENT_UPDATES_FIELD_NUMBER: _ClassVar[int]
    incident_ids: _containers.RepeatedScalarFieldContainer[str]
    duration_minutes: int
    cancel_on_incident_updates: bool
    def __init__(self, incident_ids: _Optional[_Iterable[str]] = ..., duration_minutes: _Optional[int] = ..., cancel_on_incident_updates: _Optional[bool] = ...) -> None: ...

class SnoozeIncidentsResponse(_message.Message):
    __slots__ = ("incidents",)
    INCIDENTS_FIELD_NUMBER: _ClassVar[int]
    incidents: _containers.RepeatedCompositeFieldContainer[_incident_pb2.Incident]
    def __init__(self, incidents: _Optional[_Iterable[_Union[_incident_pb2.Incident, _Mapping]]] = ...) -> None: ...
