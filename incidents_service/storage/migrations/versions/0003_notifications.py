"""Notifications: the teams' rules, and the transactional outbox (changes, notifications, attempts).

New tables only: nothing existing changes, so no incident's history notifies anyone after the upgrade
(only changes committed from then on do).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PENDING = "state = 'pending'"
READY = "state = 'pending' AND ready"
TO_FAN_OUT = "rule_ids IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "notification_rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("minimum_severity", sa.SmallInteger(), nullable=True),
        sa.Column("label_matchers", sa.JSON(), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_url", sa.String(length=2048), nullable=False),
        sa.Column("target_secret", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=1024), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_notification_rules_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_rules")),
    )
    op.create_index("ix_notification_rules_team_created", "notification_rules", ["team_id", "created_at", "id"])

    op.create_table(
        "notification_changes",
        sa.Column("seq", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("change", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("incident", sa.JSON(), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_notification_changes")),
        sa.UniqueConstraint("id", name=op.f("uq_notification_changes_id")),
    )
    op.create_index(
        "ix_notification_changes_to_fan_out",
        "notification_changes",
        ["seq"],
        postgresql_where=sa.text(TO_FAN_OUT),
        sqlite_where=sa.text(TO_FAN_OUT),
    )

    op.create_table(
        "notifications",
        sa.Column("seq", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("rule_name", sa.String(length=1024), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_host", sa.String(length=2048), nullable=False),
        sa.Column("target_key", sa.String(length=64), nullable=False),
        sa.Column("change_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["notification_changes.id"],
            name=op.f("fk_notifications_change_id_notification_changes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_notifications")),
        sa.UniqueConstraint("id", name=op.f("uq_notifications_id")),
    )
    op.create_index(
        "ix_notifications_ready_due",
        "notifications",
        ["next_attempt_at", "seq"],
        postgresql_where=sa.text(READY),
        sqlite_where=sa.text(READY),
    )
    op.create_index(
        "ix_notifications_pending_order",
        "notifications",
        ["incident_id", "target_key", "seq"],
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )
    op.create_index("ix_notifications_team_incident", "notifications", ["team_id", "incident_id", "seq"])
    op.create_index(
        "ix_notifications_rule_pending",
        "notifications",
        ["rule_id"],
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )

    op.create_table(
        "notification_attempts",
        sa.Column("seq", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("notification_seq", SEQUENCE, nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=512), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_seq"],
            ["notifications.seq"],
            name=op.f("fk_notification_attempts_notification_seq_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_notification_attempts")),
    )
    op.create_index("ix_notification_attempts_notification", "notification_attempts", ["notification_seq", "seq"])


def downgrade() -> None:
    op.drop_table("notification_attempts")
    op.drop_table("notifications")
    op.drop_table("notification_changes")
    op.drop_table("notification_rules")
