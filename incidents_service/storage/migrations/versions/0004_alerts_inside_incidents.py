"""Alerts inside incidents (SPEC 16): each incident's alerts, the highest severity it ever reached,
flapping (until when an incident's alerts flap; each team's setting of what flapping is), and each
team's maintenance windows (and which covered each alert), and whether an incident's snooze ends at an
update (cancel_on_incident_updates), and correlation rules (each team's; the groups of alerts they
formed; each incident's correlation log).

Existing incidents get what the service would have given them: the highest severity from their event
log (each event keeps the incident's severity right after it), and one alert per correlated incident,
identified by its correlation key (as every alert event before alert_instance_id), firing while the
incident's state is TRIGGERED.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BACKFILL_HIGHEST = """
UPDATE incidents SET highest_severity = COALESCE(
    (SELECT max(e.incident_severity) FROM incident_events e WHERE e.incident_id = incidents.id), severity
)
"""
_BACKFILL_ALERTS = """
INSERT INTO incident_alerts
    (incident_id, alert_key, team_id, state, severity, labels, first_seen, last_seen, state_changes,
     recent_changes, correlation_key)
SELECT i.id,
       i.correlation_key,
       i.team_id,
       CASE WHEN i.state = 'TRIGGERED' THEN 'FIRING' ELSE 'RESOLVED' END,
       i.severity,
       i.contextual_labels,
       i.created_at,
       COALESCE(i.last_state_update_time, i.created_at),
       0,
       '[]',
       i.correlation_key
FROM incidents i WHERE i.correlation_key IS NOT NULL
"""


def upgrade() -> None:
    labels = sa.JSON().with_variant(JSONB(), "postgresql")
    op.add_column("incidents", sa.Column("highest_severity", sa.SmallInteger(), nullable=True))
    op.add_column("incidents", sa.Column("flapping_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "incidents",
        sa.Column("snooze_cancel_on_updates", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("incidents", sa.Column("correlation_log", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    op.execute(sa.text(_BACKFILL_HIGHEST))
    op.create_table(
        "incident_alerts",
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("alert_key", sa.String(length=1024), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.SmallInteger(), nullable=False),
        sa.Column("labels", labels, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_changes", sa.Integer(), nullable=False),
        sa.Column("recent_changes", sa.JSON(), nullable=False),
        sa.Column("flapping_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("maintenance_window_id", sa.String(length=36), nullable=True),
        sa.Column("maintenance_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("correlation_key", sa.String(length=1024), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_alerts_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "alert_key", name=op.f("pk_incident_alerts")),
    )
    op.create_index(
        "ix_incident_alerts_incident_first_seen", "incident_alerts", ["incident_id", "first_seen", "alert_key"]
    )
    op.create_index("ix_incident_alerts_team_correlation_key", "incident_alerts", ["team_id", "correlation_key"])
    op.execute(sa.text(_BACKFILL_ALERTS))
    op.create_table(
        "team_alert_settings",
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("flapping_threshold", sa.Integer(), nullable=False),
        sa.Column("flapping_window_seconds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_alert_settings_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_team_alert_settings")),
    )
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_maintenance_windows_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    op.create_index("ix_maintenance_windows_team_ends", "maintenance_windows", ["team_id", "ends_at"])
    op.create_table(
        "correlation_rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("label_keys", sa.JSON(), nullable=False),
        sa.Column("window_seconds", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_correlation_rules_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correlation_rules")),
    )
    op.create_index("ix_correlation_rules_team_id", "correlation_rules", ["team_id"])
    op.create_table(
        "correlation_groups",
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("group_hash", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_correlation_groups_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "rule_id", "group_hash", name=op.f("pk_correlation_groups")),
    )
    op.create_index("ix_correlation_groups_team_rule_group", "correlation_groups", ["team_id", "rule_id", "group_hash"])


def downgrade() -> None:
    op.drop_index("ix_correlation_groups_team_rule_group", table_name="correlation_groups")
    op.drop_table("correlation_groups")
    op.drop_index("ix_correlation_rules_team_id", table_name="correlation_rules")
    op.drop_table("correlation_rules")
    op.drop_index("ix_maintenance_windows_team_ends", table_name="maintenance_windows")
    op.drop_table("maintenance_windows")
    op.drop_table("team_alert_settings")
    op.drop_index("ix_incident_alerts_team_correlation_key", table_name="incident_alerts")
    op.drop_index("ix_incident_alerts_incident_first_seen", table_name="incident_alerts")
    op.drop_table("incident_alerts")
    # In place on both databases (see 0002: SQLite's batch mode would drop `incidents`, cascading).
    for column in ("correlation_log", "snooze_cancel_on_updates", "flapping_until", "highest_severity"):
        op.execute(sa.text(f"ALTER TABLE incidents DROP COLUMN {column}"))
