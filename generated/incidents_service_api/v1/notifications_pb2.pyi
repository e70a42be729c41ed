import datetime

from com.coralogixapis.incidents.v1 import incident_pb2 as _incident_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NotificationChange(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_CHANGE_UNSPECIFIED: _ClassVar[NotificationChange]
    NOTIFICATION_CHANGE_OPENED: _ClassVar[NotificationChange]
    NOTIFICATION_CHANGE_REOPENED: _ClassVar[NotificationChange]
    NOTIFICATION_CHANGE_ACKNOWLEDGED: _ClassVar[NotificationChange]
    NOTIFICATION_CHANGE_ASSIGNED: _ClassVar[NotificationChange]
    NOTIFICATION_CHANGE_RESOLVED: _ClassVar[NotificationChange]
    NOTIFICATION_CHANGE_CLOSED: _ClassVar[NotificationChange]
    NOTIFICATION_CHANGE_SEVERITY_RAISED: _ClassVar[NotificationChange]

class LabelMatchOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LABEL_MATCH_OPERATOR_UNSPECIFIED: _ClassVar[LabelMatchOperator]
    LABEL_MATCH_OPERATOR_EQUAL: _ClassVar[LabelMatchOperator]
    LABEL_MATCH_OPERATOR_NOT_EQUAL: _ClassVar[LabelMatchOperator]

class ActionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_STATE_UNSPECIFIED: _ClassVar[ActionState]
    ACTION_STATE_PENDING: _ClassVar[ActionState]
    ACTION_STATE_DELIVERED: _ClassVar[ActionState]
    ACTION_STATE_FAILED: _ClassVar[ActionState]

class AttemptOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTEMPT_OUTCOME_UNSPECIFIED: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_DELIVERED: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_FAILED: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_REFUSED: _ClassVar[AttemptOutcome]
NOTIFICATION_CHANGE_UNSPECIFIED: NotificationChange
NOTIFICATION_CHANGE_OPENED: NotificationChange
NOTIFICATION_CHANGE_REOPENED: NotificationChange
NOTIFICATION_CHANGE_ACKNOWLEDGED: NotificationChange
NOTIFICATION_CHANGE_ASSIGNED: NotificationChange
NOTIFICATION_CHANGE_RESOLVED: NotificationChange
NOTIFICATION_CHANGE_CLOSED: NotificationChange
NOTIFICATION_CHANGE_SEVERITY_RAISED: NotificationChange
LABEL_MATCH_OPERATOR_UNSPECIFIED: LabelMatchOperator
LABEL_MATCH_OPERATOR_EQUAL: LabelMatchOperator
LABEL_MATCH_OPERATOR_NOT_EQUAL: LabelMatchOperator
ACTION_STATE_UNSPECIFIED: ActionState
ACTION_STATE_PENDING: ActionState
ACTION_STATE_DELIVERED: ActionState
ACTION_STATE_FAILED: ActionState
ATTEMPT_OUTCOME_UNSPECIFIED: AttemptOutcome
ATTEMPT_OUTCOME_DELIVERED: AttemptOutcome
ATTEMPT_OUTCOME_FAILED: AttemptOutcome
ATTEMPT_OUTCOME_REFUSED: AttemptOutcome

class LabelMatcher(_message.Message):
    __slots__ = ("key", "operator", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    operator: LabelMatchOperator
    value: str
    def __init__(self, key: _Optional[str] = ..., operator: _Optional[_Union[LabelMatchOperator, str]] = ..., value: _Optional[str] = ...) -> None: ...

class WebhookTarget(_message.Message):
    __slots__ = ("url", "secret", "has_secret")
    URL_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    HAS_SECRET_FIELD_NUMBER: _ClassVar[int]
    url: str
    secret: str
    has_secret: bool
    def __init__(self, url: _Optional[str] = ..., secret: _Optional[str] = ..., has_secret: _Optional[bool] = ...) -> None: ...

class SlackTarget(_message.Message):
    __slots__ = ("url", "host")
    URL_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    url: str
    host: str
    def __init__(self, url: _Optional[str] = ..., host: _Optional[str] = ...) -> None: ...

class NotificationRule(_message.Message):
    __slots__ = ("id", "name", "enabled", "changes", "minimum_severity", "label_matchers", "webhook", "slack", "created_at", "updated_at", "updated_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    LABEL_MATCHERS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    SLACK_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    enabled: bool
    changes: _containers.RepeatedScalarFieldContainer[NotificationChange]
    minimum_severity: _incident_pb2.IncidentSeverity
    label_matchers: _containers.RepeatedCompositeFieldContainer[LabelMatcher]
    webhook: WebhookTarget
    slack: SlackTarget
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., enabled: _Optional[bool] = ..., changes: _Optional[_Iterable[_Union[NotificationChange, str]]] = ..., minimum_severity: _Optional[_Union[_incident_pb2.IncidentSeverity, str]] = ..., label_matchers: _Optional[_Iterable[_Union[LabelMatcher, _Mapping]]] = ..., webhook: _Optional[_Union[WebhookTarget, _Mapping]] = ..., slack: _Optional[_Union[SlackTarget, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ...) -> None: ...

class CreateNotificationRuleRequest(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: NotificationRule
    def __init__(self, rule: _Optional[_Union[NotificationRule, _Mapping]] = ...) -> None: ...

class CreateNotificationRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: NotificationRule
    def __init__(self, rule: _Optional[_Union[NotificationRule, _Mapping]] = ...) -> None: ...

class GetNotificationRuleRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetNotificationRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: NotificationRule
    def __init__(self, rule: _Optional[_Union[NotificationRule, _Mapping]] = ...) -> None: ...

class ListNotificationRulesRequest(_message.Message):
    __slots__ = ("pagination",)
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    pagination: _incident_pb2.PaginationRequest
    def __init__(self, pagination: _Optional[_Union[_incident_pb2.PaginationRequest, _Mapping]] = ...) -> None: ...

class ListNotificationRulesResponse(_message.Message):
    __slots__ = ("rules", "pagination")
    RULES_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[NotificationRule]
    pagination: _incident_pb2.PaginationResponse
    def __init__(self, rules: _Optional[_Iterable[_Union[NotificationRule, _Mapping]]] = ..., pagination: _Optional[_Union[_incident_pb2.PaginationResponse, _Mapping]] = ...) -> None: ...

class UpdateNotificationRuleRequest(_message.Message):
    __slots__ = ("id", "rule", "update_mask")
    ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    id: str
    rule: NotificationRule
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, id: _Optional[str] = ..., rule: _Optional[_Union[NotificationRule, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateNotificationRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: NotificationRule
    def __init__(self, rule: _Optional[_Union[NotificationRule, _Mapping]] = ...) -> None: ...

class DeleteNotificationRuleRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteNotificationRuleResponse(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeliveryAttempt(_message.Message):
    __slots__ = ("attempted_at", "outcome", "http_status", "error", "duration")
    ATTEMPTED_AT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    attempted_at: _timestamp_pb2.Timestamp
    outcome: AttemptOutcome
    http_status: int
    error: str
    duration: _duration_pb2.Duration
    def __init__(self, attempted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outcome: _Optional[_Union[AttemptOutcome, str]] = ..., http_status: _Optional[int] = ..., error: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class IncidentAction(_message.Message):
    __slots__ = ("id", "rule_id", "rule_name", "change", "change_time", "target_type", "target_host", "state", "attempt_count", "attempts", "last_error", "created_at", "next_attempt_at", "finished_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_NAME_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_HOST_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_COUNT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    rule_id: str
    rule_name: str
    change: NotificationChange
    change_time: _timestamp_pb2.Timestamp
    target_type: str
    target_host: str
    state: ActionState
    attempt_count: int
    attempts: _containers.RepeatedCompositeFieldContainer[DeliveryAttempt]
    last_error: str
    created_at: _timestamp_pb2.Timestamp
    next_attempt_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., rule_id: _Optional[str] = ..., rule_name: _Optional[str] = ..., change: _Optional[_Union[NotificationChange, str]] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., target_type: _Optional[str] = ..., target_host: _Optional[str] = ..., state: _Optional[_Union[ActionState, str]] = ..., attempt_count: _Optional[int] = ..., attempts: _Optional[_Iterable[_Union[DeliveryAttempt, _Mapping]]] = ..., last_error: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListIncidentActionsRequest(_message.Message):
    __slots__ = ("incident_id", "pagination")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    pagination: _incident_pb2.PaginationRequest
    def __init__(self, incident_id: _Optional[str] = ..., pagination: _Optional[_Union[_incident_pb2.PaginationRequest, _Mapping]] = ...) -> None: ...

class ListIncidentActionsResponse(_message.Message):
    __slots__ = ("actions", "pagination")
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    actions: _containers.RepeatedCompositeFieldContainer[IncidentAction]
    pagination: _incident_pb2.PaginationResponse
    def __init__(self, actions: _Optional[_Iterable[_Union[IncidentAction, _Mapping]]] = ..., pagination: _Optional[_Union[_incident_pb2.PaginationResponse, _Mapping]] = ...) -> None: ...
