"""Initial schema: teams, API keys, incidents, their events, and the page-token secret.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# JSONB on PostgreSQL so label filters can use containment and a GIN index.
LABELS = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "service_settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_settings")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("principal", sa.String(length=1024), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("permissions", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_api_keys_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_team_id"), ["team_id"], unique=False)

    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("correlation_key", sa.String(length=1024), nullable=True),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assigned_to", sa.String(length=1024), nullable=True),
        sa.Column("assigned_by", sa.String(length=1024), nullable=True),
        sa.Column("contextual_labels", LABELS, nullable=False),
        sa.Column("display_labels", LABELS, nullable=False),
        sa.Column("meta_labels", LABELS, nullable=False),
        sa.Column("application_name", sa.String(length=4096), nullable=False),
        sa.Column("subsystem_name", sa.String(length=4096), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_state_update_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_state_update_key", sa.String(length=1024), nullable=True),
        sa.Column("alert_muted", sa.Boolean(), nullable=False),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_incidents_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_team_closed", ["team_id", "closed_at"], unique=False)
        batch_op.create_index("ix_incidents_team_created", ["team_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_incidents_team_last_update", ["team_id", "last_state_update_time"], unique=False)
        batch_op.create_index(
            "ix_incidents_team_severity_created", ["team_id", "severity", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_incidents_team_state_created", ["team_id", "state", "created_at"], unique=False)
        batch_op.create_index(
            "ix_incidents_team_status_created", ["team_id", "status", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_incidents_open_correlation_key",
            ["team_id", "correlation_key"],
            unique=True,
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        )

    op.create_table(
        "incident_events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("originator_type", sa.String(length=16), nullable=False),
        sa.Column("originator_name", sa.String(length=1024), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("cx_event_key", sa.String(length=1024), nullable=True),
        sa.Column("alert", sa.JSON(), nullable=True),
        sa.Column("incident_name", sa.String(length=1024), nullable=False),
        sa.Column("incident_severity", sa.SmallInteger(), nullable=False),
        sa.Column("incident_state", sa.String(length=16), nullable=False),
        sa.Column("incident_status", sa.String(length=16), nullable=False),
        sa.Column("incident_is_muted", sa.Boolean(), nullable=False),
        sa.Column("incident_contextual_labels", LABELS, nullable=False),
        sa.Column("incident_display_labels", LABELS, nullable=False),
        sa.Column("incident_meta_labels", LABELS, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_events_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_incident_events")),
        sa.UniqueConstraint("id", name=op.f("uq_incident_events_id")),
    )
    with op.batch_alter_table("incident_events", schema=None) as batch_op:
        batch_op.create_index("ix_incident_events_incident_seq", ["incident_id", "seq"], unique=False)
        batch_op.create_index("ix_incident_events_team_timestamp", ["team_id", "timestamp", "seq"], unique=False)
        batch_op.create_index("uq_incident_events_team_cx_event_key", ["team_id", "cx_event_key"], unique=True)

    if op.get_bind().dialect.name == "postgresql":
        for column in ("contextual_labels", "display_labels", "meta_labels"):
            op.create_index(f"ix_incidents_{column}", "incidents", [column], postgresql_using="gin")

    # Signs page tokens; every replica reads the same one, so a token is valid on any of them.
    settings = sa.table("service_settings", sa.column("name", sa.String), sa.column("value", sa.Text))
    op.bulk_insert(settings, [{"name": "page_token_secret", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    with op.batch_alter_table("incident_events", schema=None) as batch_op:
        batch_op.drop_index("uq_incident_events_team_cx_event_key")
        batch_op.drop_index("ix_incident_events_team_timestamp")
        batch_op.drop_index("ix_incident_events_incident_seq")

    op.drop_table("incident_events")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_incidents_open_correlation_key",
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        )
        batch_op.drop_index("ix_incidents_team_status_created")
        batch_op.drop_index("ix_incidents_team_state_created")
        batch_op.drop_index("ix_incidents_team_severity_created")
        batch_op.drop_index("ix_incidents_team_last_update")
        batch_op.drop_index("ix_incidents_team_created")
        batch_op.drop_index("ix_incidents_team_closed")

    op.drop_table("incidents")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_team_id"))

    op.drop_table("api_keys")
    op.drop_table("teams")
    op.drop_table("service_settings")
