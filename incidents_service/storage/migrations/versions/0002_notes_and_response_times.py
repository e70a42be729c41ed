"""Notes on incidents; the first acknowledge and the resolution time of each incident (statistics).

acknowledged_at and resolved_at are filled for existing incidents from the event log, which already
says everything needed: the first ACKNOWLEDGE event, and the first event of the final run of events
after which the incident's status was RESOLVED (each event keeps the incident as it was right after it).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BACKFILL = (
    # The first acknowledge recorded.
    """
    UPDATE incidents SET acknowledged_at = (
        SELECT e.timestamp FROM incident_events e
        WHERE e.incident_id = incidents.id AND e.event_type = 'ACKNOWLEDGE'
        ORDER BY e.seq LIMIT 1
    )
    """,
    # The event that made the status RESOLVED for the last time: the first after the last event that
    # left the incident in another status.
    """
    UPDATE incidents SET resolved_at = (
        SELECT e.timestamp FROM incident_events e
        WHERE e.incident_id = incidents.id
          AND e.seq > COALESCE((
              SELECT max(x.seq) FROM incident_events x
              WHERE x.incident_id = incidents.id AND x.incident_status <> 'RESOLVED'
          ), 0)
        ORDER BY e.seq LIMIT 1
    )
    WHERE status = 'RESOLVED'
    """,
    # As the service records them: never before the incident was created (alert clocks may run ahead).
    "UPDATE incidents SET acknowledged_at = created_at WHERE acknowledged_at < created_at",
    "UPDATE incidents SET resolved_at = created_at WHERE resolved_at < created_at",
)


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_incidents_team_resolved", ["team_id", "resolved_at"], unique=False)
    for statement in _BACKFILL:
        op.execute(sa.text(statement))

    op.create_table(
        "incident_notes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=1024), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_notes_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_notes")),
    )
    with op.batch_alter_table("incident_notes", schema=None) as batch_op:
        batch_op.create_index("ix_incident_notes_incident_created", ["incident_id", "created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_notes_incident_created")
    op.drop_table("incident_notes")
    op.drop_index("ix_incidents_team_resolved", table_name="incidents")
    # In place on both databases: SQLite's batch mode would copy the table and drop the old one, and
    # dropping `incidents` with foreign keys on cascades to (deletes) every incident's event log.
    for column in ("resolved_at", "acknowledged_at"):
        op.execute(sa.text(f"ALTER TABLE incidents DROP COLUMN {column}"))
