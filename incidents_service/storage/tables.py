"""SQLAlchemy Core tables: the one schema for SQLite and PostgreSQL. Alembic migrations create it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import false

# Stable constraint names so migrations can refer to them on both databases.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite stores no zone, so naive values read back are UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        # SQLite compares timestamps as text: store them all in one zone-free format so order holds.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if dialect.name == "postgresql":
            # Nothing to do per value: psycopg returns aware datetimes in the session's zone, which is
            # UTC (database.py), and a list page reads five of them per row.
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL so label filters can use containment and a GIN index.
LabelsJSON: Any = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY, not a BIGINT one.
Sequence64: Any = BigInteger().with_variant(Integer(), "sqlite")

teams = Table(
    "teams",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("team_id", String(36), ForeignKey("teams.id"), nullable=False, index=True),
    Column("principal", String(1024), nullable=False),
    # sha256 of the secret: keys are 256-bit random, so a fast hash is enough and allows a lookup.
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("permissions", Text(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

# Service-wide settings shared by every replica (the page-token signing secret).
service_settings = Table(
    "service_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text(), nullable=False),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("team_id", String(36), ForeignKey("teams.id"), nullable=False),
    Column("correlation_key", String(1024), nullable=True),
    Column("name", String(1024), nullable=False),
    Column("description", Text(), nullable=False),
    Column("severity", SmallInteger(), nullable=False),  # Severity order: 1 INFO ... 5 CRITICAL
    Column("state", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("assigned_to", String(1024), nullable=True),
    Column("assigned_by", String(1024), nullable=True),
    Column("contextual_labels", LabelsJSON, nullable=False),
    Column("display_labels", LabelsJSON, nullable=False),
    Column("meta_labels", LabelsJSON, nullable=False),  # [[key, value], ...]
    Column("application_name", String(4096), nullable=False),
    Column("subsystem_name", String(4096), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=True),
    Column("last_state_update_time", UTCDateTime(), nullable=True),
    Column("last_state_update_key", String(1024), nullable=True),
    Column("alert_muted", Boolean(), nullable=False),
    Column("snoozed_until", UTCDateTime(), nullable=True),
    # Statistics (MTTA, MTTR): the first acknowledge, and when the status last became RESOLVED.
    Column("acknowledged_at", UTCDateTime(), nullable=True),
    Column("resolved_at", UTCDateTime(), nullable=True),
    # SPEC 16: the highest severity ever reached (NULL: the current one, for rows older than alerts).
    Column("highest_severity", SmallInteger(), nullable=True),
    # SPEC 16: until when one of its alerts flaps; whether its snooze ends at an update.
    Column("flapping_until", UTCDateTime(), nullable=True),
    Column("snooze_cancel_on_updates", Boolean(), nullable=False, server_default=false()),
    # SPEC 16: the correlation rules that joined alerts to it, and when ([{rule_id, ...}, ...]).
    Column("correlation_log", JSON(), nullable=False, server_default=text("'[]'")),
)

# One open incident per (team, correlation key): two replicas racing on a key's first event make one.
Index(
    "uq_incidents_open_correlation_key",
    incidents.c.team_id,
    incidents.c.correlation_key,
    unique=True,
    postgresql_where=incidents.c.closed_at.is_(None),
    sqlite_where=incidents.c.closed_at.is_(None),
)
# The default order (newest first) and keyset pages over it.
Index("ix_incidents_team_created", incidents.c.team_id, incidents.c.created_at, incidents.c.id)
Index(
    "ix_incidents_team_status_created",
    incidents.c.team_id,
    incidents.c.status,
    incidents.c.created_at,
    incidents.c.id,
)
Index("ix_incidents_team_state_created", incidents.c.team_id, incidents.c.state, incidents.c.created_at)
Index(
    "ix_incidents_team_severity_created",
    incidents.c.team_id,
    incidents.c.severity,
    incidents.c.created_at,
    incidents.c.id,
)
Index("ix_incidents_team_closed", incidents.c.team_id, incidents.c.closed_at)
# Label filters use JSONB containment (@>), which a GIN index answers; SQLite has no such index.
for _labels in (incidents.c.contextual_labels, incidents.c.display_labels, incidents.c.meta_labels):
    Index(f"ix_incidents_{_labels.name}", _labels, postgresql_using="gin").ddl_if(dialect="postgresql")
Index("ix_incidents_team_last_update", incidents.c.team_id, incidents.c.last_state_update_time)
# Statistics count resolutions per bucket of a range.
Index("ix_incidents_team_resolved", incidents.c.team_id, incidents.c.resolved_at)

incident_events = Table(
    "incident_events",
    metadata,
    # Recording order: breaks ties between events with the same timestamp.
    Column("seq", Sequence64, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("team_id", String(36), nullable=False),
    Column("incident_id", String(36), ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("timestamp", UTCDateTime(), nullable=False),
    Column("originator_type", String(16), nullable=False),
    Column("originator_name", String(1024), nullable=False),
    Column("payload", JSON(), nullable=False),
    Column("cx_event_key", String(1024), nullable=True),
    Column("alert", JSON(), nullable=True),
    # The incident as it was right after this event (SPEC 6: event queries filter on it).
    Column("incident_name", String(1024), nullable=False),
    Column("incident_severity", SmallInteger(), nullable=False),
    Column("incident_state", String(16), nullable=False),
    Column("incident_status", String(16), nullable=False),
    Column("incident_is_muted", Boolean(), nullable=False),
    Column("incident_contextual_labels", LabelsJSON, nullable=False),
    Column("incident_display_labels", LabelsJSON, nullable=False),
    Column("incident_meta_labels", LabelsJSON, nullable=False),
)

# Idempotency: a team's alert event key is recorded once, enforced by the database (NULLs are distinct).
Index(
    "uq_incident_events_team_cx_event_key",
    incident_events.c.team_id,
    incident_events.c.cx_event_key,
    unique=True,
)
Index("ix_incident_events_incident_seq", incident_events.c.incident_id, incident_events.c.seq)
Index(
    "ix_incident_events_team_timestamp",
    incident_events.c.team_id,
    incident_events.c.timestamp,
    incident_events.c.seq,
)

# Responders' notes on an incident: not events (the timeline and the event log never show them).
incident_notes = Table(
    "incident_notes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("team_id", String(36), nullable=False),
    Column("incident_id", String(36), ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("body", Text(), nullable=False),
    Column("author", String(1024), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(1024), nullable=False),
)
# An incident's notes oldest first, and keyset pages over them.
Index(
    "ix_incident_notes_incident_created",
    incident_notes.c.incident_id,
    incident_notes.c.created_at,
    incident_notes.c.id,
)

# ---- notifications (SPEC 14): rules, and the transactional outbox the dispatcher delivers ----------

notification_rules = Table(
    "notification_rules",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("team_id", String(36), ForeignKey("teams.id"), nullable=False),
    Column("name", String(1024), nullable=False),
    Column("enabled", Boolean(), nullable=False),
    Column("changes", JSON(), nullable=False),  # ["opened", "acknowledged", ...]
    Column("minimum_severity", SmallInteger(), nullable=True),  # Severity order; NULL: any
    Column("label_matchers", JSON(), nullable=False),  # [[key, value, equal], ...]
    Column("target_kind", String(16), nullable=False),  # webhook | slack
    Column("target_url", String(2048), nullable=False),
    # Kept as given: every request is signed with it (HMAC), so a hash would not do.
    Column("target_secret", Text(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(1024), nullable=False),
)
Index(
    "ix_notification_rules_team_created",
    notification_rules.c.team_id,
    notification_rules.c.created_at,
    notification_rules.c.id,
)

# One row per incident change that fired at least one rule, written in the change's own transaction:
# which rules it fires (`rule_ids`) and the incident as the change left it, shared by the change's
# notifications. The dispatcher fans it out into one notification per rule and then clears rule_ids:
# one row per change on the request path instead of one per rule (ten rules on a 500-event call were
# 5,000 rows). No foreign key to the incident: a committed notification is delivered even when its
# incident is deleted before the dispatcher gets to it.
notification_changes = Table(
    "notification_changes",
    metadata,
    Column("seq", Sequence64, primary_key=True, autoincrement=True),  # per incident, the order of changes
    Column("id", String(36), nullable=False, unique=True),
    Column("team_id", String(36), nullable=False),
    Column("incident_id", String(36), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("change", String(32), nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
    Column("incident", JSON(), nullable=False),
    Column("rule_ids", JSON(), nullable=True),  # the rules it fires, until fanned out (then NULL)
)
_to_fan_out = text("rule_ids IS NOT NULL")
Index(
    "ix_notification_changes_to_fan_out",
    notification_changes.c.seq,
    postgresql_where=_to_fan_out,
    sqlite_where=_to_fan_out,
)

# One row per (change, rule): the delivery's state. `seq` is the order of the changes, which the
# dispatcher keeps per incident and rule.
notifications = Table(
    "notifications",
    metadata,
    Column("seq", Sequence64, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),  # the Idempotency-Key of every attempt
    Column("team_id", String(36), nullable=False),
    Column("incident_id", String(36), nullable=False),
    Column("rule_id", String(36), nullable=False),
    Column("rule_name", String(1024), nullable=False),
    # Where it goes, for ListIncidentActions: the rule's target (kept current while pending), host only.
    Column("target_kind", String(16), nullable=False),
    Column("target_host", String(2048), nullable=False),
    # Which receiver (a hash of its URL): an incident's notifications to one receiver go in order.
    Column("target_key", String(64), nullable=False),
    Column("change_id", String(36), ForeignKey("notification_changes.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(16), nullable=False),  # pending | delivered | failed
    # The first pending notification of its incident to its receiver: the only one that may be claimed.
    # Kept as a flag (set when written or when the one before it finishes) so that a claim never has to
    # look for earlier pending rows: that anti-join, planned on a table that grew fast, turned quadratic.
    Column("ready", Boolean(), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    # A dispatcher's claim: no other takes the notification before claimed_until (its lease).
    Column("claimed_until", UTCDateTime(), nullable=True),
    Column("claimed_by", String(64), nullable=True),
    Column("last_error", String(512), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
)
_pending = notifications.c.state == "pending"
_ready = text("state = 'pending' AND ready")
# The dispatcher's scan: claimable notifications by due time. Partial, so the rest cost it nothing.
Index(
    "ix_notifications_ready_due",
    notifications.c.next_attempt_at,
    notifications.c.seq,
    postgresql_where=_ready,
    sqlite_where=_ready,
)
# "Is an earlier one of this incident to this receiver still pending?" (the order of delivery).
Index(
    "ix_notifications_pending_order",
    notifications.c.incident_id,
    notifications.c.target_key,
    notifications.c.seq,
    postgresql_where=_pending,
    sqlite_where=_pending,
)
# ListIncidentActions: an incident's notifications in order.
Index("ix_notifications_team_incident", notifications.c.team_id, notifications.c.incident_id, notifications.c.seq)
# Editing or deleting a rule updates its pending notifications.
Index("ix_notifications_rule_pending", notifications.c.rule_id, postgresql_where=_pending, sqlite_where=_pending)

notification_attempts = Table(
    "notification_attempts",
    metadata,
    Column("seq", Sequence64, primary_key=True, autoincrement=True),
    Column(
        "notification_seq",
        Sequence64,
        ForeignKey("notifications.seq", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("attempted_at", UTCDateTime(), nullable=False),
    Column("outcome", String(16), nullable=False),  # delivered | failed | refused
    Column("http_status", Integer(), nullable=True),
    Column("error", String(512), nullable=False),
    Column("duration_ms", Integer(), nullable=False),
)
Index("ix_notification_attempts_notification", notification_attempts.c.notification_seq, notification_attempts.c.seq)
# The alerts inside an incident (SPEC 16): each alert's current state. Its history is the event log
# (each alert event names its alert_key), like the incident's.
incident_alerts = Table(
    "incident_alerts",
    metadata,
    Column("incident_id", String(36), ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("alert_key", String(1024), primary_key=True),
    Column("team_id", String(36), nullable=False),
    Column("state", String(16), nullable=False),
    Column("severity", SmallInteger(), nullable=False),
    Column("labels", LabelsJSON, nullable=False),
    Column("first_seen", UTCDateTime(), nullable=False),
    Column("last_seen", UTCDateTime(), nullable=False),
    Column("state_changes", Integer(), nullable=False),
    # Its latest state changes (ISO times) and until when it flaps (SPEC 16).
    Column("recent_changes", JSON(), nullable=False),
    Column("flapping_until", UTCDateTime(), nullable=True),
    # The maintenance window that covered it at its last event, and its end (SPEC 16).
    Column("maintenance_window_id", String(36), nullable=True),
    Column("maintenance_until", UTCDateTime(), nullable=True),
    # The correlation key of its events: a key a correlation rule joined to the incident finds it here.
    Column("correlation_key", String(1024), nullable=True),
)
Index("ix_incident_alerts_team_correlation_key", incident_alerts.c.team_id, incident_alerts.c.correlation_key)
# An incident's alerts in the order they were first seen, and keyset pages over them.
Index(
    "ix_incident_alerts_incident_first_seen",
    incident_alerts.c.incident_id,
    incident_alerts.c.first_seen,
    incident_alerts.c.alert_key,
)

# A team's alert settings (SPEC 16): what makes an alert flap. No row: the defaults.
team_alert_settings = Table(
    "team_alert_settings",
    metadata,
    Column("team_id", String(36), ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("flapping_threshold", Integer(), nullable=False),
    Column("flapping_window_seconds", Integer(), nullable=False),
)

# A team's maintenance windows (SPEC 16): alerts their matchers match, while they run, open nothing.
maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("team_id", String(36), ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(1024), nullable=False),
    Column("matchers", JSON(), nullable=False),  # [[key, value, not_equal], ...]
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=False),
    Column("created_by", String(1024), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
# Ingestion reads the windows of a team that have not ended.
Index("ix_maintenance_windows_team_ends", maintenance_windows.c.team_id, maintenance_windows.c.ends_at)

# A team's correlation rules (SPEC 16).
correlation_rules = Table(
    "correlation_rules",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("team_id", String(36), ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(1024), nullable=False),
    Column("label_keys", JSON(), nullable=False),
    Column("window_seconds", Integer(), nullable=False),
    Column("created_by", String(1024), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The groups correlation rules formed: alerts with equal values of a rule's labels (a digest), the
# incident they joined, and when its latest alert was seen.
correlation_groups = Table(
    "correlation_groups",
    metadata,
    Column("incident_id", String(36), ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("rule_id", String(36), primary_key=True),
    Column("group_hash", String(64), primary_key=True),
    Column("team_id", String(36), nullable=False),
    Column("last_seen", UTCDateTime(), nullable=False),
)
Index(
    "ix_correlation_groups_team_rule_group",
    correlation_groups.c.team_id,
    correlation_groups.c.rule_id,
    correlation_groups.c.group_hash,
)
