import datetime

from com.coralogixapis.incidents.v1 import incident_pb2 as _incident_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TimelineAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIMELINE_ACTION_UNSPECIFIED: _ClassVar[TimelineAction]
    TIMELINE_ACTION_CREATED: _ClassVar[TimelineAction]
    TIMELINE_ACTION_ACKNOWLEDGED: _ClassVar[TimelineAction]
    TIMELINE_ACTION_RESOLVED: _ClassVar[TimelineAction]
    TIMELINE_ACTION_REOPENED: _ClassVar[TimelineAction]
    TIMELINE_ACTION_CLOSED: _ClassVar[TimelineAction]
    TIMELINE_ACTION_STATUS_CHANGED: _ClassVar[TimelineAction]
    TIMELINE_ACTION_SEVERITY_CHANGED: _ClassVar[TimelineAction]
    TIMELINE_ACTION_ASSIGNED: _ClassVar[TimelineAction]
    TIMELINE_ACTION_UNASSIGNED: _ClassVar[TimelineAction]
    TIMELINE_ACTION_SNOOZED: _ClassVar[TimelineAction]
    TIMELINE_ACTION_UPDATED: _ClassVar[TimelineAction]
TIMELINE_ACTION_UNSPECIFIED: TimelineAction
TIMELINE_ACTION_CREATED: TimelineAction
TIMELINE_ACTION_ACKNOWLEDGED: TimelineAction
TIMELINE_ACTION_RESOLVED: TimelineAction
TIMELINE_ACTION_REOPENED: TimelineAction
TIMELINE_ACTION_CLOSED: TimelineAction
TIMELINE_ACTION_STATUS_CHANGED: TimelineAction
TIMELINE_ACTION_SEVERITY_CHANGED: TimelineAction
TIMELINE_ACTION_ASSIGNED: TimelineAction
TIMELINE_ACTION_UNASSIGNED: TimelineAction
TIMELINE_ACTION_SNOOZED: TimelineAction
TIMELINE_ACTION_UPDATED: TimelineAction

class Note(_message.Message):
    __slots__ = ("id", "incident_id", "body", "author", "created_at", "updated_at", "updated_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    incident_id: str
    body: str
    author: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, id: _Optional[str] = ..., incident_id: _Optional[str] = ..., body: _Optional[str] = ..., author: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ...) -> None: ...

class CreateNoteRequest(_message.Message):
    __slots__ = ("incident_id", "body")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    body: str
    def __init__(self, incident_id: _Optional[str] = ..., body: _Optional[str] = ...) -> None: ...

class CreateNoteResponse(_message.Message):
    __slots__ = ("note",)
    NOTE_FIELD_NUMBER: _ClassVar[int]
    note: Note
    def __init__(self, note: _Optional[_Union[Note, _Mapping]] = ...) -> None: ...

class GetNoteRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetNoteResponse(_message.Message):
    __slots__ = ("note",)
    NOTE_FIELD_NUMBER: _ClassVar[int]
    note: Note
    def __init__(self, note: _Optional[_Union[Note, _Mapping]] = ...) -> None: ...

class ListNotesRequest(_message.Message):
    __slots__ = ("incident_id", "pagination")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    pagination: _incident_pb2.PaginationRequest
    def __init__(self, incident_id: _Optional[str] = ..., pagination: _Optional[_Union[_incident_pb2.PaginationRequest, _Mapping]] = ...) -> None: ...

class ListNotesResponse(_message.Message):
    __slots__ = ("notes", "pagination")
    NOTES_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    notes: _containers.RepeatedCompositeFieldContainer[Note]
    pagination: _incident_pb2.PaginationResponse
    def __init__(self, notes: _Optional[_Iterable[_Union[Note, _Mapping]]] = ..., pagination: _Optional[_Union[_incident_pb2.PaginationResponse, _Mapping]] = ...) -> None: ...

class UpdateNoteRequest(_message.Message):
    __slots__ = ("id", "body")
    ID_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    id: str
    body: str
    def __init__(self, id: _Optional[str] = ..., body: _Optional[str] = ...) -> None: ...

class UpdateNoteResponse(_message.Message):
    __slots__ = ("note",)
    NOTE_FIELD_NUMBER: _ClassVar[int]
    note: Note
    def __init__(self, note: _Optional[_Union[Note, _Mapping]] = ...) -> None: ...

class DeleteNoteRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteNoteResponse(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class TimelineEntry(_message.Message):
    __slots__ = ("action", "timestamp", "actor", "source_system", "field", "old_value", "new_value", "event_id")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    OLD_VALUE_FIELD_NUMBER: _ClassVar[int]
    NEW_VALUE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    action: TimelineAction
    timestamp: _timestamp_pb2.Timestamp
    actor: str
    source_system: str
    field: str
    old_value: str
    new_value: str
    event_id: str
    def __init__(self, action: _Optional[_Union[TimelineAction, str]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., source_system: _Optional[str] = ..., field: _Optional[str] = ..., old_value: _Optional[str] = ..., new_value: _Optional[str] = ..., event_id: _Optional[str] = ...) -> None: ...

class GetIncidentTimelineRequest(_message.Message):
    __slots__ = ("incident_id", "pagination")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    pagination: _incident_pb2.PaginationRequest
    def __init__(self, incident_id: _Optional[str] = ..., pagination: _Optional[_Union[_incident_pb2.PaginationRequest, _Mapping]] = ...) -> None: ...

class GetIncidentTimelineResponse(_message.Message):
    __slots__ = ("entries", "pagination")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[TimelineEntry]
    pagination: _incident_pb2.PaginationResponse
    def __init__(self, entries: _Optional[_Iterable[_Union[TimelineEntry, _Mapping]]] = ..., pagination: _Optional[_Union[_incident_pb2.PaginationResponse, _Mapping]] = ...) -> None: ...

class DurationStatistics(_message.Message):
    __slots__ = ("count", "mean", "median", "p90")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_FIELD_NUMBER: _ClassVar[int]
    P90_FIELD_NUMBER: _ClassVar[int]
    count: int
    mean: _duration_pb2.Duration
    median: _duration_pb2.Duration
    p90: _duration_pb2.Duration
    def __init__(self, count: _Optional[int] = ..., mean: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., median: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., p90: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class SeverityCounts(_message.Message):
    __slots__ = ("severity", "opened", "resolved", "closed")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    OPENED_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    severity: _incident_pb2.IncidentSeverity
    opened: int
    resolved: int
    closed: int
    def __init__(self, severity: _Optional[_Union[_incident_pb2.IncidentSeverity, str]] = ..., opened: _Optional[int] = ..., resolved: _Optional[int] = ..., closed: _Optional[int] = ...) -> None: ...

class StatisticsBucket(_message.Message):
    __slots__ = ("start_time", "end_time", "opened", "resolved", "closed", "by_severity")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    OPENED_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    BY_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    opened: int
    resolved: int
    closed: int
    by_severity: _containers.RepeatedCompositeFieldContainer[SeverityCounts]
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., opened: _Optional[int] = ..., resolved: _Optional[int] = ..., closed: _Optional[int] = ..., by_severity: _Optional[_Iterable[_Union[SeverityCounts, _Mapping]]] = ...) -> None: ...

class SeverityResponseTimes(_message.Message):
    __slots__ = ("severity", "mtta", "mttr")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MTTA_FIELD_NUMBER: _ClassVar[int]
    MTTR_FIELD_NUMBER: _ClassVar[int]
    severity: _incident_pb2.IncidentSeverity
    mtta: DurationStatistics
    mttr: DurationStatistics
    def __init__(self, severity: _Optional[_Union[_incident_pb2.IncidentSeverity, str]] = ..., mtta: _Optional[_Union[DurationStatistics, _Mapping]] = ..., mttr: _Optional[_Union[DurationStatistics, _Mapping]] = ...) -> None: ...

class LabelValueResponseTimes(_message.Message):
    __slots__ = ("value", "incident_count", "mtta", "mttr")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    MTTA_FIELD_NUMBER: _ClassVar[int]
    MTTR_FIELD_NUMBER: _ClassVar[int]
    value: str
    incident_count: int
    mtta: DurationStatistics
    mttr: DurationStatistics
    def __init__(self, value: _Optional[str] = ..., incident_count: _Optional[int] = ..., mtta: _Optional[_Union[DurationStatistics, _Mapping]] = ..., mttr: _Optional[_Union[DurationStatistics, _Mapping]] = ...) -> None: ...

class GetIncidentStatisticsRequest(_message.Message):
    __slots__ = ("filter", "from_time", "to_time", "bucket_count", "contextual_label_key")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_TIME_FIELD_NUMBER: _ClassVar[int]
    BUCKET_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONTEXTUAL_LABEL_KEY_FIELD_NUMBER: _ClassVar[int]
    filter: _incident_pb2.IncidentQueryFilter
    from_time: _timestamp_pb2.Timestamp
    to_time: _timestamp_pb2.Timestamp
    bucket_count: int
    contextual_label_key: str
    def __init__(self, filter: _Optional[_Union[_incident_pb2.IncidentQueryFilter, _Mapping]] = ..., from_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., to_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bucket_count: _Optional[int] = ..., contextual_label_key: _Optional[str] = ...) -> None: ...

class GetIncidentStatisticsResponse(_message.Message):
    __slots__ = ("buckets", "mtta", "mttr", "by_severity", "by_label_value")
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    MTTA_FIELD_NUMBER: _ClassVar[int]
    MTTR_FIELD_NUMBER: _ClassVar[int]
    BY_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    BY_LABEL_VALUE_FIELD_NUMBER: _ClassVar[int]
    buckets: _containers.RepeatedCompositeFieldContainer[StatisticsBucket]
    mtta: DurationStatistics
    mttr: DurationStatistics
    by_severity: _containers.RepeatedCompositeFieldContainer[SeverityResponseTimes]
    by_label_value: _containers.RepeatedCompositeFieldContainer[LabelValueResponseTimes]
    def __init__(self, buckets: _Optional[_Iterable[_Union[StatisticsBucket, _Mapping]]] = ..., mtta: _Optional[_Union[DurationStatistics, _Mapping]] = ..., mttr: _Optional[_Union[DurationStatistics, _Mapping]] = ..., by_severity: _Optional[_Iterable[_Union[SeverityResponseTimes, _Mapping]]] = ..., by_label_value: _Optional[_Iterable[_Union[LabelValueResponseTimes, _Mapping]]] = ...) -> None: ...
